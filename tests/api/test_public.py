"""The public API: reference data, submissions with the form's rules and photos,
progress by tracking code (never in the URL), statistics, problem details."""

from __future__ import annotations

from inspect_app.cases.models import Report
from inspect_app.extensions import db
from inspect_app.intake.services import find_report_by_code
from tests.api.conftest import NAME, PHONE, counts, report_form, with_photo


def test_categories_provinces_and_wards_with_accent_insensitive_search(client, org):
    categories = client.get("/api/v1/categories")
    assert categories.status_code == 200
    assert "counterfeit" in {c["code"] for c in categories.get_json()}
    provinces = client.get("/api/v1/provinces").get_json()
    hanoi = next(p for p in provinces if p["code"] == 1)
    wards = client.get("/api/v1/provinces/1/wards").get_json()
    assert wards and all(w["province_code"] == 1 for w in wards)
    ba_dinh = client.get("/api/v1/provinces/1/wards", query_string={"q": "ba dinh"}).get_json()
    assert [w["name"] for w in ba_dinh] == ["Phường Ba Đình"]
    # NFD input and capitals find the same ward.
    nfd = "BA ĐI\u0300NH"
    assert client.get("/api/v1/provinces/1/wards", query_string={"q": nfd}).get_json() == ba_dinh
    assert hanoi["name"]


def test_unknown_province_is_a_problem_in_vietnamese_or_english(client, org):
    response = client.get("/api/v1/provinces/999999/wards")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Không tìm thấy"
    english = client.get("/api/v1/provinces/999999/wards", headers={"Accept-Language": "en"})
    assert english.get_json()["title"] == "Not found"


def test_a_report_with_a_photo_is_stored_like_the_forms(client, org):
    response = client.post(
        "/api/v1/reports", data=with_photo(report_form(org)), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    report = find_report_by_code(body["tracking_code"])
    assert report is not None and len(report.photos) == 1
    assert report.case.team_id == org.team.id
    assert report.api_credential_id is None and report.channel is None


def test_validation_errors_name_each_field_translated(client, org):
    data = report_form(org, product="", phone="12", email="not-an-address")
    del data["description"]
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert {"product", "description", "phone", "email"} <= set(body["errors"])
    assert body["errors"]["description"] == ["Vui lòng điền mục này."]
    english = client.post(
        "/api/v1/reports",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert english.get_json()["errors"]["description"] == ["This field is required."]
    assert counts() == (0, 0)


def test_the_forms_rules_apply(client, org):
    # A named report without consent is refused, as on the form; nothing stored.
    data = report_form(org, name=NAME, phone=PHONE)
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "detail" in response.get_json()
    assert counts() == (0, 0)


def test_a_bad_photo_is_refused_and_nothing_is_stored(client, org):
    from io import BytesIO

    data = {**report_form(org), "photos": [(BytesIO(b"GIF89a not a photo"), "x.gif")]}
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "photos" in response.get_json()["errors"]
    assert counts() == (0, 0)


def test_progress_by_code_in_the_body_or_a_header_never_the_url(client, org):
    code = client.post(
        "/api/v1/reports", data=report_form(org), content_type="multipart/form-data"
    ).get_json()["tracking_code"]
    by_body = client.post("/api/v1/reports/progress", json={"tracking_code": code})
    assert by_body.status_code == 200
    assert by_body.get_json()["status"] == "new"
    by_header = client.post("/api/v1/reports/progress", headers={"X-Tracking-Code": code})
    assert by_header.get_json() == by_body.get_json()
    missing = client.post("/api/v1/reports/progress", json={"tracking_code": "AAAA-BBBB-CCCC-DDDD"})
    assert missing.status_code == 404
    assert client.post("/api/v1/reports/progress", json={}).status_code == 422
    # There is no address that takes a code.
    assert client.get(f"/api/v1/reports/progress?tracking_code={code}").status_code == 405


def test_oversized_json_is_a_413_problem(client, org):
    response = client.post(
        "/api/v1/reports/progress",
        data="{" + " " * 70_000 + "}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_published_statistics(client, org, app_ctx):
    from datetime import date

    from inspect_app.dbtypes import utcnow
    from inspect_app.stats import services as stats
    from inspect_app.stats.periods import Period

    now = utcnow()
    report = stats.create_draft(org.association, Period.year(date.today().year - 1), 1, now=now)
    stats.publish_report(report, org.association, now=now)
    draft = stats.create_draft(org.association, Period.year(date.today().year - 2), 1, now=now)
    db.session.commit()
    listed = client.get("/api/v1/statistics").get_json()
    assert [r["id"] for r in listed] == [report.id]
    data = client.get(listed[0]["data_url"])
    assert data.status_code == 200 and data.get_json()["sha256"] == report.data_sha256
    assert client.get(f"/api/v1/statistics/{draft.id}").status_code == 404


def test_no_response_contains_the_reporters_identity(client, org):
    data = report_form(org, name=NAME, phone=PHONE, consent="true")
    created = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert created.status_code == 201
    code = created.get_json()["tracking_code"]
    progress = client.post("/api/v1/reports/progress", json={"tracking_code": code})
    for response in (created, progress):
        text = response.get_data(as_text=True)
        assert NAME not in text and PHONE not in text
    assert db.session.query(Report).one().reporter_named


def test_every_error_under_the_api_is_a_problem(client, org):
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["title"] == "Not found"
    assert missing.headers["Content-Language"] == "en"
    wrong_method = client.delete("/api/v1/categories")
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "application/problem+json"
    assert "GET" in wrong_method.headers["Allow"]
    not_json = client.post(
        "/api/v1/reports/progress", data="{not json", content_type="application/json"
    )
    assert not_json.status_code in (400, 422)
    assert not_json.mimetype == "application/problem+json"
    # The web pages keep their own error page.
    assert client.get("/no-such-page").mimetype == "text/html"
    # Open311 answers in its own error format.
    open311 = client.get("/open311/v2/nothing.json")
    assert open311.status_code == 404 and set(open311.get_json()[0]) == {"code", "description"}

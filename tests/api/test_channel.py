"""Photos uploaded first and referred to by token; follow-ups and answers to an
officer's question — through issue 14's services (evidence.staging, intake.channel)."""

from __future__ import annotations

import secrets
from io import BytesIO

from sqlalchemy import select

from inspect_app.cases.models import Report
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.intake import channel
from inspect_app.intake.services import find_report_by_code
from tests import imaging
from tests.api.conftest import report_form


def _stage(client, form_key: str, seed: str = "s"):
    return client.post(
        "/api/v1/photos",
        data={"form_key": form_key, "photo": (BytesIO(imaging.jpeg(seed=seed)), "a.jpg")},
        content_type="multipart/form-data",
    )


def test_photos_uploaded_first_are_claimed_by_the_report(client, org):
    form_key = secrets.token_urlsafe(32)
    tokens = [_stage(client, form_key, seed=str(i)).get_json()["token"] for i in range(2)]
    data = {**report_form(org), "photo_tokens": tokens, "form_key": form_key}
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    report = find_report_by_code(response.get_json()["tracking_code"])
    assert len(report.photos) == 2


def test_a_forged_token_is_refused_and_nothing_is_stored(client, org):
    form_key = secrets.token_urlsafe(32)
    data = {**report_form(org), "photo_tokens": [secrets.token_urlsafe(32)], "form_key": form_key}
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "photo_tokens" in response.get_json()["errors"]
    assert db.session.scalars(select(Report)).first() is None


def test_a_malformed_form_key_or_photo_is_a_field_error(client, org):
    bad_key = client.post(
        "/api/v1/photos",
        data={"form_key": "short", "photo": (BytesIO(imaging.jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert bad_key.status_code == 422 and "form_key" in bad_key.get_json()["errors"]
    bad_photo = client.post(
        "/api/v1/photos",
        data={"form_key": secrets.token_urlsafe(32), "photo": (BytesIO(b"nope"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert bad_photo.status_code == 422 and "photo" in bad_photo.get_json()["errors"]


def test_a_follow_up_answers_an_officers_question(client, org, app_ctx):
    code = client.post(
        "/api/v1/reports", data=report_form(org), content_type="multipart/form-data"
    ).get_json()["tracking_code"]
    report = find_report_by_code(code)
    question = channel.ask_reporter(
        org.lead, report.case, report, body="Cửa hàng ở tầng mấy?", now=utcnow()
    )
    db.session.commit()
    progress = client.post("/api/v1/reports/progress", json={"tracking_code": code}).get_json()
    assert [q["body"] for q in progress["open_questions"]] == ["Cửa hàng ở tầng mấy?"]
    answer = client.post(
        "/api/v1/reports/follow-ups",
        data={
            "body": "Tầng 2",
            "answers_id": str(question.id),
            "photos": [(BytesIO(imaging.jpeg(seed="f")), "f.jpg")],
        },
        headers={"X-Tracking-Code": code},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["photos"] == 1
    progress = client.post("/api/v1/reports/progress", json={"tracking_code": code}).get_json()
    assert progress["open_questions"] == []
    wrong = client.post(
        "/api/v1/reports/follow-ups",
        data={"body": "x", "tracking_code": "AAAA-BBBB-CCCC-DDDD"},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 404

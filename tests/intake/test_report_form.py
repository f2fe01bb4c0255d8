"""The public tip form: what is stored, how it is routed, and what is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from inspect_app.cases.models import Case, Report
from inspect_app.crypto import decrypt_text
from inspect_app.extensions import db
from inspect_app.geo.services import wards_of
from tests import imaging
from tests.intake.conftest import files_under, post_report, stored_counts


def _code_after(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == "/report/submitted"
    html = client.get("/report/submitted").get_data(as_text=True)
    return re.search(r'data-testid="tracking-code">([^<]+)<', html).group(1)


def test_form_is_in_vietnamese_with_every_province(client, org):
    html = client.get("/report").get_data(as_text=True)
    assert "Phản ánh hàng giả, hàng kém chất lượng" in html
    assert html.count('<option value="') >= 34 + 12
    assert "Thành phố Hà Nội" in html and "Hàng giả" in html


def test_anonymous_tip_with_two_photos_is_stored_and_routed(client, tip, org):
    response = post_report(
        client, tip([(imaging.jpeg(seed="a"), "a.jpg"), (imaging.jpeg(seed="b"), "b.jpg")])
    )
    code = _code_after(client, response)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)

    report = db.session.scalar(select(Report))
    assert report.kind == "tip" and report.source == "citizen" and report.is_anonymous
    assert len(report.photos) == 2
    case = report.case
    assert case.status == "new" and case.team_id == org["ward_team"].id
    assert case.public_updates[0].status == "new"
    assert "sua bot similac" in case.search_text and "cua hang minh anh" in case.search_text
    # The code is shown once only.
    assert client.get("/report/submitted").status_code == 302


def test_report_in_another_teams_ward_goes_to_that_team(client, tip, org):
    _code_after(client, post_report(client, tip(ward=str(org["other_ward"]))))
    assert db.session.scalar(select(Case)).team_id == org["other_team"].id


def test_online_report_goes_to_the_ecommerce_team(client, tip, org):
    data = tip(
        location_type="online",
        ward="",
        platform="Shopee",
        seller_url="https://shopee.vn/shop/12345",
        seller_name="hangchinhhang_99",
    )
    _code_after(client, post_report(client, data))
    case = db.session.scalar(select(Case))
    assert case.team_id == org["ecommerce"].id and case.ward_code is None


def test_unassigned_ward_falls_back_to_the_default_team(client, tip, org):
    team_wards = {w.code for t in (org["ward_team"], org["other_team"]) for w in t.wards}
    free_ward = next(w.code for w in wards_of(1) if w.code not in team_wards)
    _code_after(client, post_report(client, tip(ward=str(free_ward))))
    assert db.session.scalar(select(Case)).team_id == org["ward_team"].id


def test_named_denunciation_is_encrypted_and_marked(client, tip):
    data = tip(
        identity="named",
        name="Nguyễn Văn An",
        phone="0912 345 678",
        email="an.nguyen@example.vn",
        address="5 Lý Thái Tổ",
        consent="y",
        denunciation="y",
        wants_email_updates="y",
    )
    _code_after(client, post_report(client, data))
    report = db.session.scalar(select(Report))
    assert report.kind == "denunciation" and report.reporter_named
    assert report.wants_email_updates is True
    # Sealed: nothing of the identity is readable with the service key ...
    assert report.identity_sealed and "Nguyễn" not in report.identity_sealed
    # ... but the one address the reporter asked progress e-mails at.
    assert decrypt_text(report.progress_email_enc) == "an.nguyen@example.vn"
    assert report.consent_at is not None


def test_contact_details_in_anonymous_mode_are_not_stored(client, tip):
    data = tip(identity="anonymous", name="Should Not Be Kept", phone="0912345678")
    _code_after(client, post_report(client, data))
    report = db.session.scalar(select(Report))
    assert report.is_anonymous and report.identity_sealed is None
    assert report.progress_email_enc is None and not report.sealed_keys


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"product": ""}, "Vui lòng điền mục này"),
        ({"description": "x" * 4001}, "Không được dài quá 4000 ký tự"),
        ({"ward": "1"}, "Chọn xã, phường nơi bạn thấy hàng hóa"),  # ward 1 is not in Hà Nội
        ({"seen_on": "2099-01-01"}, "Ngày không được ở tương lai"),
        ({"location_type": "online", "seller_url": "shopee", "seller_name": ""}, "https://"),
        ({"identity": "named", "name": "An", "phone": "12345", "consent": "y"}, "số điện thoại"),
        ({"identity": "named", "name": "An", "phone": "0912345678"}, "đồng ý"),
        ({"identity": "anonymous", "denunciation": "y"}, "tố cáo"),
        ({"website": "http://spam.example"}, "tự động"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(client, tip, overrides, message):
    response = post_report(client, tip(**overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Abbott"' in html, "what was typed comes back"
    assert stored_counts() == (0, 0, 0)


BAD_PHOTOS = [
    (b"this is not an image at all", "notes.jpg", "không phải là ảnh"),
    (imaging.jpeg()[:3000], "cut.jpg", "bị hỏng"),
    (imaging.gif(), "anim.gif", "không được hỗ trợ"),
    (imaging.bomb_png(), "bomb.png", "quá lớn"),
    (imaging.jpeg() + b"\0" * (15 * 1024 * 1024), "huge.jpg", "15 MB"),
    (b"", "empty.jpg", "trống"),
]


@pytest.mark.parametrize(("content", "name", "message"), BAD_PHOTOS, ids=[b[1] for b in BAD_PHOTOS])
def test_bad_photo_is_rejected_by_name_and_nothing_is_left(
    app, client, tip, content, name, message
):
    before = files_under(app.config["UPLOAD_ROOT"])
    response = post_report(client, tip([(imaging.jpeg(), "good.jpg"), (content, name)]))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert name in html and message in html
    assert "không cần chọn lại" in html and html.count('name="staged"') == 1, "the good one is kept"
    assert 'value="Sữa bột Similac 900g"' in html
    assert stored_counts() == (0, 0, 0)
    added = files_under(app.config["UPLOAD_ROOT"]) - before
    assert len(added) == 3, "only the accepted photo's files, staged (original and two copies)"


def test_more_than_ten_photos_are_refused(client, tip):
    photos = [(imaging.jpeg(size=(32, 32), seed=str(i)), f"{i}.jpg") for i in range(11)]
    response = post_report(client, tip(photos))
    assert response.status_code == 400
    assert "tối đa 10 ảnh" in response.get_data(as_text=True)
    assert stored_counts() == (0, 0, 0)


def test_heic_from_a_phone_is_accepted(client, tip):
    _code_after(client, post_report(client, tip([(imaging.heic(), "IMG_0001.HEIC")])))
    photo = db.session.scalar(select(Report)).photos[0]
    assert photo.mime_type in ("image/heic", "image/heif")


def test_request_over_the_size_limit_gets_a_friendly_page(app, client, tip):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    try:
        response = post_report(client, tip([(imaging.jpeg(size=(800, 800)), "big.jpg")]))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 160 * 1024 * 1024
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Ảnh gửi lên quá lớn" in html and 'name="product"' in html, "the form, not a bare page"
    assert stored_counts() == (0, 0, 0)


def test_submissions_are_rate_limited_per_address(client, tip):
    for _ in range(5):
        assert post_report(client, tip(product="")).status_code == 400
    response = post_report(client, tip())
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "chờ một phút" in html and 'value="Abbott"' in html, "the form comes back, kept"
    assert stored_counts() == (0, 0, 0)


def test_wards_of_a_province_for_the_dependent_select(client, app_ctx):
    wards = client.get("/geo/provinces/1/wards").get_json()
    assert len(wards) == 126 and {"code": 4, "name": "Phường Ba Đình"} in wards
    assert client.get("/geo/provinces/999/wards").status_code == 404


def test_without_javascript_choosing_a_province_lists_its_wards(client, tip):
    data = tip(province="79", ward="", product="Giữ nguyên")
    data["choose_province"] = "1"
    response = post_report(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Sài Gòn" in html and 'value="Giữ nguyên"' in html
    assert stored_counts() == (0, 0, 0)


def test_a_refused_submission_shows_the_provinces_wards_with_its_own_selected(client, tip, org):
    """Ward choices are read only to show the form again: they must be there then."""
    response = post_report(client, tip(product=""))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phường Ba Đình" in html
    assert re.search(rf'<option selected value="{org["ward"]}">', html)


def test_an_expired_form_comes_back_filled_with_its_photos(app, client, tip):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = {**tip([(imaging.jpeg(), "kept.jpg")]), "csrf_token": "expired"}
        response = post_report(client, data)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn" in html and 'value="Abbott"' in html
    assert html.count('name="staged"') == 1, "the photo sent with it is kept"
    assert stored_counts() == (0, 0, 0)


def test_a_form_sent_twice_makes_one_report(client, tip):
    data = tip(form_key="k" * 43)
    first = post_report(client, data)
    second = post_report(client, tip(form_key="k" * 43))
    assert first.status_code == second.status_code == 302
    assert stored_counts()[0] == 1
    html = client.get("/report/submitted").get_data(as_text=True)
    assert 'data-testid="tracking-code"' in html, "the retry shows the same report's code"

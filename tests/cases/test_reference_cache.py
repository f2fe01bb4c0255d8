"""Reference data kept per process (`geo/cache.py`) for the queue's filter choices,
its category names and deadline labels: fresh at once after a change this process
makes (committed or rolled back), and after `REFERENCE_TTL` seconds after a change
made elsewhere (another worker, `flask refdata load`)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select, text

from inspect_app.accounts.permissions import Role
from inspect_app.cases import queue_views
from inspect_app.cases.deadlines import display_calendar
from inspect_app.cases.models import Category
from inspect_app.deadlines.services import remove_override, set_override
from inspect_app.extensions import db
from inspect_app.geo import cache
from inspect_app.geo.models import Ward
from tests.cases.conftest import new_report
from tests.helpers import current_code, login, totp_secret_from_page

A_WEDNESDAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _empty_cache(app):
    with app.app_context():
        cache.clear()
    yield
    cache.clear()


def _log_in_fully(client, user) -> None:
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


def _options(html: str, field: str) -> dict[str, str]:
    """value → label of a filter's options."""
    select_html = re.search(rf'<select id="{field}" name="{field}">(.*?)</select>', html, re.S)
    return dict(
        re.findall(r'<option (?:selected )?value="([^"]*)">([^<]*)</option>', select_html[1])
    )


def _category(code: str = "other") -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def test_a_renamed_category_shows_in_the_queue_at_once(app, org):
    new_report(org.team)
    client = app.test_client()
    login(client, org.lead)
    category = _category("counterfeit")
    original = category.name_vi
    assert _options(client.get("/cases").get_data(as_text=True), "category")[str(category.id)] == (
        original
    )
    category.name_vi = "Hàng giả (tên mới)"
    db.session.commit()
    try:
        html = client.get("/cases").get_data(as_text=True)
        assert _options(html, "category")[str(category.id)] == "Hàng giả (tên mới)"
        assert '<small class="muted">Hàng giả (tên mới)</small>' in html
    finally:
        category.name_vi = original
        db.session.commit()


def test_the_directors_ward_filter_follows_added_and_retired_wards(app, org):
    client = app.test_client()
    _log_in_fully(client, org.director)
    assert "999001" not in _options(client.get("/cases").get_data(as_text=True), "ward")
    ward = Ward(
        code=999001, name="Phường Mới", division_type="phường", codename="x", province_code=1
    )
    db.session.add(ward)
    db.session.commit()
    try:
        assert _options(client.get("/cases").get_data(as_text=True), "ward")["999001"] == (
            "Phường Mới"
        )
        ward.active = False
        db.session.commit()
        assert "999001" not in _options(client.get("/cases").get_data(as_text=True), "ward")
    finally:
        db.session.delete(ward)
        db.session.commit()


def test_a_new_jurisdiction_shows_in_the_teams_ward_filter_at_once(app, org, make_user):
    lead = app.test_client()
    login(lead, org.lead)
    before = _options(lead.get("/cases").get_data(as_text=True), "ward")
    assert set(before) == {""} | {str(w.code) for w in org.team.wards}
    admin = app.test_client()
    _log_in_fully(admin, make_user(Role.ADMIN))
    kept = sorted(org.team.wards, key=lambda w: w.code)[:2]
    response = admin.post(
        f"/admin/teams/{org.team.id}",
        data={"j-wards": [w.code for w in kept], "j-submit": "1"},
    )
    assert response.status_code == 302
    after = _options(lead.get("/cases").get_data(as_text=True), "ward")
    assert after == {"": "Tất cả", **{str(w.code): w.name for w in kept}}


def test_an_e_commerce_team_filters_by_the_wards_of_its_province(app, make_team, make_user):
    team = make_team("HN-TMDT", is_ecommerce=True)
    lead = make_user(Role.TEAM_LEAD, team=team)
    client = app.test_client()
    login(client, lead)
    wards = _options(client.get("/cases").get_data(as_text=True), "ward")
    active = db.session.scalars(select(Ward.code).where(Ward.province_code == 1, Ward.active))
    assert set(wards) == {""} | {str(code) for code in active}


def test_what_was_read_inside_a_rolled_back_transaction_is_forgotten(app_ctx):
    category = _category()
    original = category.name_vi
    assert queue_views._category_names("vi")[category.id] == original
    category.name_vi = "Tạm thời"
    db.session.flush()
    assert queue_views._category_names("vi")[category.id] == "Tạm thời"
    db.session.rollback()
    assert queue_views._category_names("vi")[category.id] == original


def test_a_change_made_elsewhere_shows_after_the_ttl(app_ctx, monkeypatch):
    """Plain SQL stands for another process: this one does not see the write."""
    category = _category()
    original = category.name_vi
    assert queue_views._category_names("vi")[category.id] == original
    rename = text("UPDATE categories SET name_vi = :name WHERE id = :id")
    db.session.execute(rename, {"name": "Đổi nơi khác", "id": category.id})
    db.session.commit()
    try:
        assert queue_views._category_names("vi")[category.id] == original
        later = cache.time.monotonic() + cache.REFERENCE_TTL
        monkeypatch.setattr(cache.time, "monotonic", lambda: later)
        assert queue_views._category_names("vi")[category.id] == "Đổi nơi khác"
    finally:
        db.session.execute(rename, {"name": original, "id": category.id})
        db.session.commit()


def test_a_category_not_cached_yet_is_read_again(app_ctx):
    names = queue_views._category_names("vi")
    db.session.execute(
        text(
            "INSERT INTO categories (code, name_vi, name_en, sort_order, active) "
            "VALUES ('late', 'Đến muộn', 'Late', 99, true)"
        )
    )
    late = _category("late")
    assert late.id not in names
    assert queue_views._category_names("vi", {late.id})[late.id] == "Đến muộn"
    db.session.rollback()


def test_calendar_overrides_show_in_the_display_calendar_at_once(app_ctx):
    assert display_calendar().is_working_day(A_WEDNESDAY)
    set_override(A_WEDNESDAY, False, "Nghỉ bù")
    assert not display_calendar().is_working_day(A_WEDNESDAY)
    remove_override(A_WEDNESDAY)
    assert display_calendar().is_working_day(A_WEDNESDAY)
    db.session.rollback()

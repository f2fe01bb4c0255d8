"""Officers in the field, on a 360×740 phone in Chromium: each role lands on its work,
the queue's first card is in the first screen, no staff page scrolls sideways,
filters and a saved view, merging by tapping a suggestion, bulk accept and assign
with a refusal reported, an assignment announced in the app and by e-mail (a real
SMTP server), a note typed before the session expired given back after logging in,
and the export of the queue holding only the cases within reach."""

from __future__ import annotations

import csv
import io
import re

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import Case, CaseNote
from inspect_app.cases.workflow import CaseStatus
from inspect_app.crypto import encrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.services import deliver_pending
from tests.cases.conftest import Org, drive, new_report
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
SECRET = pyotp.random_base32()


@pytest.fixture
def field(make_team, make_user) -> Org:
    team = make_team("HN-DOI01", wards=5, is_default=True)
    other_team = make_team("HN-DOI02", wards=5)
    director = make_user(Role.DIRECTOR, full_name="Nguyễn Văn Giám")
    director.totp_secret_enc = encrypt_text(SECRET)
    director.totp_enabled = True
    db.session.commit()
    return Org(
        team=team,
        other_team=other_team,
        lead=make_user(Role.TEAM_LEAD, team=team, full_name="Trần Thị Lan"),
        inspector=make_user(Role.INSPECTOR, team=team, full_name="Lê Văn Minh"),
        inspector2=make_user(Role.INSPECTOR, team=team, full_name="Phạm Thu Hà"),
        other_lead=make_user(Role.TEAM_LEAD, team=other_team, full_name="Hoàng Đức Anh"),
        other_inspector=make_user(Role.INSPECTOR, team=other_team),
        director=director,
        other_director=None,
        admin=None,
        association=None,
    )


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="vi-VN", accept_downloads=True)
    return context, context.new_page()


def _log_in(page, base: str, user, landing: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Địa chỉ e-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if user.totp_enabled:
        page.wait_for_url("**/login/verify*")
        page.locator("#code").fill(pyotp.TOTP(SECRET).now())
        page.locator("form:has(#code) [type=submit]").click()
    page.wait_for_url(f"{base}{landing}")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width} px)"


def _tap_targets_ok(page) -> None:
    """The header's controls are at least 44 px tall."""
    for selector in ("label[for=menu-toggle]", "[data-testid=notifications-link]"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, selector


def _shot(page, artifacts_dir, name: str) -> None:
    folder = artifacts_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_each_role_lands_on_its_work_with_the_first_card_in_the_first_screen(
    live_server, browser, field, artifacts_dir
):
    for n in range(3):
        drive(
            new_report(field.team, product=f"Sữa bột Similac {n}").report.case,
            field,
            CaseStatus.ASSIGNED,
        )
    new_report(field.team, product="Dầu gội Clear")
    pages = {
        field.inspector: ("/cases?assignee=mine", "Việc của tôi"),
        field.lead: ("/cases?status=new", "Chờ phân loại"),
        field.director: ("/dashboard", "Bảng theo dõi"),
    }
    for user, (landing, heading) in pages.items():
        context, page = _phone(browser)
        _log_in(page, live_server, user, landing)
        assert page.locator("h1").inner_text() == heading
        _tap_targets_ok(page)
        _shot(page, artifacts_dir, f"50-landing-{user.role}")
        if landing.startswith("/cases"):
            card = page.locator("[data-testid=queue] tr.queue-card").first
            box = card.bounding_box()
            assert box["y"] + box["height"] <= PHONE["height"], "the first card is on screen"
        # Every staff page this person uses fits the phone's width.
        for path in (
            "/cases",
            "/cases?status=all",
            "/notifications",
            "/notifications/settings",
            "/account",
            "/dashboard",
            "/audits",
            "/stats/drafts",
        ):
            response = page.goto(f"{live_server}{path}")
            if response.status == 200:
                _no_sideways_scroll(page)
        page.goto(f"{live_server}/cases/{db.session.scalar(select(Case.id).limit(1))}")
        _no_sideways_scroll(page)
        context.close()


def test_filters_and_a_saved_view(live_server, browser, field, artifacts_dir):
    new = new_report(field.team, product="Nước mắm Phú Quốc").report.case
    drive(new_report(field.team, product="Bột giặt Omo").report.case, field, CaseStatus.ACCEPTED)
    context, page = _phone(browser)
    _log_in(page, live_server, field.lead, "/cases?status=new")
    page.goto(f"{live_server}/cases")
    assert page.get_by_test_id("filter-panel").is_hidden()
    page.get_by_test_id("filter-button").click()
    assert page.get_by_test_id("filter-panel").is_visible()
    page.get_by_test_id("filter-panel").get_by_label("Trạng thái").select_option("accepted")
    page.get_by_role("button", name="Áp dụng").click()
    page.wait_for_url(re.compile(r".*status=accepted.*"))
    assert page.get_by_test_id("filter-count").inner_text() == "1"
    assert "Bột giặt Omo" in page.get_by_test_id("queue").inner_text()
    assert "Nước mắm" not in page.get_by_test_id("queue").inner_text()
    _shot(page, artifacts_dir, "51-filters-applied")
    page.get_by_label("Tên bộ lọc").fill("Đã thụ lý")
    page.get_by_role("button", name="Lưu bộ lọc này").click()
    chip = page.get_by_test_id("views").get_by_role("link", name="Đã thụ lý")
    assert chip.get_attribute("aria-current") == "page"
    page.get_by_test_id("views").get_by_role("link", name="Chờ phân loại").click()
    assert "Nước mắm" in page.get_by_test_id("queue").inner_text()
    page.get_by_test_id("views").get_by_role("link", name="Đã thụ lý").click()
    assert "Nước mắm" not in page.get_by_test_id("queue").inner_text()
    _shot(page, artifacts_dir, "52-saved-view")
    _no_sideways_scroll(page)
    assert new.status == "new"
    context.close()


def test_merge_by_tapping_a_suggestion(live_server, browser, field, artifacts_dir):
    first = new_report(
        field.team, seller="Tạp hóa Bình Minh", product="Sữa bột Similac"
    ).report.case
    drive(first, field, CaseStatus.ACCEPTED)
    duplicate = new_report(field.team, seller="Tap hoa Binh Minh", product="Sua bot", seed="d")
    duplicate_id = duplicate.report.case_id
    context, page = _phone(browser)
    _log_in(page, live_server, field.lead, "/cases?status=new")
    page.goto(f"{live_server}/cases/{duplicate_id}")
    suggestions = page.get_by_test_id("duplicates")
    assert "cùng người bán, cùng phường" in suggestions.inner_text()
    _shot(page, artifacts_dir, "53-duplicate-suggestion")
    page.get_by_test_id(f"merge-into-{first.id}").click()
    _shot(page, artifacts_dir, "54-merge-confirm")
    _no_sideways_scroll(page)
    page.get_by_test_id("confirm-merge").click()
    assert page.get_by_test_id("case-status").inner_text() == "Đã gộp"
    assert f"#{first.id}" in page.get_by_test_id("merged-into").inner_text()
    _shot(page, artifacts_dir, "55-merged")
    context.close()


def test_bulk_accept_and_assign_with_a_refusal_reported_then_the_inspector_is_told(
    live_server, browser, field, mailbox, app, artifacts_dir
):
    cases = [new_report(field.team, product=p).report.case for p in ("Sữa A", "Sữa B")]
    done = drive(new_report(field.team, product="Sữa C").report.case, field, CaseStatus.ACCEPTED)
    context, page = _phone(browser)
    _log_in(page, live_server, field.lead, "/cases?status=new")
    page.goto(f"{live_server}/cases?q=sua")
    for case in (*cases, done):
        page.get_by_label(f"Chọn vụ việc {case.id}").check()
    page.get_by_test_id("bulk-button").click()
    _shot(page, artifacts_dir, "56-bulk-panel")
    page.get_by_role("button", name="Thụ lý các vụ đã chọn").click()
    flashes = page.locator(".flash").all_inner_texts()
    assert any("Đã thụ lý 2 vụ việc." in f for f in flashes)
    assert any(f"1 vụ việc bị từ chối — #{done.id}" in f for f in flashes)
    _shot(page, artifacts_dir, "57-bulk-summary")

    page.get_by_label("Chọn tất cả").check()  # every case listed (all three accepted now)
    page.get_by_test_id("bulk-button").click()
    page.get_by_test_id("bulk-panel").get_by_label("Kiểm soát viên").select_option(
        str(field.inspector.id)
    )
    page.get_by_role("button", name="Phân công các vụ việc đã chọn").click()
    assert any(
        "Đã phân công 3 vụ việc cho Lê Văn Minh." in f
        for f in page.locator(".flash").all_inner_texts()
    )
    context.close()

    # The inspector, already on a page, sees the count change without a reload.
    context, page = _phone(browser)
    _log_in(page, live_server, field.inspector, "/cases?assignee=mine")
    count = page.locator("[data-unread-count]")
    before = int(count.inner_text())
    assert before >= 3
    transitions_case = new_report(field.team, product="Sữa D").report.case
    drive(transitions_case, field, CaseStatus.ACCEPTED)
    from inspect_app.cases import transitions

    transitions.assign_case(field.lead, transitions_case, assignee=field.inspector)
    db.session.commit()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(count).to_have_text(str(before + 1))  # asked by the page, no reload
    page.get_by_test_id("notifications-link").click()
    assert (
        f"Vụ việc #{transitions_case.id} đã được phân công cho bạn"
        in page.get_by_test_id("notifications").inner_text()
    )
    _shot(page, artifacts_dir, "58-notifications")
    context.close()
    deliver_pending(utcnow(), SmtpSettings.from_config(app.config))
    db.session.commit()
    subjects = [r.message["Subject"] for r in mailbox.to(field.inspector.email)]
    assert f"Vụ việc #{transitions_case.id} đã được phân công cho bạn" in subjects


def test_a_note_typed_before_the_session_expired_is_back_after_login(
    live_server, browser, field, app, artifacts_dir
):
    case = drive(new_report(field.team).report.case, field, CaseStatus.INVESTIGATING)
    note = "Chủ cơ sở hẹn nộp hóa đơn chứng từ trước 15/12; đã lập biên bản làm việc."
    context, page = _phone(browser)
    _log_in(page, live_server, field.inspector, "/cases?assignee=mine")
    page.goto(f"{live_server}/cases/{case.id}")
    page.get_by_label("Ghi chú nội bộ").fill(note)
    # The browser keeps a draft while typing: after a closed tab it is offered back.
    page.wait_for_timeout(600)
    page.reload()
    page.get_by_role("button", name="Khôi phục bản nháp").click()
    assert page.get_by_label("Ghi chú nội bộ").input_value() == note
    saved = app.config["SESSION_IDLE_MINUTES"]
    app.config["SESSION_IDLE_MINUTES"] = -1  # the officer went to inspect a shop
    try:
        page.get_by_role("button", name="Thêm ghi chú").click()
        page.wait_for_url(re.compile(r".*/login\?next=.*"))
    finally:
        app.config["SESSION_IDLE_MINUTES"] = saved
    assert "được giữ lại" in page.locator(".flash").first.inner_text()
    _shot(page, artifacts_dir, "59-session-expired")
    page.get_by_label("Địa chỉ e-mail").fill(field.inspector.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/cases/{case.id}")
    assert page.get_by_label("Ghi chú nội bộ").input_value() == note
    _shot(page, artifacts_dir, "60-note-restored")
    assert db.session.scalar(select(CaseNote).where(CaseNote.case_id == case.id)) is None
    page.get_by_role("button", name="Thêm ghi chú").click()
    assert note in page.locator("#notes").inner_text()
    context.close()


def test_the_queue_export_holds_only_cases_within_reach(live_server, browser, field):
    ours = new_report(field.team, product="Sữa bột Similac").report.case
    theirs = new_report(field.other_team, product="Rượu vang Pháp").report.case
    context, page = _phone(browser)
    _log_in(page, live_server, field.lead, "/cases?status=new")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == [str(ours.id)]
    assert "Rượu vang" not in text and str(theirs.id) not in [row[0] for row in rows]
    context.close()

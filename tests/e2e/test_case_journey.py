"""A team lead triages a citizen's report, merges a duplicate and assigns it; the
inspector investigates and resolves it with a fine; the citizen sees the outcome."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import Case
from inspect_app.extensions import db
from tests.cases.conftest import new_report
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Địa chỉ e-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/(cases|dashboard|intake|admin).*"))


def test_triage_merge_assign_investigate_resolve_track(
    live_server, browser, make_team, make_user, artifacts_dir
):
    team = make_team("HN-DOI01", wards=5, is_default=True)
    lead = make_user(Role.TEAM_LEAD, team=team, full_name="Trần Thị Lan")
    inspector = make_user(Role.INSPECTOR, team=team, full_name="Lê Văn Minh")
    first = new_report(team, seller="Tạp hóa Bình Minh", product="Sữa bột Similac 900g", photos=1)
    duplicate = new_report(team, seller="Tap hoa Binh Minh", product="Sua bot Similac", seed="d")
    case_id, duplicate_id = first.report.case_id, duplicate.report.case_id
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    _log_in(page, live_server, lead)
    page.get_by_role("link", name="Vụ việc").first.click()
    assert page.get_by_test_id("queue").get_by_text("Sữa bột Similac 900g").count() >= 1
    page.screenshot(path=str(shots / "20-queue-team-lead.png"), full_page=True)

    # The duplicate: the triage view suggests the first case; merge into it.
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("button", name="Thụ lý").click()
    page.goto(f"{live_server}/cases/{duplicate_id}")
    suggestions = page.get_by_test_id("duplicates")
    assert (
        f"#{case_id}" in suggestions.inner_text()
        and "cùng người bán, cùng phường" in suggestions.inner_text()
    )
    page.screenshot(path=str(shots / "21-duplicate-suggestion.png"), full_page=True)
    page.get_by_test_id(f"merge-into-{case_id}").click()
    page.get_by_test_id("confirm-merge").click()
    assert page.get_by_test_id("case-status").inner_text() == "Đã gộp"

    # Assign the case to the inspector.
    page.goto(f"{live_server}/cases/{case_id}")
    assert page.get_by_role("heading", name=re.compile(r"^Phản ánh 2")).is_visible(), "merged here"
    page.locator("summary", has_text="Phân công").click()
    page.get_by_label("Kiểm soát viên").select_option(value=str(inspector.id))
    page.get_by_role("button", name="Phân công", exact=True).click()
    assert page.get_by_test_id("case-status").inner_text() == "Đã phân công"
    context.close()

    # The inspector investigates and resolves with a fine.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    _log_in(page, live_server, inspector)
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("button", name="Bắt đầu xác minh").click()
    page.locator("summary", has_text="Ghi nhận kết quả xử lý").click()
    page.get_by_label("Kết quả xử lý").select_option("fine")
    page.get_by_label("Tiền phạt (đồng)").fill("15.000.000")
    page.get_by_label("Căn cứ pháp lý (nghị định, điều)").fill("Nghị định 98/2020/NĐ-CP, Điều 11")
    page.get_by_label("Tóm tắt người phản ánh được xem").fill(
        "Cơ sở bị xử phạt 15.000.000 đồng và buộc tiêu hủy hàng giả."
    )
    page.screenshot(path=str(shots / "22-resolve-form.png"), full_page=True)
    page.get_by_role("button", name="Ghi nhận kết quả xử lý").click()
    assert page.get_by_test_id("case-status").inner_text() == "Đã giải quyết"
    assert "15.000.000 ₫" in page.content()
    page.screenshot(path=str(shots / "23-case-resolved.png"), full_page=True)
    context.close()

    # The citizen who sent the duplicate tracks it and sees the public outcome.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server}/track")
    page.get_by_label("Mã tra cứu").fill(duplicate.tracking_code)
    page.get_by_role("button", name="Tra cứu tiến độ").click()
    assert page.get_by_test_id("public-status").inner_text() == "Đã giải quyết"
    assert "15.000.000 đồng" in page.get_by_test_id("public-message").last.inner_text()
    assert not re.search(r"Lê Văn Minh|Trần Thị Lan", page.content()), "no officer names"
    page.screenshot(path=str(shots / "24-track-outcome-phone.png"), full_page=True)
    context.close()

    case = db.session.get(Case, case_id)
    db.session.refresh(case)
    assert case.status == "resolved" and case.fine_amount == 15_000_000
    assert db.session.scalar(select(Case.status).where(Case.id == duplicate_id)) == "merged"

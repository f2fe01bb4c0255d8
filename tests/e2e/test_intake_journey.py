"""A citizen on a phone files a report with two photos and tracks it; association
staff file a complaint and find it in "My intake"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import Category, Report
from inspect_app.extensions import db
from tests import imaging
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def hanoi_team(make_team):
    return make_team("HN-DOI01", wards=5, is_default=True)


def _fill_goods(page, product: str) -> None:
    counterfeit = db.session.scalar(select(Category.id).where(Category.code == "counterfeit"))
    page.get_by_label("Loại vi phạm").select_option(str(counterfeit))
    page.get_by_label("Sản phẩm", exact=True).fill(product)
    # The citizen is asked "Vấn đề là gì?"; association staff, what the consumer reports.
    page.get_by_label(re.compile(r"^(Vấn đề là gì\?|Người tiêu dùng phản ánh gì\?)$")).fill(
        "Tem chống giả bị in mờ, bao bì sai chính tả, giá rẻ bất thường."
    )
    page.get_by_label("Tỉnh, thành phố").select_option("1")
    page.wait_for_selector("#ward option[value='4']", state="attached")
    page.get_by_label("Xã, phường, đặc khu").select_option("4")
    page.locator("details.optional-group > summary").click()  # the optional details fold
    page.get_by_label("Tên cửa hàng hoặc người bán").fill("Tạp hóa Bình Minh")
    page.set_input_files(
        "#photos",
        files=[
            {"name": "san-pham.jpg", "mimeType": "image/jpeg", "buffer": imaging.jpeg_with_gps()},
            {
                "name": "nhan-mac.jpg",
                "mimeType": "image/jpeg",
                "buffer": imaging.jpeg(seed="label"),
            },
        ],
    )


def test_citizen_reports_with_two_photos_and_tracks_it(
    live_server, browser, hanoi_team, artifacts_dir
):
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Gửi phản ánh").first.click()
    _fill_goods(page, "Nước giặt Omo 3,6 kg")
    assert page.locator("#street_address").is_visible()
    assert not page.locator("#seller_url").is_visible(), "online fields hidden for a shop"
    page.screenshot(path=str(shots / "10-report-form-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Gửi phản ánh").click()

    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert len(code) == 19
    page.screenshot(path=str(shots / "11-report-submitted-phone.png"), full_page=True)

    page.goto(f"{live_server}/track")  # typed by hand, as on another device
    page.get_by_label("Mã tra cứu").fill(code.lower().replace("-", ""))
    page.get_by_role("button", name="Tra cứu tiến độ").click()
    assert page.get_by_test_id("public-status").inner_text() == "Đã tiếp nhận"
    assert "Nước giặt Omo 3,6 kg" in page.content()
    page.screenshot(path=str(shots / "12-track-phone.png"), full_page=True)
    context.close()

    report = db.session.scalar(select(Report))
    assert len(report.photos) == 2 and report.case.team_id == hanoi_team.id


def test_association_staff_file_a_complaint(
    live_server, browser, hanoi_team, make_user, artifacts_dir
):
    staff = make_user(Role.ASSOCIATION_STAFF, full_name="Đỗ Thị Hồng")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Địa chỉ e-mail").fill(staff.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.get_by_role("link", name="Chuyển khiếu nại").first.click()
    page.get_by_label("Hình thức tiếp nhận").select_option("walk_in")
    page.get_by_label("Ngày tiếp nhận").fill("2026-11-20")
    page.get_by_label("Số hồ sơ của Hội").fill("HBV-2026/204")
    page.get_by_label("Họ và tên").fill("Phạm Văn Dũng")
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_label("Người khiếu nại đồng ý").check()
    _fill_goods(page, "Mũ bảo hiểm Protec")
    page.screenshot(
        path=str(artifacts_dir / "screenshots" / "13-association-intake.png"), full_page=True
    )
    page.get_by_role("button", name="Chuyển khiếu nại").click()
    expect(page.get_by_test_id("tracking-code")).to_be_visible()

    page.get_by_role("link", name="Hồ sơ đã tiếp nhận").last.click()
    row = page.get_by_role("row").filter(has_text="HBV-2026/204")
    assert "Mũ bảo hiểm Protec" in row.inner_text() and "Đã tiếp nhận" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "screenshots" / "14-my-intake.png"), full_page=True)
    context.close()

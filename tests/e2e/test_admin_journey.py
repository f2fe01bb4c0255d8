"""An administrator logs in (enrolling TOTP on first login) and creates a user, who
chooses their own password with the one-time link, on a phone."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_admin_logs_in_and_creates_a_user(
    live_server, page, browser, screenshot, artifacts_dir, make_user, make_team
):
    admin = make_user(Role.ADMIN, email="admin@example.vn", full_name="Quản trị viên")
    team = make_team("HN-DOI01")
    db.session.commit()

    page.goto(f"{live_server}/login")
    screenshot("01-login")
    page.get_by_label("Địa chỉ e-mail").fill(admin.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.wait_for_url("**/login/enrol")
    screenshot("02-enrol-totp")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Mã 6 chữ số").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Bật xác thực hai bước").click()
    page.get_by_test_id("recovery-codes").wait_for()
    screenshot("03-recovery-codes")

    page.goto(f"{live_server}/admin/users/new")
    page.get_by_label("Địa chỉ e-mail").fill("mai.nguyen@example.vn")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Mai")
    page.get_by_label("Vai trò").select_option("inspector")
    page.get_by_label("Đội", exact=True).select_option(str(team.id))
    assert page.get_by_label("Mật khẩu ban đầu").count() == 0, "admins choose no password"
    screenshot("04-new-user-form")
    page.get_by_role("button", name="Lưu").click()

    link = page.get_by_test_id("password-link").inner_text().strip()
    screenshot("05-one-time-link")
    created = db.session.scalar(select(User).where(User.email == "mai.nguyen@example.vn"))
    assert created is not None and created.team_id == team.id
    assert not created.has_usable_password

    # The new inspector opens the link on a phone and chooses a password.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    mai = phone.new_page()
    mai.goto(link.replace("http://127.0.0.1:5000", live_server))
    mai.get_by_label("Mật khẩu mới", exact=True).fill("mai chooses her own words")
    mai.get_by_label("Nhập lại mật khẩu mới").fill("mai chooses her own words")
    assert mai.evaluate("document.documentElement.scrollWidth") <= 360
    mai.screenshot(path=str(artifacts_dir / "screenshots" / "05b-set-password-phone.png"))
    mai.get_by_role("button", name="Đặt mật khẩu").click()
    mai.wait_for_url("**/login")
    mai.get_by_label("Địa chỉ e-mail").fill("mai.nguyen@example.vn")
    mai.get_by_label("Mật khẩu").fill("mai chooses her own words")
    mai.get_by_role("button", name="Đăng nhập").click()
    mai.get_by_text("Xin chào, Nguyễn Thị Mai").wait_for()
    # The link worked once only.
    mai.goto(link.replace("http://127.0.0.1:5000", live_server))
    assert "không còn dùng được" in mai.content()
    phone.close()


def test_wrong_password_shows_error_summary_on_a_phone(
    live_server, browser, make_user, artifacts_dir
):
    user = make_user(Role.INSPECTOR)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Địa chỉ e-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill("not the password")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    assert "Sai địa chỉ e-mail hoặc mật khẩu" in alert.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    (artifacts_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(artifacts_dir / "screenshots" / "06-login-error-phone.png"), full_page=True
    )
    context.close()

"""Two-step verification: enrolment, login, single use of codes, recovery codes."""

from __future__ import annotations

import re
import time

import pyotp

from inspect_app.accounts import services
from inspect_app.accounts.permissions import Role
from inspect_app.core.settings import REQUIRE_TOTP_FOR_ALL_STAFF, set_flag
from inspect_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import current_code, login, next_code, totp_secret_from_page


def _enrol_optional(client, user) -> tuple[str, list[str]]:
    login(client, user)
    page = client.get("/account/2fa").get_data(as_text=True)
    assert "<svg" in page, "the QR code is rendered locally as SVG"
    secret = totp_secret_from_page(page)
    response = client.post("/account/2fa", data={"code": current_code(secret)})
    assert response.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == services.RECOVERY_CODE_COUNT
    client.post("/logout")
    return secret, codes


def test_enrolled_user_needs_a_code_after_the_password(client, make_user):
    user = make_user(Role.INSPECTOR)
    secret, _ = _enrol_optional(client, user)
    response = login(client, user)
    assert response.headers["Location"].startswith("/login/verify")
    assert client.get("/account").status_code == 302, "password alone does not log in"
    # The code used at enrolment was consumed; wait for a fresh step to be safe.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    response = client.post("/login/verify", data={"code": code})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_a_code_cannot_be_used_twice(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    secret, _ = _enrol_optional(client, user)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    login(client, user)
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    client.post("/logout")

    other = app.test_client()
    login(other, user)
    response = other.post("/login/verify", data={"code": code})
    assert response.status_code == 401
    assert "không hợp lệ hoặc đã được dùng" in response.get_data(as_text=True)
    assert other.get("/account").status_code == 302


def test_wrong_code_is_refused(client, make_user):
    user = make_user(Role.INSPECTOR)
    _enrol_optional(client, user)
    login(client, user)
    assert client.post("/login/verify", data={"code": "000000"}).status_code == 401


def test_recovery_code_works_once(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    _, codes = _enrol_optional(client, user)
    login(client, user)
    assert client.post("/login/verify", data={"code": codes[0].lower()}).status_code == 302
    client.post("/logout")
    login(client, user)
    assert client.post("/login/verify", data={"code": codes[0]}).status_code == 401


def test_admin_must_enrol_before_using_the_app(client, make_user):
    admin = make_user(Role.ADMIN)
    response = login(client, admin)
    assert response.headers["Location"] == "/login/enrol"
    assert client.get("/admin/users").status_code == 302
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = totp_secret_from_page(page)
    assert client.post("/login/enrol", data={"code": "123456"}).status_code == 400
    assert client.post("/login/enrol", data={"code": current_code(secret)}).status_code == 200
    assert client.get("/admin/users").status_code == 200


def test_director_cannot_turn_totp_off(client, make_user):
    director = make_user(Role.DIRECTOR)
    login(client, director)
    secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
    client.post("/login/enrol", data={"code": current_code(secret)})
    client.post("/account/2fa/disable")
    db.session.refresh(director)
    assert director.totp_enabled


def test_admin_setting_enforces_totp_for_every_staff_member(client, make_user):
    inspector = make_user(Role.INSPECTOR)
    set_flag(REQUIRE_TOTP_FOR_ALL_STAFF, True)
    db.session.commit()
    assert login(client, inspector).headers["Location"] == "/login/enrol"


def test_totp_secret_is_encrypted_at_rest(client, make_user):
    user = make_user(Role.INSPECTOR)
    secret, _ = _enrol_optional(client, user)
    db.session.refresh(user)
    assert secret not in (user.totp_secret_enc or "")
    assert services.totp_secret(user) == secret


def _back_in(client, user, recovery_code: str) -> None:
    login(client, user)
    assert client.post("/login/verify", data={"code": recovery_code}).status_code == 302


def test_turning_two_step_off_asks_for_the_password_and_a_code(client, make_user):
    user = make_user(Role.INSPECTOR)
    secret, codes = _enrol_optional(client, user)
    _back_in(client, user, codes[0])
    refused = client.post("/account/2fa/disable", data={"disable-password": PASSWORD})
    assert refused.status_code == 400
    db.session.refresh(user)
    assert user.totp_enabled, "a stolen session alone cannot turn it off"
    wrong = client.post(
        "/account/2fa/disable",
        data={"disable-password": "not mine", "disable-code": next_code(secret)},
    )
    assert wrong.status_code == 400
    done = client.post(
        "/account/2fa/disable",
        data={"disable-password": PASSWORD, "disable-code": next_code(secret)},
    )
    assert done.status_code == 302
    db.session.refresh(user)
    assert not user.totp_enabled


def test_new_recovery_codes_ask_for_the_password_and_a_code(client, make_user):
    user = make_user(Role.INSPECTOR)
    secret, codes = _enrol_optional(client, user)
    _back_in(client, user, codes[0])
    assert client.post("/account/recovery-codes", data={}).status_code == 400
    response = client.post(
        "/account/recovery-codes",
        data={"codes-password": PASSWORD, "codes-code": next_code(secret)},
    )
    assert response.status_code == 200 and 'data-testid="recovery-codes"' in response.get_data(
        as_text=True
    )
    assert codes[1] not in response.get_data(as_text=True), "the old codes are replaced"

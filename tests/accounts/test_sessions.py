"""Sessions end on logout, password change and deactivation, and time out."""

from __future__ import annotations

import time

from inspect_app.accounts import services
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from tests.helpers import login


def _copy_cookie(source, target) -> None:
    cookie = source.get_cookie("inspect_session")
    target.set_cookie("inspect_session", cookie.value)


def test_cookie_copied_before_logout_no_longer_works(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/account").status_code == 200  # the copy works while logged in

    client.post("/logout")
    assert client.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    other_device = app.test_client()
    login(client, user)
    login(other_device, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery",
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    client.post("/logout")
    assert login(client, user, password="a brand new passphrase").status_code == 302


def test_password_change_rejects_wrong_current_password(client, make_user):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    response = client.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert response.status_code == 400
    assert "Mật khẩu hiện tại không đúng" in response.get_data(as_text=True)


def test_deactivation_ends_sessions_at_once(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    services.set_user_active(user, False)
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_inactivity_timeout_logs_out(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    assert client.get("/account").status_code == 302
    response = client.get("/login")
    assert "Phiên làm việc đã kết thúc" in response.get_data(as_text=True)


def test_absolute_session_lifetime(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    with client.session_transaction() as session:
        session["login_at"] = int(time.time() - lifetime - 5)
    assert client.get("/account").status_code == 302

"""Password login and failures (throttling: tests/accounts/test_throttle.py)."""

from __future__ import annotations

from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from tests.helpers import login


def test_login_success_lands_on_home_with_name(client, make_user):
    user = make_user(Role.INSPECTOR, full_name="Lê Văn Minh")
    response = login(client, user, follow=True)
    assert response.status_code == 200
    assert "Lê Văn Minh" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_email_is_case_insensitive(client, make_user):
    make_user(Role.INSPECTOR, email="minh@example.vn")
    response = client.post(
        "/login", data={"email": "MINH@Example.VN", "password": "correct horse battery"}
    )
    assert response.status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user(Role.INSPECTOR)
    response = login(client, user, password="wrong password")
    assert response.status_code == 401
    assert "Sai địa chỉ e-mail hoặc mật khẩu" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_unknown_email_gets_the_same_message(client, app_ctx):
    response = client.post(
        "/login", data={"email": "nobody@example.vn", "password": "whatever1234"}
    )
    assert response.status_code == 401
    assert "Sai địa chỉ e-mail hoặc mật khẩu" in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(Role.INSPECTOR)
    user.active = False
    db.session.commit()
    response = login(client, user)
    assert response.status_code == 401


def test_next_parameter_only_follows_local_paths(client, make_user):
    user = make_user(Role.INSPECTOR)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/cases?assignee=mine", "the inspector's own work"
    client.post("/logout")
    response = client.post(
        "/login?next=/account", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/account"


def test_login_form_needs_csrf_token_when_csrf_is_on(app, client, make_user):
    user = make_user(Role.INSPECTOR)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = login(client, user)
        assert response.status_code == 400
        assert client.get("/account").status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

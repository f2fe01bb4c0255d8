"""Passwords people choose themselves: long enough, not common or breached, not built
on their own name or e-mail — checked wherever a password is set."""

from __future__ import annotations

import pytest

from inspect_app.accounts import services
from inspect_app.accounts.models import PasswordLinkPurpose
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "ít nhất 10 ký tự"),
        ("1234567890", "quá dễ đoán"),
        ("qwertyuiop", "quá dễ đoán"),
        ("matkhau123456", "quá dễ đoán"),
        ("lan.tran@demo.inspect.vn", "tên hoặc địa chỉ e-mail"),
        ("TranThiLan2026!", "tên hoặc địa chỉ e-mail"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(app, make_user, password, message):
    user = make_user(Role.INSPECTOR, email="lan.tran@demo.inspect.vn", full_name="Trần Thị Lan")
    url = services.create_password_link(user, PasswordLinkPurpose.RESET, actor=None, base_url="")
    db.session.commit()
    response = app.test_client().post(url, data={"new_password": password, "confirm": password})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert services.find_password_link(url.rsplit("/", 1)[1]) is not None, "the link still works"


def test_a_strong_password_of_a_few_words_is_welcome(app, make_user):
    user = make_user(Role.INSPECTOR, email="lan.tran@demo.inspect.vn", full_name="Trần Thị Lan")
    url = services.create_password_link(user, PasswordLinkPurpose.RESET, actor=None, base_url="")
    db.session.commit()
    words = "trang phục mùa hè đẹp"  # "tran" in it is an everyday syllable, not the name
    response = app.test_client().post(url, data={"new_password": words, "confirm": words})
    assert response.status_code == 302


def test_the_command_line_refuses_a_weak_password(app, app_ctx):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "x@example.vn", "--password", "1234567890",
              "--role", "association_staff"]
    )  # fmt: skip
    assert result.exit_code != 0

"""Every role guard: each admin page answers 403 to every non-admin role."""

from __future__ import annotations

import pytest

from inspect_app.accounts.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.helpers import current_code, login, totp_secret_from_page

ADMIN_PAGES = {
    "/admin/users": Permission.MANAGE_USERS,
    "/admin/users/new": Permission.MANAGE_USERS,
    "/admin/teams": Permission.MANAGE_TEAMS,
    "/admin/teams/new": Permission.MANAGE_TEAMS,
    "/admin/settings": Permission.MANAGE_SETTINGS,
}


def _log_in_fully(client, user) -> None:
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


@pytest.mark.parametrize("role", list(Role))
def test_admin_pages_follow_role_permissions(client, make_user, role):
    user = make_user(role)
    _log_in_fully(client, user)
    for path, permission in ADMIN_PAGES.items():
        expected = 200 if permission in ROLE_PERMISSIONS[role] else 403
        assert client.get(path).status_code == expected, (role, path)


def test_anonymous_visitors_are_sent_to_login(client, app_ctx):
    for path in [*ADMIN_PAGES, "/account", "/account/password", "/account/2fa"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_only_admins_manage_and_only_officers_work_cases():
    assert {r for r in Role if Permission.MANAGE_USERS in ROLE_PERMISSIONS[r]} == {Role.ADMIN}
    workers = {r for r in Role if Permission.WORK_CASES in ROLE_PERMISSIONS[r]}
    assert workers == {Role.INSPECTOR, Role.TEAM_LEAD}
    revealers = {r for r in Role if Permission.REVEAL_REPORTER in ROLE_PERMISSIONS[r]}
    assert Role.ASSOCIATION_STAFF not in revealers and Role.INSPECTOR not in revealers

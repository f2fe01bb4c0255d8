"""After login each role lands on its work, and never on a URL that answers only POST."""

from __future__ import annotations

import pytest

from inspect_app.accounts.permissions import Role
from tests.helpers import current_code, login, totp_secret_from_page

LANDING = {
    Role.INSPECTOR: "/cases?assignee=mine",
    Role.TEAM_LEAD: "/cases?status=new",
    Role.DIRECTOR: "/dashboard",
    Role.ASSOCIATION_STAFF: "/intake/mine",
    Role.ADMIN: "/admin/users",
}


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_lands_on_its_work(app, make_user, role):
    user = make_user(role)
    client = app.test_client()
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":  # directors and admins: TOTP first
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})
        assert client.get("/login").headers["Location"] == LANDING[role]
        return
    assert response.headers["Location"] == LANDING[role]
    assert client.get(LANDING[role]).status_code == 200
    # Logged in already: the login page sends the user to the same place.
    assert client.get("/login").headers["Location"] == LANDING[role]


def test_a_next_that_answers_only_post_is_not_followed(app, make_user):
    user = make_user(Role.INSPECTOR)
    client = app.test_client()
    password = {"email": user.email, "password": "correct horse battery"}
    response = client.post("/login?next=/cases/1/notes", data=password)
    assert response.headers["Location"] == LANDING[Role.INSPECTOR]
    client.post("/logout")
    response = client.post("/login?next=/cases/7", data=password)
    assert response.headers["Location"] == "/cases/7", "a page is followed"

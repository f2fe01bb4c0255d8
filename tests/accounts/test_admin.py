"""Admin pages: create, edit, deactivate users; teams and jurisdictions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from inspect_app.geo.models import Ward
from tests.helpers import current_code, login, totp_secret_from_page


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    login(client, admin)
    secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
    client.post("/login/enrol", data={"code": current_code(secret)})
    return client


def test_admin_creates_an_inspector_in_a_team(admin_client, make_team):
    team = make_team("HN-DOI09")
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "New.Inspector@Example.vn",
            "full_name": "Nguyễn Thị Mai",
            "role": "inspector",
            "team_id": team.id,
            "office_id": 0,
            "association_id": 0,
            # An old form, or a crafted one: the admin cannot choose a password.
            "password": "a long initial password",
        },
    )
    assert response.status_code == 200
    assert "/account/set-password/" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "new.inspector@example.vn"))
    assert user.team_id == team.id and user.role == "inspector"
    assert not user.has_usable_password


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "inspector", "team_id": 0}, "phải thuộc một đội"),
        ({"email": "not-an-email"}, "không hợp lệ"),
    ],
)
def test_bad_user_input_is_explained_and_nothing_is_saved(admin_client, make_team, data, message):
    team = make_team()
    form = {
        "email": "someone@example.vn",
        "full_name": "Someone",
        "role": "inspector",
        "team_id": team.id,
        "office_id": 0,
        "association_id": 0,
        **data,
    }
    response = admin_client.post("/admin/users/new", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.full_name == "Someone")) is None


def test_duplicate_email_is_refused(admin_client, make_user):
    existing = make_user(Role.INSPECTOR)
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": existing.email.upper(),
            "full_name": "Copy",
            "role": "association_staff",
            "team_id": 0,
            "office_id": 0,
            "association_id": 0,
        },
    )
    assert response.status_code == 400
    assert "đã tồn tại" in response.get_data(as_text=True)


def test_admin_deactivates_a_user_and_their_session_ends(app, admin_client, make_user):
    user = make_user(Role.INSPECTOR)
    user_client = app.test_client()
    login(user_client, user)
    assert user_client.get("/account").status_code == 200
    assert admin_client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert user_client.get("/account").status_code == 302
    assert login(user_client, user).status_code == 401


def test_admin_sets_team_jurisdiction_and_wards_stay_exclusive(admin_client, make_team):
    team_a = make_team("A1", wards=0)
    team_b = make_team("B1", wards=0)
    wards = db.session.scalars(
        select(Ward).where(Ward.province_code == 1).order_by(Ward.code).limit(3)
    ).all()
    codes = [w.code for w in wards]
    response = admin_client.post(
        f"/admin/teams/{team_a.id}", data={"j-wards": codes, "j-submit": "1"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert sorted(w.code for w in db.session.get(Team, team_a.id).wards) == sorted(codes)

    response = admin_client.post(
        f"/admin/teams/{team_b.id}", data={"j-wards": codes[:1], "j-submit": "1"}
    )
    assert response.status_code == 400
    assert "đã thuộc đội" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Team, team_b.id).wards == []


def test_admin_creates_a_team(admin_client, make_office):
    office = make_office(1)
    response = admin_client.post(
        "/admin/teams/new",
        data={"code": "hn-doi05", "name": "Đội QLTT số 5", "office_id": office.id},
    )
    assert response.status_code == 302
    team = db.session.scalar(select(Team).where(Team.code == "HN-DOI05"))
    assert team is not None and team.office_id == office.id


def test_admin_pages_render(admin_client, make_team):
    team = make_team()
    for path in [
        "/admin/users",
        "/admin/users/new",
        "/admin/teams",
        f"/admin/teams/{team.id}",
        "/admin/settings",
    ]:
        assert admin_client.get(path).status_code == 200, path
    assert admin_client.get("/admin/users/999999").status_code == 404

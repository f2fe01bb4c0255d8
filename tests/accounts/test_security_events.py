"""Every security-relevant account action is an audit event naming its actor, the
person concerned is told by e-mail, and directors can see and filter the events."""

from __future__ import annotations

from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.sealing import services as sealing
from tests.cases.conftest import new_report
from tests.factories import PASSWORD
from tests.helpers import log_in_fully, login


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    return list(db.session.scalars(query))


def _notices(user) -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "account", OutboxMessage.recipient_user_id == user.id
        )
    )
    return [row.subject for row in rows]


def test_logins_and_failures_are_recorded_without_what_was_typed(app, make_user):
    user = make_user(Role.INSPECTOR)
    client = app.test_client()
    assert login(client, user, "wrong password").status_code == 401
    client.post("/login", data={"email": "nobody@example.vn", "password": "hunter2hunter2"})
    assert login(client, user).status_code == 302
    failed = _events("account.login_failed")
    assert [(e.actor_id, e.data.get("subject"), e.data["reason"]) for e in failed] == [
        (None, user.id, "password"),
        (None, None, "unknown"),
    ]
    assert all(e.data["ip"] == "127.0.0.1" for e in failed)
    dump = " ".join(e.data_json for e in failed)
    assert (
        "nobody@example.vn" not in dump and "hunter2" not in dump and "wrong password" not in dump
    )
    [ok] = _events("account.login")
    assert ok.actor_id == user.id and ok.data["method"] == "password"


def test_a_lockout_is_recorded_and_the_owner_told(app, make_user):
    user = make_user(Role.INSPECTOR)
    for n in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"]):
        app.test_client().post(
            "/login",
            data={"email": user.email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
    [locked] = _events("account.locked")
    assert locked.data["subject"] == user.id and locked.data["until"]
    assert any("khóa" in subject for subject in _notices(user))


def test_an_admins_changes_name_the_admin_and_reach_the_user_by_email(app, make_user, make_team):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.INSPECTOR)
    client = app.test_client()
    log_in_fully(client, admin)
    team = make_team("HN-DOI07")
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "email": user.email,
            "full_name": user.full_name,
            "role": "team_lead",
            "team_id": team.id,
            "office_id": 0,
            "association_id": 0,
        },
    )
    assert response.status_code == 302
    [updated] = _events("account.updated")
    assert updated.actor_id == admin.id and updated.data["subject"] == user.id
    assert updated.data["before"]["role"] == "inspector"
    assert updated.data["after"] == {"role": "team_lead", "team": "HN-DOI07", "office": None}
    client.post(f"/admin/users/{user.id}/deactivate")
    client.post("/admin/settings", data={"require_totp_for_all_staff": "y"})
    assert [e.actor_id for e in _events("account.deactivated")] == [admin.id]
    [setting] = _events("settings.changed")
    assert setting.actor_id == admin.id and setting.data["after"] is True
    assert len(_notices(user)) == 2  # role and deactivation


def test_changing_ones_own_password_keeps_ones_keys(app, make_user, make_team):
    team = make_team("HN-DOI01", wards=3, is_default=True)
    lead = make_user(Role.TEAM_LEAD, team=team)
    report = new_report(team, named=True).report
    client = app.test_client()
    log_in_fully(client, lead)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new passphrase",
            "confirm": "a new passphrase",
        },
    )
    assert response.status_code == 302
    assert sealing.reveal_identity(lead, "a new passphrase", report).identity["phone"]
    assert [e.actor_id for e in _events("account.password_changed")] == [lead.id]
    assert len(_notices(lead)) == 1


def test_directors_see_and_filter_their_offices_security_events(app, make_user, make_team):
    director = make_user(Role.DIRECTOR)
    ours = make_user(Role.INSPECTOR, team=make_team("HN-DOI01"))
    theirs = make_user(Role.INSPECTOR, team=make_team("HCM-DOI01", province_code=79))
    for person in (ours, theirs):
        login(app.test_client(), person, "wrong password")
        login(app.test_client(), person)
    client = app.test_client()
    log_in_fully(client, director)

    page = client.get("/security-events")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ours.email in html and theirs.email not in html
    assert "Đăng nhập không thành công" in html
    only_failures = client.get("/security-events?group=logins&person=" + ours.email.split("@")[0])
    assert ours.email in only_failures.get_data(as_text=True)
    none = client.get("/security-events?group=identity&person=" + ours.email)
    assert 'data-testid="security-events"' in none.get_data(as_text=True)
    assert "Không có sự kiện nào phù hợp." in none.get_data(as_text=True)
    assert client.get("/security-events?since=9999-99-99").status_code == 400

    for role in (Role.INSPECTOR, Role.TEAM_LEAD, Role.ADMIN):
        other = app.test_client()
        log_in_fully(other, make_user(role))
        assert other.get("/security-events").status_code == 403

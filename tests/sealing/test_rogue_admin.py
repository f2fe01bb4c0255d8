"""The attack of issue 12, step by step: an administrator resets a director's
password and two-step verification, takes over the account and presses "reveal".
It now yields nothing, and the audit log names the administrator."""

from __future__ import annotations

import re

from sqlalchemy import select

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from tests.factories import PASSWORD
from tests.helpers import current_code, log_in_fully, login, next_code, totp_secret_from_page
from tests.sealing.conftest import NAME, PHONE, REASON

TAKEN_OVER = "the admin's own password"


def _events(*actions: str) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)
    return list(db.session.scalars(query))


def _reveal(client, report, password: str, code: str | None):
    data = {"password": password, "reason": REASON}
    if code:
        data["code"] = code
    return client.post(f"/cases/{report.case_id}/reports/{report.id}/reveal", data=data)


def test_an_admin_who_takes_over_a_directors_account_reveals_nothing(app, office, denunciation):
    report = denunciation.report
    director_client = app.test_client()
    director_secret = log_in_fully(director_client, office.director)
    # The real director can reveal.
    shown = _reveal(director_client, report, PASSWORD, next_code(director_secret))
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True)

    admin = app.test_client()
    log_in_fully(admin, office.admin)
    page = admin.post(f"/admin/users/{office.director.id}/reset_password")
    assert page.status_code == 200
    link = re.search(r'data-testid="password-link">([^<]+)<', page.get_data(as_text=True))
    assert admin.post(f"/admin/users/{office.director.id}/reset_2fa").status_code == 302

    # The admin sets a password of their choosing through the link ...
    token_path = link.group(1).strip().removeprefix(app.config["BASE_URL"])
    set_password = {"new_password": TAKEN_OVER, "confirm": TAKEN_OVER}
    assert admin.post(token_path, data=set_password).status_code == 302
    # ... logs in as the director, enrolling their own second factor ...
    thief = app.test_client()
    assert login(thief, office.director, TAKEN_OVER).headers["Location"] == "/login/enrol"
    secret = totp_secret_from_page(thief.get("/login/enrol").get_data(as_text=True))
    thief.post("/login/enrol", data={"code": current_code(secret)})
    assert thief.get(f"/cases/{report.case_id}").status_code == 200
    # ... and presses "reveal": the account's new key opens nothing sealed before.
    refused = _reveal(thief, report, TAKEN_OVER, next_code(secret))
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert NAME not in html and PHONE not in html
    assert "Bạn chưa có khóa của báo cáo này" in html

    admin_id = office.admin.id
    director_id = office.director.id
    trail = [
        (e.action, e.actor_id, e.data.get("subject"))
        for e in _events(
            "account.password_reset",
            "account.totp_reset",
            "keys.officer_key_dropped",
            "account.password_set",
            "identity.reveal_refused",
        )
    ]
    assert trail == [
        ("keys.officer_key_dropped", admin_id, director_id),
        ("account.password_reset", admin_id, director_id),
        ("account.totp_reset", admin_id, director_id),
        ("account.password_set", director_id, director_id),
        ("identity.reveal_refused", director_id, None),
    ]
    # The director is told of each change, by e-mail, naming the administrator.
    notices = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "account", OutboxMessage.recipient_user_id == director_id
        )
    ).all()
    texts = "\n".join(n.body_text for n in notices)
    assert office.admin.email in texts
    assert "đặt lại" in texts  # reset (of the password and of two-step verification)


def test_the_team_lead_still_reveals_after_the_directors_reset(app, office, denunciation):
    report = denunciation.report
    admin = app.test_client()
    log_in_fully(admin, office.admin)
    admin.post(f"/admin/users/{office.director.id}/reset_password")
    lead = app.test_client()
    log_in_fully(lead, office.lead)
    shown = _reveal(lead, report, PASSWORD, None)
    assert shown.status_code == 200
    assert NAME in shown.get_data(as_text=True) and PHONE in shown.get_data(as_text=True)


def test_a_wrong_password_reveals_nothing_and_is_recorded(app, office, denunciation):
    report = denunciation.report
    lead = app.test_client()
    log_in_fully(lead, office.lead)
    refused = _reveal(lead, report, "not my password", None)
    assert refused.status_code == 400 and PHONE not in refused.get_data(as_text=True)
    [event] = _events("identity.reveal_refused")
    assert event.actor_id == office.lead.id and event.data["why"] == "reauthentication"
    [failed] = _events("account.reauth_failed")
    assert failed.actor_id == office.lead.id and failed.data["purpose"] == "identity.reveal"


def test_an_admin_never_chooses_a_password(app, office):
    admin = app.test_client()
    log_in_fully(admin, office.admin)
    before = office.inspector.password_hash
    response = admin.post(
        f"/admin/users/{office.inspector.id}",
        data={
            "email": office.inspector.email,
            "full_name": "Lê Văn Minh",
            "role": "inspector",
            "team_id": office.team.id,
            "office_id": 0,
            "association_id": 0,
            "password": "chosen by the admin",
        },
    )
    assert response.status_code == 302
    db.session.refresh(office.inspector)
    assert office.inspector.password_hash == before
    assert login(app.test_client(), office.inspector, "chosen by the admin").status_code == 401

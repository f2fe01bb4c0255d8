"""Request ids (X-Request-ID) in responses, logs, e-mails and audit events; JSON logs
that hold no personal data and no tracking code."""

from __future__ import annotations

import re
from email import message_from_bytes

from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import OutboxMessage
from inspect_app.notify.services import deliver_pending
from tests.helpers import log_in_fully

PROXY_ID = "lb-7f3a9c2e-0001"
NAME, PHONE, EMAIL = "Nguyễn Văn Bình", "0987 654 321", "binh.nguyen@example.vn"


def test_a_request_id_is_generated_or_taken_from_the_proxy(client):
    generated = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/login", headers={"X-Request-ID": PROXY_ID}).headers["X-Request-ID"] == (
        PROXY_ID
    )
    for hostile in ("<script>x</script>", "a b c d e f g h", "x" * 200, "short"):
        answered = client.get("/login", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert answered != hostile and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_the_request_id_reaches_the_audit_event_and_the_e_mail(app, make_user, make_team, tmp_path):
    team = make_team("HN-DOI01")
    admin = app.test_client()
    log_in_fully(admin, make_user(Role.ADMIN))
    response = admin.post(
        "/admin/users/new",
        data={
            "email": "new.officer@example.vn",
            "full_name": "Cán bộ mới",
            "role": "inspector",
            "team_id": str(team.id),
        },
        headers={"X-Request-ID": PROXY_ID},
    )
    assert response.status_code == 200  # the invitation link page

    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.request_id == PROXY_ID
    queued = db.session.scalars(select(OutboxMessage)).all()
    assert PROXY_ID in {message.request_id for message in queued}
    assert all(message.request_id for message in queued)  # the login's have their own

    settings = SmtpSettings.from_config({**app.config, "DEV_MAILBOX_DIR": str(tmp_path)})
    deliver_pending(utcnow(), settings)
    mails = [message_from_bytes(path.read_bytes()) for path in tmp_path.glob("*.eml")]
    assert sorted(mail["X-Request-ID"] for mail in mails) == sorted(m.request_id for m in queued)


def test_json_access_lines_carry_the_route_not_the_path(client, json_logs):
    client.get("/login", headers={"X-Request-ID": PROXY_ID})

    access = [entry for entry in json_logs() if entry["logger"] == "inspect_app.access"]

    assert access == [
        {
            "time": access[0]["time"],
            "level": "INFO",
            "logger": "inspect_app.access",
            "message": "request",
            "request_id": PROXY_ID,
            "method": "GET",
            "endpoint": "accounts.login",
            "status": 200,
            "duration_ms": access[0]["duration_ms"],
        }
    ]

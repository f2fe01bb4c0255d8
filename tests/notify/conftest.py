"""Fixtures for outbox and scheduler tests: the case organisation, an SMTP server
on loopback with the app configured to use it, and helpers to read the outbox."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select

from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.notify.mailer import message_id
from inspect_app.notify.models import EVENT_KINDS, DeadlineAlert, Notification, OutboxMessage
from tests.cases.conftest import drive, new_report, org  # noqa: F401
from tests.notify.mailbox import Mailbox

MAIL_FROM = "qltt@demo.inspect.vn"


@pytest.fixture
def make_case(org):  # noqa: F811  (the fixture `org` imported above)
    """A case driven to a state, as in tests/cases — without the notices of work
    that arrives which setting it up queues (the new case to triage, the
    assignment …): the tests here count what the scheduler and the reporter
    updates send. tests/notify/test_officer_events.py is about those notices."""

    def make(status: CaseStatus = CaseStatus.NEW, **report_args) -> Case:
        submission = new_report(org.team, **report_args)
        case = submission.report.case
        case.tracking_code = submission.tracking_code
        drive(case, org, status)
        forget_event_notices()
        return case

    return make


def forget_event_notices() -> None:
    kinds = [k.value for k in EVENT_KINDS]
    db.session.execute(delete(Notification).where(Notification.kind.in_(kinds)))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.kind.in_(kinds)))
    db.session.commit()


@pytest.fixture
def mail_settings(app):
    """Put SMTP_* and the scheduler settings back as they were after the test."""
    keys = (
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_SECURITY",
        "SMTP_USERNAME",
        "MAIL_FROM",
        "REMINDER_WORKING_DAYS",
        "ESCALATE_TO_DIRECTOR_DAYS",
        "DIGEST_HOUR",
        "JOB_HOURS",
        "OUTBOX_MAX_ATTEMPTS",
        "DEV_MAILBOX_DIR",
    )
    saved = {key: app.config[key] for key in keys}
    yield app.config
    app.config.update(saved)


@pytest.fixture
def mailbox(app, mail_settings):
    """A running SMTP server the app sends to (plain SMTP on loopback)."""
    box = Mailbox()
    box.start()
    mail_settings.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=box.port,
        SMTP_SECURITY="none",
        SMTP_USERNAME="",
        MAIL_FROM=MAIL_FROM,
    )
    yield box
    box.stop()


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """That wall-clock time in Vietnam, as the aware UTC instant jobs take."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def set_due(case: Case, due: date) -> Case:
    """Give the case a deadline directly (the scheduler reads `next_due`)."""
    case.next_due = due
    db.session.commit()
    return case


def outbox_rows(**filters) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def delivered_keys(box: Mailbox) -> Counter:
    """How many times the message of each outbox key reached the server."""
    by_id = {message_id(row.key, MAIL_FROM): row.key for row in outbox_rows()}
    return Counter(by_id.get(received.message["Message-ID"], "?") for received in box.received)


def received_for(box: Mailbox, key: str) -> list:
    """What reached the server for one outbox key."""
    return [r for r in box.received if r.message["Message-ID"] == message_id(key, MAIL_FROM)]


def alerts_delivered(box: Mailbox, kind: str) -> Counter:
    """For each alert of ``kind`` — (case id, deadline, step, officer id) — how many
    e-mails naming its case reached its officer: those queued with the alert."""
    messages = outbox_rows(kind=kind)
    delivered = delivered_keys(box)
    rows = db.session.scalars(select(DeadlineAlert).filter_by(kind=kind).order_by(DeadlineAlert.id))
    return Counter(
        {
            (alert.case_id, alert.due, alert.step, alert.user_id): sum(
                delivered[message.key]
                for message in messages
                if message.recipient_user_id == alert.user_id
                and message.created_at == alert.created_at
                and re.search(rf"/cases/{alert.case_id}$", message.body_text, re.MULTILINE)
            )
            for alert in rows
        }
    )

"""Upgrading to deadline alerts carries over the alerts already e-mailed one case
at a time, so nobody is alerted twice about the same deadline."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.notify.models import DeadlineAlert
from inspect_app.notify.services import queue_message
from inspect_app.scheduler.jobs import tick
from tests.notify.conftest import at, outbox_rows, set_due

S = CaseStatus

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations/versions/6d3bb988d5fa_deadline_alerts.py"
)


def _carry_over() -> None:
    spec = importlib.util.spec_from_file_location("deadline_alerts_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = MigrationContext.configure(db.session.connection())
    with Operations.context(context):
        module._carry_over_sent_alerts()


def test_alerts_sent_under_the_old_keys_are_not_sent_again(org, make_case, mailbox):
    due = date(2027, 1, 18)
    case = set_due(make_case(S.INVESTIGATING), due)
    old = f"overdue:case={case.id}:due={due}:user={org.lead.id}"
    queue_message(
        key=old,
        recipient=org.lead.email,
        subject="Quá hạn",
        text="…",
        html="…",
        kind="overdue",
        case=case,
        now=at(date(2027, 1, 19)),
    )
    queue_message(
        key="digest:user=1:date=2027-01-19",
        recipient=org.lead.email,
        subject="Tóm tắt",
        text="…",
        html="…",
        kind="digest",
        now=at(date(2027, 1, 19)),
    )
    _carry_over()
    db.session.commit()

    (alert,) = db.session.scalars(select(DeadlineAlert))
    (message,) = outbox_rows(kind="overdue")
    assert (alert.kind, alert.case_id, alert.due, alert.step, alert.user_id) == (
        "overdue",
        case.id,
        due,
        0,
        org.lead.id,
    )
    assert alert.created_at == message.created_at

    tick(at(date(2027, 1, 20)))
    assert [row.key for row in outbox_rows(kind="overdue")] == [old]

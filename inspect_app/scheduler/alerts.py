"""Deadline alerts, decided in the database and sent one e-mail per officer.

Which officer must hear about which deadline is one `INSERT … SELECT … ON CONFLICT
DO NOTHING` per rule over every open case: the unique (case, deadline, kind, step,
officer) of `deadline_alerts` makes deciding again a no-op, however many ticks or
processes run. The new alerts (those no e-mail carries yet) are then gathered per
officer and kind into one e-mail listing the cases, so a lead with forty cases
falling overdue overnight gets one message, not forty; the alerts point to it.
Both happen in the job's transaction: alerts and their e-mail commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import NamedTuple

from sqlalchemy import Select, and_, literal, or_, select, update
from sqlalchemy.orm import aliased

from inspect_app.accounts.models import Office, User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.dbtypes import UTCDateTime
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from inspect_app.notify.emails import (
    Email,
    overdue_email,
    overdue_list_email,
    reminder_email,
    reminder_list_email,
)
from inspect_app.notify.models import AlertKind, DeadlineAlert, MessageKind
from inspect_app.notify.services import OfficerMessage, dialect_insert, queue_officer_message

# An e-mail lists this many cases, then links to the queue for the rest.
MAX_LISTED = 25

_ALERT_COLUMNS = ("case_id", "due", "kind", "step", "user_id", "created_at")
_UNIQUE = ("case_id", "due", "kind", "step", "user_id")


@dataclass
class AlertsQueued:
    """What a job decided: new alerts, and the e-mails that carry them."""

    alerts: int = 0
    emails: int = 0

    def __str__(self) -> str:
        alerts = "alert" if self.alerts == 1 else "alerts"
        emails = "e-mail" if self.emails == 1 else "e-mails"
        return f"{self.alerts} {alerts} in {self.emails} {emails}"


# --- deciding, set-based -------------------------------------------------------------


def _open_cases_due(*conditions) -> list:
    return [
        Case.status.in_([status.value for status in OPEN_STATUSES]),
        Case.next_due.is_not(None),
        *conditions,
    ]


def _alert_columns(kind: AlertKind, step: int, user_id, now: datetime) -> tuple:
    """The SELECT list matching `_ALERT_COLUMNS`."""
    return (
        Case.id,
        Case.next_due,
        literal(kind.value),
        literal(step),
        user_id,
        literal(now, UTCDateTime()),
    )


def _to_assignees(kind: AlertKind, step: int, now: datetime, *conditions) -> Select:
    """Cases with an active assignee: to the assignee."""
    return (
        select(*_alert_columns(kind, step, User.id, now))
        .join(User, User.id == Case.assignee_id)
        .where(User.active, *_open_cases_due(*conditions))
    )


def _to_team_leads(
    kind: AlertKind, step: int, now: datetime, *conditions, unassigned_only: bool
) -> Select:
    """To the active team lead(s) of the case's team; with ``unassigned_only``,
    for cases nobody (active) is assigned to."""
    lead = aliased(User)
    query = select(*_alert_columns(kind, step, lead.id, now)).join(
        lead,
        and_(lead.team_id == Case.team_id, lead.role == Role.TEAM_LEAD.value, lead.active),
    )
    if unassigned_only:
        assignee = aliased(User)
        query = query.outerjoin(assignee, assignee.id == Case.assignee_id).where(
            or_(Case.assignee_id.is_(None), assignee.active.is_(False))
        )
    return query.where(*_open_cases_due(*conditions))


def _to_directors(kind: AlertKind, now: datetime, *conditions) -> Select:
    """To the active director(s) of the case's province."""
    director = aliased(User)
    return (
        select(*_alert_columns(kind, 0, director.id, now))
        .join(Office, Office.province_code == Case.province_code)
        .join(
            director,
            and_(
                director.office_id == Office.id,
                director.role == Role.DIRECTOR.value,
                director.active,
            ),
        )
        .where(*_open_cases_due(*conditions))
    )


def _insert_alerts(query: Select) -> None:
    statement = (
        dialect_insert()(DeadlineAlert)
        .from_select(_ALERT_COLUMNS, query)
        .on_conflict_do_nothing(index_elements=_UNIQUE)
    )
    db.session.execute(statement)


def record_reminders(steps: dict[int, list[date]], now: datetime) -> None:
    """Reminders for cases due on the given days, ``steps`` working days before:
    to the assignee, or to the team lead(s) of a case nobody is assigned to."""
    for step, days in steps.items():
        due_then = Case.next_due.in_(days)
        _insert_alerts(_to_assignees(AlertKind.REMINDER, step, now, due_then))
        _insert_alerts(
            _to_team_leads(AlertKind.REMINDER, step, now, due_then, unassigned_only=True)
        )


def record_overdue(today: date, director_after_days: int, now: datetime) -> None:
    """Every overdue case to its team lead(s); to the province's director(s) once
    ``director_after_days`` days overdue."""
    overdue = Case.next_due < today
    _insert_alerts(_to_team_leads(AlertKind.OVERDUE, 0, now, overdue, unassigned_only=False))
    escalated = Case.next_due <= today - timedelta(days=director_after_days)
    _insert_alerts(_to_directors(AlertKind.ESCALATION, now, escalated))


# --- telling, one e-mail per officer and kind ----------------------------------------


class AlertedCase(NamedTuple):
    """A case as an e-mail lists it; `next_due` is the deadline alerted about."""

    id: int
    title: str
    next_due: date


@dataclass(frozen=True)
class AlertContext:
    today: date
    calendar: WorkingCalendar
    director_after_days: int


def _new_alerts(kinds: Iterable[AlertKind]):
    return db.session.execute(
        select(
            DeadlineAlert.id.label("alert_id"),
            DeadlineAlert.user_id,
            DeadlineAlert.kind,
            Case.id,
            Case.title,
            DeadlineAlert.due,
        )
        .join(Case, Case.id == DeadlineAlert.case_id)
        .where(
            DeadlineAlert.outbox_message_id.is_(None),
            DeadlineAlert.kind.in_([kind.value for kind in kinds]),
        )
        .order_by(DeadlineAlert.user_id, DeadlineAlert.kind, DeadlineAlert.due, Case.id)
    ).all()


def _email(
    user: User, kind: AlertKind, cases: Sequence[AlertedCase], context: AlertContext
) -> Callable[[], Email]:
    """A builder of the e-mail: the single-case wording when there is one case."""
    after = context.director_after_days if kind is AlertKind.ESCALATION else 0
    if len(cases) == 1:
        case = db.session.get(Case, cases[0].id)
        if kind is AlertKind.REMINDER:
            return lambda: reminder_email(user, case, context.today, context.calendar)
        days = (context.today - cases[0].next_due).days
        return lambda: overdue_email(user, case, days, director_after=after)
    listed = cases[:MAX_LISTED]
    if kind is AlertKind.REMINDER:
        return lambda: reminder_list_email(
            user, listed, len(cases), context.today, context.calendar
        )
    return lambda: overdue_list_email(
        user, listed, len(cases), context.today, context.calendar, director_after=after
    )


def send_new_alerts(
    kinds: Iterable[AlertKind], context: AlertContext, now: datetime
) -> AlertsQueued:
    """One e-mail (and in-app notification) per officer and kind for the alerts no
    e-mail carries yet; the alerts then point to it."""
    rows = _new_alerts(kinds)
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_(sorted({r.user_id for r in rows})))
        )
    }
    result = AlertsQueued(alerts=len(rows))
    for (user_id, kind), group in groupby(rows, key=lambda r: (r.user_id, r.kind)):
        alerts = list(group)
        cases = [AlertedCase(r.id, r.title, r.due) for r in alerts]
        alert_kind = AlertKind(kind)
        message = OfficerMessage(
            key=f"{kind}:user={user_id}:alert={alerts[0].alert_id}",
            kind=MessageKind(kind),
            user=users[user_id],
            case_id=cases[0].id if len(cases) == 1 else None,
            build=_email(users[user_id], alert_kind, cases, context),
        )
        message_id = queue_officer_message(message, now)
        db.session.execute(
            update(DeadlineAlert)
            .where(
                DeadlineAlert.user_id == user_id,
                DeadlineAlert.kind == kind,
                DeadlineAlert.outbox_message_id.is_(None),
            )
            .values(outbox_message_id=message_id)
            .execution_options(synchronize_session=False)
        )
        result.emails += 1
    return result

"""Deadline alerts, decided in the database and sent one e-mail per officer.

Which officer must hear about which deadline is one `INSERT … SELECT … ON CONFLICT
DO NOTHING RETURNING` per rule over every open case: the unique (case, deadline,
kind, step, officer) of `deadline_alerts` makes deciding again a no-op, however
many ticks or processes run. The new alerts it returns are then gathered per
officer and kind into one e-mail listing the cases, so a lead with forty cases
falling overdue overnight gets one message, not forty. Both happen in the job's
transaction: alerts and their e-mail commit together, with the same `created_at`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import batched, groupby
from typing import NamedTuple

from sqlalchemy import Select, and_, literal, or_, select
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
from inspect_app.notify.services import OfficerMessage, dialect_insert, insert_officer_messages

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


class NewAlert(NamedTuple):
    id: int
    case_id: int
    due: date
    kind: str
    user_id: int


def _insert_alerts(query: Select) -> list[NewAlert]:
    statement = (
        dialect_insert()(DeadlineAlert)
        .from_select(_ALERT_COLUMNS, query)
        .on_conflict_do_nothing(index_elements=_UNIQUE)
        .returning(
            DeadlineAlert.id,
            DeadlineAlert.case_id,
            DeadlineAlert.due,
            DeadlineAlert.kind,
            DeadlineAlert.user_id,
        )
    )
    return [NewAlert(*row) for row in db.session.execute(statement)]


def record_reminders(steps: dict[int, list[date]], now: datetime) -> list[NewAlert]:
    """Reminders for cases due on the given days, ``steps`` working days before:
    to the assignee, or to the team lead(s) of a case nobody is assigned to."""
    new = []
    for step, days in steps.items():
        due_then = Case.next_due.in_(days)
        new += _insert_alerts(_to_assignees(AlertKind.REMINDER, step, now, due_then))
        new += _insert_alerts(
            _to_team_leads(AlertKind.REMINDER, step, now, due_then, unassigned_only=True)
        )
    return new


def record_overdue(today: date, director_after_days: int, now: datetime) -> list[NewAlert]:
    """Every overdue case to its team lead(s); to the province's director(s) once
    ``director_after_days`` days overdue."""
    overdue = Case.next_due < today
    new = _insert_alerts(_to_team_leads(AlertKind.OVERDUE, 0, now, overdue, unassigned_only=False))
    escalated = Case.next_due <= today - timedelta(days=director_after_days)
    return new + _insert_alerts(_to_directors(AlertKind.ESCALATION, now, escalated))


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


def case_titles(case_ids: set[int]) -> dict[int, str]:
    titles: dict[int, str] = {}
    for chunk in batched(sorted(case_ids), 1000):
        rows = db.session.execute(select(Case.id, Case.title).where(Case.id.in_(chunk)))
        titles.update({case_id: title for case_id, title in rows})
    return titles


def _email(
    user: User, kind: AlertKind, cases: Sequence[AlertedCase], total: int, context: AlertContext
) -> Callable[[], Email]:
    """A builder of the e-mail: the single-case wording when there is one case."""
    after = context.director_after_days if kind is AlertKind.ESCALATION else 0
    if total == 1:
        case = db.session.get(Case, cases[0].id)
        if kind is AlertKind.REMINDER:
            return lambda: reminder_email(user, case, context.today, context.calendar)
        days = (context.today - cases[0].next_due).days
        return lambda: overdue_email(user, case, days, director_after=after)
    if kind is AlertKind.REMINDER:
        return lambda: reminder_list_email(user, cases, total, context.today, context.calendar)
    return lambda: overdue_list_email(
        user, cases, total, context.today, context.calendar, director_after=after
    )


def send_alerts(alerts: list[NewAlert], context: AlertContext, now: datetime) -> AlertsQueued:
    """One e-mail (and in-app notification) per officer and kind for new alerts,
    listing the cases by deadline (at most MAX_LISTED of them)."""
    alerts = sorted(alerts, key=lambda a: (a.user_id, a.kind, a.due, a.case_id))
    groups = [
        (user_id, AlertKind(kind), list(group))
        for (user_id, kind), group in groupby(alerts, key=lambda a: (a.user_id, a.kind))
    ]
    users = (
        {
            user.id: user
            for user in db.session.scalars(
                select(User).where(User.id.in_(sorted({a.user_id for a in alerts})))
            )
        }
        if alerts
        else {}
    )
    titles = case_titles({a.case_id for _user, _kind, group in groups for a in group[:MAX_LISTED]})
    messages = []
    for user_id, kind, group in groups:
        listed = [AlertedCase(a.case_id, titles[a.case_id], a.due) for a in group[:MAX_LISTED]]
        messages.append(
            OfficerMessage(
                key=f"{kind}:user={user_id}:alert={min(a.id for a in group)}",
                kind=MessageKind(kind),
                user=users[user_id],
                case_id=listed[0].id if len(group) == 1 else None,
                build=_email(users[user_id], kind, listed, len(group), context),
            )
        )
    insert_officer_messages(messages, now)
    return AlertsQueued(alerts=len(alerts), emails=len(messages))

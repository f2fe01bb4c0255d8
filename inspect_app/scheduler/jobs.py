"""The scheduled jobs, and `tick`, one pass of all of them.

Every job takes the instant it runs for (`now`, aware UTC) and may run any number
of times: what it decides to send is an outbox row with a unique key, so a second
pass — or a second process, or an operator's `scheduler tick` — adds nothing. The
jobs that write to people act only on working days within JOB_HOURS (Vietnam time);
the evidence sweep and the outbox sender run whenever they are called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import cache, partial

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inspect_app.accounts.models import Office, User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, LOCAL_TZ, local_day
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.core.settings import get_setting, set_setting
from inspect_app.dbsetup import write_intent
from inspect_app.deadlines.calendar import WorkingCalendar, load_calendar
from inspect_app.evidence.sweep import sweep_configured_storage
from inspect_app.extensions import db
from inspect_app.notify.emails import digest_email, overdue_email, reminder_email
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import MessageKind
from inspect_app.notify.services import (
    DeliveryResult,
    OfficerMessage,
    deliver_pending,
    queue_officer_messages,
)

log = logging.getLogger(__name__)

LAST_SWEEP_SETTING = "scheduler.last_evidence_sweep"


# --- configuration ----------------------------------------------------------------


def reminder_days() -> tuple[int, ...]:
    """REMINDER_WORKING_DAYS ("3,1"): how many working days before a deadline."""
    raw = str(current_app.config["REMINDER_WORKING_DAYS"])
    return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))


def job_hours() -> tuple[int, int]:
    """JOB_HOURS ("7-18"): jobs act from the first hour up to, not including, the last."""
    start, _sep, end = str(current_app.config["JOB_HOURS"]).partition("-")
    return int(start), int(end)


def in_office_hours(now: datetime, calendar: WorkingCalendar) -> bool:
    local = now.astimezone(LOCAL_TZ)
    start, end = job_hours()
    return start <= local.hour < end and calendar.is_working_day(local.date())


# --- who hears about a case -------------------------------------------------------


def _team_leads(team_id: int | None) -> list[User]:
    if team_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == team_id, User.role == Role.TEAM_LEAD.value, User.active)
            .order_by(User.id)
        )
    )


def _directors(province_code: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Office, User.office_id == Office.id)
            .where(
                Office.province_code == province_code,
                User.role == Role.DIRECTOR.value,
                User.active,
            )
            .order_by(User.id)
        )
    )


def _responsible(case: Case, team_leads: Callable[[int | None], list[User]]) -> list[User]:
    """The assignee, or the team's lead(s) while nobody is assigned."""
    if case.assignee is not None and case.assignee.active:
        return [case.assignee]
    return team_leads(case.team_id)


def _open_cases(*conditions) -> list[Case]:
    return list(
        db.session.scalars(
            select(Case)
            .options(selectinload(Case.assignee))
            .where(Case.status.in_([s.value for s in OPEN_STATUSES]), Case.next_due.is_not(None))
            .where(*conditions)
            .order_by(Case.next_due, Case.id)
        )
    )


# --- the jobs ---------------------------------------------------------------------


def reminder_step(
    due: date, today: date, days: tuple[int, ...], calendar: WorkingCalendar
) -> int | None:
    """The reminder due today: the smallest N whose "N working days before" has come.

    Smallest, so that after downtime only the most urgent reminder goes out."""
    reached = [n for n in days if calendar.add_working_days(due, -n) <= today]
    return min(reached) if reached else None


def queue_deadline_reminders(now: datetime) -> int | None:
    """One reminder per (case, deadline, N) to whoever is responsible for the case."""
    calendar = load_calendar()
    if not in_office_hours(now, calendar):
        return None
    today, days = local_day(now), reminder_days()
    if not days:
        return 0
    horizon = calendar.add_working_days(today, max(days) + 1)
    messages, team_leads = [], cache(_team_leads)
    for case in _open_cases(Case.next_due >= today, Case.next_due < horizon):
        step = reminder_step(case.next_due, today, days, calendar)
        if step is None:
            continue
        for user in _responsible(case, team_leads):
            key = f"reminder:case={case.id}:due={case.next_due}:before={step}:user={user.id}"
            build = partial(reminder_email, user, case, today, calendar)
            messages.append(OfficerMessage(key, MessageKind.REMINDER, user, case, build))
    return queue_officer_messages(messages, now)


def queue_overdue_escalations(now: datetime) -> int | None:
    """Once per (case, deadline): to the team lead(s) when overdue, and to the
    province's director(s) once ESCALATE_TO_DIRECTOR_DAYS days overdue."""
    calendar = load_calendar()
    if not in_office_hours(now, calendar):
        return None
    today = local_day(now)
    after = int(current_app.config["ESCALATE_TO_DIRECTOR_DAYS"])
    messages, team_leads, directors = [], cache(_team_leads), cache(_directors)
    for case in _open_cases(Case.next_due < today):
        days = (today - case.next_due).days
        prefix = f"case={case.id}:due={case.next_due}"
        for lead in team_leads(case.team_id):
            build = partial(overdue_email, lead, case, days)
            key = f"overdue:{prefix}:user={lead.id}"
            messages.append(OfficerMessage(key, MessageKind.OVERDUE, lead, case, build))
        if days < after:
            continue
        for director in directors(case.province_code):
            build = partial(overdue_email, director, case, days, director_after=after)
            key = f"escalation:{prefix}:user={director.id}"
            messages.append(OfficerMessage(key, MessageKind.ESCALATION, director, case, build))
    return queue_officer_messages(messages, now)


def _officers_cases(officer: User, cases: list[Case]) -> list[Case]:
    """An inspector's own cases; a team lead's own and their team's."""
    lead = officer.role_enum is Role.TEAM_LEAD
    return [
        case
        for case in cases
        if case.assignee_id == officer.id or (lead and case.team_id == officer.team_id)
    ]


def queue_morning_digests(now: datetime) -> int | None:
    """From DIGEST_HOUR, one digest per officer per day of their overdue and due-soon
    cases; none for an officer with nothing pressing."""
    calendar = load_calendar()
    local = now.astimezone(LOCAL_TZ)
    if not in_office_hours(now, calendar) or local.hour < current_app.config["DIGEST_HOUR"]:
        return None
    today = local.date()
    horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS + 1)
    pressing = _open_cases(Case.next_due < horizon)
    officers = db.session.scalars(
        select(User)
        .where(User.role.in_([Role.INSPECTOR.value, Role.TEAM_LEAD.value]), User.active)
        .order_by(User.id)
    )
    messages = []
    for officer in officers:
        theirs = _officers_cases(officer, pressing)
        if not theirs:
            continue
        build = partial(digest_email, officer, today, theirs, calendar)
        key = f"digest:user={officer.id}:date={today}"
        messages.append(OfficerMessage(key, MessageKind.DIGEST, officer, None, build, False))
    return queue_officer_messages(messages, now)


def run_evidence_sweep(now: datetime) -> str | None:
    """The evidence storage sweep, once per local day."""
    today = local_day(now).isoformat()
    if get_setting(LAST_SWEEP_SETTING) == today:
        return None
    result = sweep_configured_storage()
    set_setting(LAST_SWEEP_SETTING, today)
    if result.missing:
        log.warning("evidence sweep: %d photos lack files", len(result.missing))
    return f"{len(result.removed)} files removed, {len(result.missing)} photos lack files"


def send_outbox(now: datetime) -> DeliveryResult:
    return deliver_pending(now, SmtpSettings.from_config(current_app.config))


# --- one pass ---------------------------------------------------------------------

JOBS: tuple[tuple[str, Callable[[datetime], object]], ...] = (
    ("reminders", queue_deadline_reminders),
    ("escalations", queue_overdue_escalations),
    ("digests", queue_morning_digests),
    ("evidence sweep", run_evidence_sweep),
    ("outbox", send_outbox),
)


def tick(now: datetime) -> dict[str, str]:
    """Run every job once for ``now``, each in its own write transaction.

    A failing job is logged and does not stop the others (the outbox still sends).
    Returns a line per job: a count, "not now", or what went wrong.
    """
    summary = {}
    for name, job in JOBS:
        with write_intent():
            try:
                outcome = job(now)
                db.session.commit()
            except Exception as exc:  # one job's failure must not stop the rest
                db.session.rollback()
                log.exception("scheduler job %s failed", name)
                outcome = f"failed: {type(exc).__name__}"
        summary[name] = "not now" if outcome is None else str(outcome)
    return summary

"""The scheduled jobs, and `tick`, one pass of all of them.

Every job takes the instant it runs for (`now`, aware UTC) and may run any number
of times: what it decides to send is an outbox row with a unique key, so a second
pass — or a second process, or an operator's `scheduler tick` — adds nothing. The
jobs that write to people act only on working days within JOB_HOURS (Vietnam time);
the evidence sweep and the outbox sender run whenever they are called.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import or_, select

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, LOCAL_TZ, local_day
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.core.settings import get_setting, set_setting
from inspect_app.dbsetup import write_intent
from inspect_app.deadlines.calendar import WorkingCalendar, load_calendar
from inspect_app.evidence.sweep import sweep_configured_storage
from inspect_app.extensions import db
from inspect_app.notify.emails import digest_email
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import MessageKind
from inspect_app.notify.services import (
    DeliveryResult,
    OfficerMessage,
    deliver_pending,
    queue_officer_messages,
    queued_keys,
)
from inspect_app.scheduler.alerts import (
    MAX_LISTED,
    AlertContext,
    AlertedCase,
    AlertsQueued,
    case_titles,
    record_overdue,
    record_reminders,
    send_alerts,
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


# --- the jobs ---------------------------------------------------------------------


def reminder_step(
    due: date, today: date, days: tuple[int, ...], calendar: WorkingCalendar
) -> int | None:
    """The reminder due today: the smallest N whose "N working days before" has come.

    Smallest, so that after downtime only the most urgent reminder goes out."""
    reached = [n for n in days if calendar.add_working_days(due, -n) <= today]
    return min(reached) if reached else None


def reminder_steps(
    today: date, days: tuple[int, ...], calendar: WorkingCalendar
) -> dict[int, list[date]]:
    """The deadlines (today onwards) that have a reminder due today, by step."""
    steps: dict[int, list[date]] = {}
    horizon = calendar.add_working_days(today, max(days) + 1)
    due = today
    while due < horizon:
        step = reminder_step(due, today, days, calendar)
        if step is not None:
            steps.setdefault(step, []).append(due)
        due += timedelta(days=1)
    return steps


def _context(now: datetime, calendar: WorkingCalendar) -> AlertContext:
    after = int(current_app.config["ESCALATE_TO_DIRECTOR_DAYS"])
    return AlertContext(local_day(now), calendar, after)


def queue_deadline_reminders(now: datetime) -> AlertsQueued | None:
    """Once per (case, deadline, N): to whoever is responsible for the case."""
    calendar = load_calendar()
    if not in_office_hours(now, calendar):
        return None
    days = reminder_days()
    if not days:
        return AlertsQueued()
    context = _context(now, calendar)
    new = record_reminders(reminder_steps(context.today, days, calendar), now)
    return send_alerts(new, context, now)


def queue_overdue_escalations(now: datetime) -> AlertsQueued | None:
    """Once per (case, deadline): to the team lead(s) when overdue, and to the
    province's director(s) once ESCALATE_TO_DIRECTOR_DAYS days overdue."""
    calendar = load_calendar()
    if not in_office_hours(now, calendar):
        return None
    context = _context(now, calendar)
    new = record_overdue(context.today, context.director_after_days, now)
    return send_alerts(new, context, now)


def _pressing_cases(horizon: date, officers: list[User]) -> list:
    """Open cases due before ``horizon`` of these officers (assigned, or in a team
    they lead), in deadline order; titles come later, for the listed ones only."""
    leads_teams = {o.team_id for o in officers if o.role_enum is Role.TEAM_LEAD and o.team_id}
    mine = Case.assignee_id.in_([officer.id for officer in officers])
    return db.session.execute(
        select(Case.id, Case.next_due, Case.team_id, Case.assignee_id)
        .where(
            Case.status.in_([s.value for s in OPEN_STATUSES]),
            Case.next_due < horizon,
            or_(mine, Case.team_id.in_(leads_teams)) if leads_teams else mine,
        )
        .order_by(Case.next_due, Case.id)
    ).all()


def _officers_cases(officer: User, by_team: dict, by_assignee: dict) -> list:
    """An inspector's own cases; a team lead's own and their team's (deadline order)."""
    own = by_assignee.get(officer.id, [])
    if officer.role_enum is not Role.TEAM_LEAD:
        return own
    team = by_team.get(officer.team_id, [])
    elsewhere = [case for case in own if case.team_id != officer.team_id]
    return sorted(team + elsewhere, key=lambda c: (c.next_due, c.id)) if elsewhere else team


def queue_morning_digests(now: datetime) -> int | None:
    """From DIGEST_HOUR, one digest per officer per day of their overdue and due-soon
    cases; none for an officer with nothing pressing."""
    calendar = load_calendar()
    local = now.astimezone(LOCAL_TZ)
    if not in_office_hours(now, calendar) or local.hour < current_app.config["DIGEST_HOUR"]:
        return None
    today = local.date()
    officers = db.session.scalars(
        select(User)
        .where(User.role.in_([Role.INSPECTOR.value, Role.TEAM_LEAD.value]), User.active)
        .order_by(User.id)
    )
    keys = {officer: f"digest:user={officer.id}:date={today}" for officer in officers}
    known = queued_keys(keys.values())
    waiting = [officer for officer, key in keys.items() if key not in known]
    if not waiting:
        return 0
    horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS + 1)
    by_team, by_assignee = defaultdict(list), defaultdict(list)
    for case in _pressing_cases(horizon, waiting):
        by_team[case.team_id].append(case)
        by_assignee[case.assignee_id].append(case)
    theirs = {}
    for officer in waiting:
        if cases := _officers_cases(officer, by_team, by_assignee):
            theirs[officer] = cases
    titles = case_titles({case.id for cases in theirs.values() for case in cases[:MAX_LISTED]})
    messages = []
    for officer, cases in theirs.items():
        listed = [AlertedCase(c.id, titles[c.id], c.next_due) for c in cases[:MAX_LISTED]]
        overdue = sum(1 for case in cases if case.next_due < today)
        build = partial(digest_email, officer, today, listed, len(cases), overdue, calendar)
        messages.append(
            OfficerMessage(keys[officer], MessageKind.DIGEST, officer, None, build, False)
        )
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

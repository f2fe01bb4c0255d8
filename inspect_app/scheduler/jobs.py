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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import and_, func, select, union
from sqlalchemy import case as sql_case
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.api.services import purge_idempotent_requests
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, LOCAL_TZ, local_day
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.core.settings import get_setting, set_setting
from inspect_app.dbsetup import write_intent
from inspect_app.dbtypes import utcnow
from inspect_app.deadlines.calendar import WorkingCalendar, load_calendar
from inspect_app.evidence.sweep import sweep_configured_storage
from inspect_app.extensions import db
from inspect_app.notify.emails import digest_email
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import MessageKind
from inspect_app.notify.officer_events import queue_notice_digests
from inspect_app.notify.services import (
    DeliveryResult,
    OfficerMessage,
    deliver_pending,
    queue_officer_messages,
    queued_keys,
)
from inspect_app.observability.context import bind_request_id, new_request_id, unbind_request_id
from inspect_app.retention.services import retention_pass
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
from inspect_app.scheduler.models import SchedulerJobRun

log = logging.getLogger(__name__)

LAST_SWEEP_SETTING = "scheduler.last_evidence_sweep"
LAST_RETENTION_SETTING = "scheduler.last_retention_run"


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


@dataclass
class DigestList:
    """An officer's pressing cases: the first MAX_LISTED in deadline order, how
    many there are, and how many of them are overdue."""

    first: list = field(default_factory=list)
    total: int = 0
    overdue: int = 0


def _digest_lists(today: date, horizon: date, officers: list[User]) -> dict[int, DigestList]:
    """Open cases due before ``horizon`` per officer — assigned to them, or in the
    team they lead — ranked and counted in the database."""
    ids = [officer.id for officer in officers]
    pressing = (Case.status.in_([s.value for s in OPEN_STATUSES]), Case.next_due < horizon)
    lead = aliased(User)
    both = union(
        select(Case.assignee_id.label("officer_id"), Case.id.label("case_id"), Case.next_due).where(
            *pressing, Case.assignee_id.in_(ids)
        ),
        select(lead.id, Case.id, Case.next_due)
        .join(lead, and_(lead.team_id == Case.team_id, lead.role == Role.TEAM_LEAD.value))
        .where(*pressing, lead.id.in_(ids)),
    ).subquery()
    per_officer = {"partition_by": both.c.officer_id}
    ranked = select(
        both,
        func.row_number()
        .over(**per_officer, order_by=(both.c.next_due, both.c.case_id))
        .label("position"),
        func.count().over(**per_officer).label("total"),
        func.sum(sql_case((both.c.next_due < today, 1), else_=0))
        .over(**per_officer)
        .label("overdue"),
    ).subquery()
    rows = db.session.execute(
        select(ranked)
        .where(ranked.c.position <= MAX_LISTED)
        .order_by(ranked.c.officer_id, ranked.c.position)
    )
    lists: dict[int, DigestList] = defaultdict(DigestList)
    for row in rows:
        digest = lists[row.officer_id]
        digest.first.append(row)
        digest.total, digest.overdue = row.total, row.overdue
    return lists


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
    lists = _digest_lists(today, horizon, waiting)
    titles = case_titles({row.case_id for digest in lists.values() for row in digest.first})
    messages = []
    for officer in waiting:
        if (digest := lists.get(officer.id)) is None:
            continue
        listed = [AlertedCase(r.case_id, titles[r.case_id], r.next_due) for r in digest.first]
        build = partial(
            digest_email, officer, today, listed, digest.total, digest.overdue, calendar
        )
        messages.append(
            OfficerMessage(keys[officer], MessageKind.DIGEST, officer, None, build, False)
        )
    return queue_officer_messages(messages, now)


def queue_notice_digest_emails(now: datetime) -> int | None:
    """From DIGEST_HOUR, one e-mail per officer of the notices they chose to get
    in the daily e-mail (assignments, reopened cases, … see notify/officer_events)."""
    calendar = load_calendar()
    local = now.astimezone(LOCAL_TZ)
    if not in_office_hours(now, calendar) or local.hour < current_app.config["DIGEST_HOUR"]:
        return None
    return queue_notice_digests(now, local.date())


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


def run_retention(now: datetime) -> str | None:
    """The retention schedule, once per local day: personal data past its time goes."""
    today = local_day(now).isoformat()
    if get_setting(LAST_RETENTION_SETTING) == today:
        return None
    result = retention_pass(now)
    # The API's stored answers to Idempotency-Key retries, kept 24 hours.
    answers = purge_idempotent_requests(now)
    set_setting(LAST_RETENTION_SETTING, today)
    return (
        f"personal data of {result.reports} reports destroyed, "
        f"{answers} API answers past 24 hours purged"
    )


def send_outbox(now: datetime) -> DeliveryResult:
    return deliver_pending(now, SmtpSettings.from_config(current_app.config))


# --- one pass ---------------------------------------------------------------------

JOBS: tuple[tuple[str, Callable[[datetime], object]], ...] = (
    ("reminders", queue_deadline_reminders),
    ("escalations", queue_overdue_escalations),
    ("digests", queue_morning_digests),
    ("retention", run_retention),
    ("notice digests", queue_notice_digest_emails),
    ("evidence sweep", run_evidence_sweep),
    ("outbox", send_outbox),
)


def tick(now: datetime) -> dict[str, str]:
    """Run every job once for ``now``, each in its own write transaction.

    A failing job is logged and does not stop the others (the outbox still sends).
    Returns a line per job: a count, "not now", or what went wrong.
    """
    summary = {}
    token = bind_request_id(f"tick-{new_request_id()}")
    try:
        for name, job in JOBS:
            with write_intent():
                try:
                    outcome = job(now)
                    _record_run(name, succeeded=True)
                    db.session.commit()
                except Exception as exc:  # one job's failure must not stop the rest
                    db.session.rollback()
                    log.exception("scheduler job %s failed", name)
                    outcome = f"failed: {type(exc).__name__}"
                    failed = True
                else:
                    failed = False
            if failed:
                _record_failure(name)
            summary[name] = "not now" if outcome is None else str(outcome)
    finally:
        unbind_request_id(token)
    return summary


def _record_run(name: str, *, succeeded: bool) -> None:
    """When the job last succeeded or failed (wall-clock time, whatever ``now`` the
    pass was run for), in the caller's transaction."""
    run = db.session.get(SchedulerJobRun, name)
    if run is None:
        run = SchedulerJobRun(name=name)
        db.session.add(run)
    if succeeded:
        run.last_success_at = utcnow()
    else:
        run.last_failure_at = utcnow()


def _record_failure(name: str) -> None:
    with write_intent():
        try:
            _record_run(name, succeeded=False)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("could not record the failure of scheduler job %s", name)

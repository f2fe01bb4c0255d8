"""The deadlines of a case: computed from the case's policy and the working-day
calendar on every transition, and described for people ("còn 3 ngày làm việc")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.deadlines.calendar import WorkingCalendar, load_calendar
from inspect_app.deadlines.models import CalendarOverride, DeadlinePolicy
from inspect_app.deadlines.services import active_policy, compute
from inspect_app.extensions import db
from inspect_app.geo.cache import cached, watch

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DUE_SOON_WORKING_DAYS = 3


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of `day` in Vietnam (a day's end is the next day's start)."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def case_policy(case: Case) -> DeadlinePolicy:
    """The policy the case's deadlines were first computed with (recorded on the case),
    so a later policy change applies to new cases only."""
    if case.deadline_policy_id is not None:
        return db.session.get(DeadlinePolicy, case.deadline_policy_id)
    policy = active_policy(case.kind, case.category_id, case.priority)
    case.deadline_policy_id = policy.id
    return policy


def recompute_deadlines(case: Case, now: datetime, calendar: WorkingCalendar | None = None) -> None:
    """Fill accept/notify/resolve due dates and `next_due` for the case's state."""
    calendar = calendar or load_calendar()
    policy = case_policy(case)
    received = local_day(case.received_at)
    case.accept_due = compute("accept", received, policy, calendar)
    if case.accepted_at is not None:
        accepted = local_day(case.accepted_at)
        case.notify_due = (
            compute("notify", accepted, policy, calendar) if policy.notify_working_days else None
        )
        # Extensions count from the unextended resolution deadline (the same rule
        # `flask deadlines compute --rule extend1` prints).
        case.resolve_due = compute("resolve", accepted, policy, calendar)
        if case.extensions:
            case.resolve_due = compute(
                f"extend{case.extensions}", case.resolve_due, policy, calendar
            )
    status = case.status_enum
    if status is CaseStatus.NEW:
        case.next_due = case.accept_due
    elif status in (CaseStatus.ACCEPTED, CaseStatus.ASSIGNED, CaseStatus.INVESTIGATING):
        case.next_due = case.resolve_due
    else:
        case.next_due = None


def extension_allowed(case: Case) -> bool:
    return case.extensions < case_policy(case).max_extensions


@dataclass
class DeadlineStatus:
    level: str  # "none" | "ok" | "soon" | "overdue"
    label: str
    working_days_left: int | None


NO_DEADLINE = DeadlineStatus("none", "", None)


def deadline_status(
    case: Case, today: date | None = None, calendar: WorkingCalendar | None = None
) -> DeadlineStatus:
    if case.next_due is None:
        return NO_DEADLINE
    today = today or datetime.now(LOCAL_TZ).date()
    return due_status(case.next_due, today, calendar or load_calendar())


def due_status(due: date, today: date, calendar: WorkingCalendar) -> DeadlineStatus:
    if today > due:
        days = (today - due).days
        return DeadlineStatus(
            "overdue", ngettext("%(num)d day overdue", "%(num)d days overdue", days), -days
        )
    left = calendar.working_days_between(today, due)
    level = "soon" if left <= DUE_SOON_WORKING_DAYS else "ok"
    if left == 0:
        return DeadlineStatus(level, str(_l("due today")), 0)
    label = ngettext("%(num)d working day left", "%(num)d working days left", left)
    return DeadlineStatus(level, label, left)


def due_statuses(
    dues: Iterable[date | None], today: date, calendar: WorkingCalendar
) -> dict[date | None, DeadlineStatus]:
    """The status of each distinct due date (a queue page sorted by deadline has
    many cases due the same day)."""
    return {
        due: NO_DEADLINE if due is None else due_status(due, today, calendar) for due in set(dues)
    }


def display_calendar() -> WorkingCalendar:
    """The calendar for showing and filtering deadlines, kept per process like other
    reference data (overrides change through `flask deadlines` and `refdata load`).
    Deadlines are computed with `load_calendar()`, always current."""
    return cached("calendar", load_calendar)


watch(CalendarOverride)


@dataclass
class Milestone:
    """One legal deadline of a case, as the case page shows it: met or missed (and
    by how many days) once the step is done, or the live countdown while it is not."""

    key: str  # "accept" | "notify" | "resolve"
    label: str
    due: date
    level: str  # "met" | "missed", or the live levels of DeadlineStatus
    text: str
    done_on: date | None = None


MILESTONE_LABELS = {
    "accept": _l("Decide whether to accept"),
    "notify": _l("Tell the reporter"),
    "resolve": _l("Resolve"),
}
DECIDED = (CaseStatus.REJECTED, CaseStatus.TRANSFERRED, CaseStatus.MERGED)


def _decided_on(case: Case) -> date | None:
    """The day the case stopped being new: accepted, or not accepted, transferred or
    merged (the first public step after "received")."""
    if case.accepted_at is not None:
        return local_day(case.accepted_at)
    for update in case.public_updates:
        if update.status_enum in DECIDED:
            return local_day(update.created_at)
    return None


def _judged(key: str, due: date, done_on: date) -> Milestone:
    late = (done_on - due).days
    if late > 0:
        text = ngettext("missed by %(num)d day", "missed by %(num)d days", late)
        return Milestone(key, str(MILESTONE_LABELS[key]), due, "missed", text, done_on)
    early = -late
    text = (
        ngettext("met, %(num)d day early", "met, %(num)d days early", early)
        if early
        else str(_l("met, on the last day"))
    )
    return Milestone(key, str(MILESTONE_LABELS[key]), due, "met", text, done_on)


def case_milestones(case: Case, today: date, calendar: WorkingCalendar) -> list[Milestone]:
    """Each deadline the case has: judged when its step is done, else counted down —
    and, once the case has ended, never a countdown (a deadline not reached by then
    is reported as "not reached: the case ended on …")."""
    milestones = []
    ended = case.next_due is None
    decided = _decided_on(case)
    steps = (
        ("accept", case.accept_due, decided),
        ("notify", case.notify_due, local_day(case.accepted_at) if case.accepted_at else None),
        ("resolve", case.resolve_due, local_day(case.resolved_at) if case.resolved_at else None),
    )
    for key, due, done_on in steps:
        if due is None:
            continue
        if done_on is not None:
            milestones.append(_judged(key, due, done_on))
        elif ended:
            text = str(_l("no longer applies"))
            milestones.append(Milestone(key, str(MILESTONE_LABELS[key]), due, "none", text))
        else:
            live = due_status(due, today, calendar)
            milestones.append(
                Milestone(key, str(MILESTONE_LABELS[key]), due, live.level, live.label)
            )
    return milestones

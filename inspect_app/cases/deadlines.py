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

"""Deadline rules: policies as data, calendar overrides, and the one computation."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from inspect_app.cases.models import ReportKind
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.deadlines.models import CalendarOverride, DeadlinePolicy, Priority
from inspect_app.extensions import db
from inspect_app.text import normalize_text

RULES: tuple[str, ...] = ("accept", "notify", "resolve", "extend1", "extend2")
OFFICIAL_SWAPS = Path(__file__).with_name("official_swaps.csv")
OVERRIDE_TEXT_MAX = 300  # calendar_overrides.reason and .source


class DeadlineError(ValueError):
    """A request about deadlines that breaks a rule; the message is user-facing."""


class NoPolicy(DeadlineError):
    pass


class RuleNotApplicable(DeadlineError):
    pass


@dataclass(frozen=True)
class PolicyTerms:
    """The numbers of a policy version and why they are what they are."""

    accept_working_days: int
    notify_working_days: int
    resolve_days: int
    extension_days: int
    max_extensions: int
    legal_basis: str
    note: str = ""


_LUAT_TO_CAO = "Luật Tố cáo 2018 (Luật số 25/2018/QH14)"
_BLDS = "Bộ luật Dân sự 2015, Điều 147–148 (cách tính thời hạn)"

# Kind-level defaults, loaded with the reference data; admins publish new versions.
DEFAULT_POLICIES: dict[ReportKind, PolicyTerms] = {
    ReportKind.DENUNCIATION: PolicyTerms(
        accept_working_days=7,
        notify_working_days=5,
        resolve_days=30,
        extension_days=30,
        max_extensions=2,
        legal_basis=f"{_LUAT_TO_CAO}, Điều 24, 29, 30; {_BLDS}",
        note=(
            "Điều 24: thụ lý hoặc không thụ lý trong 07 ngày làm việc kể từ ngày nhận tố cáo "
            "(đến 10 ngày làm việc nếu phải xác minh ở nhiều địa điểm). Điều 29: thông báo "
            "cho người tố cáo trong 05 ngày làm việc kể từ ngày ra quyết định thụ lý. "
            "Điều 30: giải quyết trong 30 ngày kể từ ngày thụ lý; vụ việc phức tạp gia hạn "
            "một lần, đặc biệt phức tạp hai lần, mỗi lần không quá 30 ngày, bằng văn bản."
        ),
    ),
    ReportKind.TIP: PolicyTerms(
        accept_working_days=7,
        notify_working_days=0,
        resolve_days=30,
        extension_days=30,
        max_extensions=2,
        legal_basis=f"{_LUAT_TO_CAO}, Điều 25; {_BLDS}",
        note=(
            "Thời hạn nội bộ, không phải thời hạn luật định. Thông tin không rõ người tố "
            "cáo không được giải quyết theo thủ tục tố cáo (Điều 25), nhưng nếu nội dung "
            "cụ thể, có căn cứ thì được kiểm tra, xác minh. Vì vậy: 07 ngày làm việc để "
            "quyết định thông tin có đủ cụ thể để xác minh (như thụ lý tố cáo); không có "
            "nghĩa vụ thông báo vì người báo có thể ẩn danh (0 = không áp dụng); 30 ngày "
            "để xử lý và gia hạn như tố cáo."
        ),
    ),
    ReportKind.COMPLAINT: PolicyTerms(
        accept_working_days=7,
        notify_working_days=5,
        resolve_days=30,
        extension_days=30,
        max_extensions=2,
        legal_basis=(
            "Luật Bảo vệ quyền lợi người tiêu dùng 2023 (Luật số 19/2023/QH15); "
            f"thời hạn theo {_LUAT_TO_CAO}, Điều 24, 29, 30; {_BLDS}"
        ),
        note=(
            "Khiếu nại của người tiêu dùng do hội chuyển đến. Chưa đối chiếu điều khoản "
            "cụ thể của Luật Bảo vệ quyền lợi người tiêu dùng 2023 về thời hạn xử lý của "
            "lực lượng QLTT; tạm lấy theo tố cáo: 07 ngày làm việc để tiếp nhận, thông báo "
            "cho hội trong 05 ngày làm việc, giải quyết trong 30 ngày, gia hạn như tố cáo. "
            "Cán bộ pháp chế cần rà soát và bổ sung số điều."
        ),
    ),
}


# --- policies ---------------------------------------------------------------------


def _same_key(kind: str, category_id: int | None, priority: str | None) -> list[ColumnElement]:
    # `== None` compiles to IS NULL, so this also matches the general policies.
    return [
        DeadlinePolicy.kind == kind,
        DeadlinePolicy.category_id == category_id,
        DeadlinePolicy.priority == priority,
    ]


def active_policy(
    kind: str, category_id: int | None = None, priority: str | None = None
) -> DeadlinePolicy:
    """The most specific active policy: kind + category + priority, then kind +
    category, kind + priority, and finally the kind alone."""
    candidates = db.session.scalars(
        select(DeadlinePolicy).where(
            DeadlinePolicy.kind == kind,
            DeadlinePolicy.active,
            DeadlinePolicy.category_id.is_(None) | (DeadlinePolicy.category_id == category_id),
            DeadlinePolicy.priority.is_(None) | (DeadlinePolicy.priority == priority),
        )
    ).all()
    if not candidates:
        raise NoPolicy(_l("No active deadline policy for %(kind)s.", kind=kind))
    return max(candidates, key=lambda p: (p.category_id is not None, p.priority is not None))


def publish_policy(
    kind: str,
    terms: PolicyTerms,
    *,
    category_id: int | None = None,
    priority: str | None = None,
    created_by_id: int | None = None,
) -> DeadlinePolicy:
    """Add the next version for (kind, category, priority) and deactivate the others.

    Published numbers never change afterwards: cases keep the id of the version
    their deadlines were computed with.
    """
    _check_policy(kind, priority, terms)
    versions = db.session.scalars(
        select(DeadlinePolicy).where(*_same_key(kind, category_id, priority)).with_for_update()
    ).all()
    for previous in versions:
        previous.active = False
    fields = asdict(terms)
    fields.update(legal_basis=normalize_text(terms.legal_basis), note=normalize_text(terms.note))
    policy = DeadlinePolicy(
        kind=kind,
        category_id=category_id,
        priority=priority,
        version=max((p.version for p in versions), default=0) + 1,
        active=True,
        created_by_id=created_by_id,
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    return policy


def _check_policy(kind: str, priority: str | None, terms: PolicyTerms) -> None:
    if kind not in {k.value for k in ReportKind}:
        raise DeadlineError(_l("Unknown report kind %(kind)s.", kind=kind))
    if priority is not None and priority not in {p.value for p in Priority}:
        raise DeadlineError(_l("Unknown priority %(priority)s.", priority=priority))
    numbers = (
        terms.accept_working_days,
        terms.notify_working_days,
        terms.resolve_days,
        terms.extension_days,
        terms.max_extensions,
    )
    if any(n < 0 for n in numbers):
        raise DeadlineError(_l("Periods and extension counts cannot be negative."))
    if not normalize_text(terms.legal_basis):
        raise DeadlineError(_l("Give the legal basis of the policy."))


def load_default_policies() -> int:
    """Add the default policy of each kind that has never had one; returns how many.

    A kind with any version (an admin's included) is left alone.
    """
    known = set(
        db.session.scalars(
            select(DeadlinePolicy.kind).where(
                DeadlinePolicy.category_id.is_(None), DeadlinePolicy.priority.is_(None)
            )
        )
    )
    missing = [kind for kind in DEFAULT_POLICIES if kind.value not in known]
    for kind in missing:
        publish_policy(kind.value, DEFAULT_POLICIES[kind])
    return len(missing)


# --- computation -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    days: int
    working: bool  # working days; else calendar days moved off a day off at the end

    def __str__(self) -> str:
        return f"{self.days} working days" if self.working else f"{self.days} days"


def period(rule: str, policy: DeadlinePolicy) -> Period:
    """How long ``rule`` lasts under ``policy``; RuleNotApplicable if it has no such step."""
    periods = {
        "accept": Period(policy.accept_working_days, working=True),
        "notify": Period(policy.notify_working_days, working=True),
        "resolve": Period(policy.resolve_days, working=False),
        "extend1": Period(policy.extension_days, working=False),
        "extend2": Period(2 * policy.extension_days, working=False),
    }
    if rule not in periods:
        raise ValueError(f"unknown deadline rule {rule!r}")
    applies = {
        "notify": policy.notify_working_days > 0,
        "extend1": policy.max_extensions >= 1,
        "extend2": policy.max_extensions >= 2,
    }
    if not applies.get(rule, True):
        raise RuleNotApplicable(_l("This policy has no %(rule)s step.", rule=rule))
    return periods[rule]


def compute(rule: str, start: date, policy: DeadlinePolicy, calendar: WorkingCalendar) -> date:
    """The last day of ``rule``'s period that begins the day after ``start``.

    ``start`` is the event the rule counts from: receipt (accept), the decision to
    accept (notify, resolve), the unextended resolution deadline (extend1, extend2).
    """
    length = period(rule, policy)
    if length.working:
        return calendar.add_working_days(start, length.days)
    return calendar.add_calendar_days(start, length.days)


# --- calendar overrides ------------------------------------------------------------


def set_override(day: date, working: bool, reason: str, source: str = "") -> CalendarOverride:
    """Force ``day`` to be a working day or a day off, replacing any earlier override."""
    reason, source = normalize_text(reason), normalize_text(source)
    if not reason:
        raise DeadlineError(_l("Give the reason for the change."))
    if max(len(reason), len(source)) > OVERRIDE_TEXT_MAX:
        raise DeadlineError(_l("Keep the reason and the source to 300 characters each."))
    override = db.session.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day)
        db.session.add(override)
    override.working, override.reason, override.source = working, reason, source
    db.session.flush()
    return override


def remove_override(day: date) -> bool:
    """Let the package decide ``day`` again; False if it had no override."""
    override = db.session.get(CalendarOverride, day)
    if override is None:
        return False
    db.session.delete(override)
    db.session.flush()
    return True


def list_overrides(year: int) -> list[CalendarOverride]:
    return list(
        db.session.scalars(
            select(CalendarOverride)
            .where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarOverride.day)
        )
    )


def load_official_swaps(path: Path = OFFICIAL_SWAPS) -> int:
    """Add the announced swaps the package does not know; returns how many.

    Only missing days are added: a day an admin has set either way is left alone.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    days = {date.fromisoformat(row["day"]): row for row in rows}
    existing = set(
        db.session.scalars(select(CalendarOverride.day).where(CalendarOverride.day.in_(days)))
    )
    missing = [day for day in days if day not in existing]
    for day in missing:
        row = days[day]
        set_override(day, _parse_bool(row["working"]), row["reason"], row["source"])
    return len(missing)


def _parse_bool(value: str) -> bool:
    flags = {"true": True, "false": False}
    if value.strip().lower() not in flags:
        raise ValueError(f"working must be true or false, not {value!r}")
    return flags[value.strip().lower()]

"""The numbers of a statistics report, computed from the cases.

A plain function of an explicit period and scope (a province code, or None for every
province). The resolved cases are read once, as a CTE, and every breakdown is a GROUP
BY over it in one UNION ALL query; the received cases are one more GROUP BY. Both read
only the indexes `ix_cases_stats_resolved` and `ix_cases_stats_received` (see
models.py), and durations come back as a histogram (days -> cases), so no case is
handled one by one in Python.

Definitions (also in `snapshot.schema.json` and docs/statistics.md):
- *resolved*: status resolved or closed, `resolved_at` on a day of the period (days
  in Vietnam). A reopened case has no `resolved_at` until it is resolved again.
- *received*: `received_at` on a day of the period, merged duplicates excluded.
- *within the legal deadline*: the day (in Vietnam) of `resolved_at` is on or before
  `resolve_due`, extensions included.
- *days to resolution*: whole calendar days from the day of receipt to the day of
  resolution (in Vietnam); percentiles by linear interpolation between closest
  ranks (Hyndman & Fan type 7, the default of numpy and spreadsheets' PERCENTILE).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy import case as sql_case

from inspect_app.cases.models import Case, Outcome, Report
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.stats.periods import Period
from inspect_app.stats.sqltime import DaysBetween, LocalDate, LocalMonth

RESOLVED_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)
# Outcomes that establish a violation (a referral is not yet a finding).
CONFIRMED_VIOLATIONS = tuple(
    o.value
    for o in (
        Outcome.WARNING,
        Outcome.FINE,
        Outcome.GOODS_SEIZED,
        Outcome.GOODS_DESTROYED,
        Outcome.BUSINESS_SUSPENDED,
    )
)
TOP_SELLERS = 10
# Breakdowns of the resolved cases: the name in Statistics and the CTE column.
BREAKDOWNS = {
    "category": "category_id",
    "outcome": "outcome",
    "source": "source",
    "kind": "kind",
    "province": "province_code",
    "ward": "ward_code",
}
NUMERIC_KEYS = {"category", "province", "ward", "days"}


@dataclass
class SellerCount:
    name: str
    cases: int
    fines_vnd: int


@dataclass
class Statistics:
    """Raw, unsuppressed numbers of one period and scope."""

    received: int = 0
    resolved: int = 0
    with_deadline: int = 0
    within_deadline: int = 0
    days: dict[int, int] = field(default_factory=dict)  # days to resolution -> cases
    fines_vnd: int = 0
    goods_value_vnd: int = 0
    fined_cases: int = 0  # cases with a fine: how many cases `fines_vnd` adds up
    goods_cases: int = 0  # cases with a value of goods
    by_category: dict[int, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_province: dict[int, int] = field(default_factory=dict)
    by_ward: dict[int | None, int] = field(default_factory=dict)
    received_by_month: dict[str, int] = field(default_factory=dict)
    resolved_by_month: dict[str, int] = field(default_factory=dict)
    sellers: list[SellerCount] | None = None

    @property
    def within_deadline_share(self) -> float | None:
        return self.within_deadline / self.with_deadline if self.with_deadline else None

    @property
    def median_days(self) -> float | None:
        return percentile(self.days, 50)

    @property
    def p90_days(self) -> float | None:
        return percentile(self.days, 90)


def percentile(histogram: Mapping[int, int], p: float) -> float | None:
    """Type-7 percentile of the values a histogram (value -> how many) describes."""
    total = sum(histogram.values())
    if not total:
        return None
    position = (total - 1) * p / 100
    low_rank = math.floor(position)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > low_rank:
            low = value
        if seen > low_rank + 1 or seen == total:
            high = value
            break
    return low + (position - low_rank) * (high - low)


def _in_scope(province_code: int | None) -> list[ColumnElement[bool]]:
    return [] if province_code is None else [Case.province_code == province_code]


def _resolved_condition(period: Period) -> ColumnElement[bool]:
    start, end = period.bounds
    return and_(
        Case.status.in_(RESOLVED_STATUSES),
        Case.resolved_at >= start,
        Case.resolved_at < end,
    )


def _received_condition(period: Period) -> ColumnElement[bool]:
    start, end = period.bounds
    return and_(
        Case.status != CaseStatus.MERGED.value,
        Case.received_at >= start,
        Case.received_at < end,
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sql_case((condition, 1), else_=0)


def _resolved_cases(period: Period, province_code: int | None) -> CTE:
    """The cases resolved in the period, with what the breakdowns need."""
    return (
        select(
            *(getattr(Case, column) for column in BREAKDOWNS.values()),
            LocalMonth(Case.resolved_at).label("month"),
            DaysBetween(Case.resolved_at, Case.received_at).label("days"),
            _flag(Case.resolve_due.is_not(None)).label("with_due"),
            _flag(LocalDate(Case.resolved_at) <= Case.resolve_due).label("in_time"),
            Case.fine_amount,
            Case.goods_value,
        )
        .where(_resolved_condition(period), *_in_scope(province_code))
        .cte("resolved_cases")
    )


def _totals(rows: CTE) -> Select:
    """(name, key, cases, fines, goods, with a deadline, in time) of every resolved case."""
    return select(
        literal("total", String),
        literal("", String),
        func.count(),
        func.coalesce(func.sum(rows.c.fine_amount), 0),
        func.coalesce(func.sum(rows.c.goods_value), 0),
        func.coalesce(func.sum(rows.c.with_due), 0),
        func.coalesce(func.sum(rows.c.in_time), 0),
    )


def _part(name: str, key) -> Select:
    """One breakdown, in the columns of `_totals` (the sums left at zero)."""
    zero = literal(0, Integer)
    return select(
        literal(name, String), cast(key, String), func.count(), zero, zero, zero, zero
    ).group_by(key)


def _count_where(name: str, rows: CTE, condition: ColumnElement[bool]) -> Select:
    """How many resolved cases meet `condition`, in the columns of `_totals`."""
    zero = literal(0, Integer)
    return (
        select(literal(name, String), literal("", String), func.count(), zero, zero, zero, zero)
        .select_from(rows)
        .where(condition)
    )


def _parts(rows: CTE) -> list[Select]:
    return [
        _totals(rows),
        *(_part(name, rows.c[column]) for name, column in BREAKDOWNS.items()),
        _part("month", rows.c.month),
        _part("days", rows.c.days),
        _count_where("fined", rows, rows.c.fine_amount > 0),
        _count_where("with_goods", rows, rows.c.goods_value > 0),
    ]


def _received_by_month(period: Period, province_code: int | None) -> dict[str, int]:
    month = LocalMonth(Case.received_at)
    query = (
        select(month, func.count())
        .where(_received_condition(period), *_in_scope(province_code))
        .group_by(month)
    )
    return dict(db.session.execute(query).all())


def _collect(stats: Statistics, rows) -> None:
    targets = {
        "category": stats.by_category,
        "outcome": stats.by_outcome,
        "source": stats.by_source,
        "kind": stats.by_kind,
        "province": stats.by_province,
        "ward": stats.by_ward,
        "month": stats.resolved_by_month,
        "days": stats.days,
    }
    for name, key, count, fines, goods, with_due, in_time in rows:
        if name == "total":
            stats.resolved, stats.fines_vnd, stats.goods_value_vnd = count, int(fines), int(goods)
            stats.with_deadline, stats.within_deadline = int(with_due), int(in_time)
            continue
        if name in ("fined", "with_goods"):
            setattr(stats, "fined_cases" if name == "fined" else "goods_cases", count)
            continue
        if name in NUMERIC_KEYS and key is not None:
            key = int(key)
        targets[name][key] = targets[name].get(key, 0) + count


def _top_sellers(conditions: list[ColumnElement[bool]]) -> list[SellerCount]:
    """Sellers named in the first report of cases with a confirmed violation."""
    confirmed = [*conditions, Case.outcome.in_(CONFIRMED_VIOLATIONS)]
    first_reports = (
        select(func.min(Report.id)).join(Case, Report.case_id == Case.id).where(*confirmed)
    ).group_by(Report.case_id)
    cases = func.count(Case.id)
    fines = func.coalesce(func.sum(Case.fine_amount), 0)
    query = (
        select(Report.seller_name, cases, fines)
        .join(Case, Report.case_id == Case.id)
        .where(Report.id.in_(first_reports), Report.seller_name != "")
        .group_by(Report.seller_name)
        .order_by(cases.desc(), fines.desc(), Report.seller_name)
        .limit(TOP_SELLERS)
    )
    return [SellerCount(name, n, int(total)) for name, n, total in db.session.execute(query)]


def compute_statistics(
    period: Period, province_code: int | None, *, name_sellers: bool = False
) -> Statistics:
    """Every number of a report for `period` and the scope, unsuppressed."""
    months = [f"{year:04d}-{month:02d}" for year, month in period.months()]
    stats = Statistics(
        received_by_month=dict.fromkeys(months, 0),
        resolved_by_month=dict.fromkeys(months, 0),
    )
    rows = _resolved_cases(period, province_code)
    _collect(stats, db.session.execute(union_all(*_parts(rows))))
    stats.received_by_month.update(_received_by_month(period, province_code))
    stats.received = sum(stats.received_by_month.values())
    if name_sellers:
        stats.sellers = _top_sellers([_resolved_condition(period), *_in_scope(province_code)])
    return stats

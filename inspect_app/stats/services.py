"""Statistics reports: drafts, publication of a frozen snapshot, corrections.

Functions change objects and flush; the caller commits once. The public snapshot
(the JSON in `StatsReport.data_json`) is built from `aggregates.compute_statistics`
with small cells already suppressed, so nothing that is published, shown or
exported ever holds more than the public may see.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.audit.models import HEAD_ID, AuditHead
from inspect_app.audit.services import record_event
from inspect_app.cases.deadlines import local_day
from inspect_app.cases.models import Category, Outcome, ReportKind, ReportSource
from inspect_app.core.bounds import DATE_LIMITS, date_in_range
from inspect_app.core.settings import NAME_CONFIRMED_SELLERS, get_flag
from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward
from inspect_app.stats.access import may_build, may_manage, owned_by, owner_of
from inspect_app.stats.aggregates import Statistics, compute_statistics
from inspect_app.stats.models import ReportStatus, StatsReport
from inspect_app.stats.periods import Period, PeriodType
from inspect_app.stats.suppression import HIDDEN_MARK, cells_to_hide, hide_all, suppress
from inspect_app.text import normalize_text

SCHEMA = "inspect_app/stats-snapshot"
SCHEMA_VERSION = 2
TITLE_MAX = 200
COMMENTARY_MAX = 10_000
NOTE_MAX = 2_000
MAX_MONTHS = 60
# Breakdowns whose small cells are hidden; the province breakdown is a set of
# province totals and is published as it is.
SUPPRESSED_BREAKDOWNS = ("category", "outcome", "source", "kind", "ward")
# What is withheld with the resolved total when a table of resolved cases cannot be
# protected (docs/statistics.md § Privacy).
RESOLVED_FIGURES = (
    "resolved",
    "resolved_with_deadline",
    "resolved_within_deadline",
    "within_deadline_share",
    "median_days",
    "p90_days",
    "fines_vnd",
    "goods_value_vnd",
)
NO_WARD = "none"
# Calendar periods only: they nest and never partly overlap (docs/statistics.md).
PUBLISHABLE_PERIODS = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)

Snapshot = dict[str, Any]


class StatsError(Exception):
    """A refused request; `str()` is the translated message for the user."""

    status_code = 400


class StatsNotAllowed(StatsError):
    """Another association's or office's report, or a scope outside one's province."""

    status_code = 403


class ReportFrozen(StatsError):
    """A published version never changes; corrections are new versions."""

    status_code = 409


class SnapshotCorrupted(RuntimeError):
    """The stored snapshot no longer matches the SHA-256 recorded at publication."""


# Drafts


def _clean_title(title: str) -> str:
    text = normalize_text(title)
    if not text:
        raise StatsError(_l("Give the report a title."))
    return text[:TITLE_MAX]


def _check_period(period: Period) -> None:
    if not (date_in_range(period.start) and date_in_range(period.end)):
        raise StatsError(_l("The period must lie between %(min)s and %(max)s.", **DATE_LIMITS))
    if period.end < period.start:
        raise StatsError(_l("The period ends before it starts."))
    if len(period.months()) > MAX_MONTHS:
        raise StatsError(_l("A report covers at most five years."))


def default_title(period: Period, province: Province | None) -> str:
    scope = province.name if province else _l("all provinces")
    return str(_l("Resolved cases, %(period)s, %(scope)s", period=period.label, scope=scope))


def create_draft(
    user: User, period: Period, province_code: int | None, *, now: datetime
) -> StatsReport:
    _check_period(period)
    province = db.session.get(Province, province_code) if province_code is not None else None
    if province_code is not None and province is None:
        raise StatsError(_l("Choose a province or city from the list."))
    owner = owner_of(user)
    if owner is None or not may_build(user, province_code):
        raise StatsNotAllowed(_l("You can build statistics only for your own province."))
    report = StatsReport(
        title=default_title(period, province),
        period_type=period.type.value,
        period_start=period.start,
        period_end=period.end,
        province_code=province_code,
        association_id=owner.association_id,
        office_id=owner.office_id,
        created_by=user,
        created_at=now,
    )
    db.session.add(report)
    db.session.flush()
    return report


def _refuse_unless_owner(report: StatsReport, user: User) -> None:
    if not may_manage(user, report):
        raise StatsNotAllowed(_l("This report belongs to another association or office."))


def _refuse_if_published(report: StatsReport) -> None:
    if report.is_published:
        raise ReportFrozen(
            _l("A published report cannot be changed. Publish a correction instead.")
        )


def update_draft(report: StatsReport, *, title: str, commentary: str) -> None:
    _refuse_if_published(report)
    report.title = _clean_title(title)
    report.commentary = normalize_text(commentary)[:COMMENTARY_MAX]
    db.session.flush()


def start_correction(report: StatsReport, user: User, *, note: str, now: datetime) -> StatsReport:
    """A new draft version of a published report, saying what it supersedes and why."""
    _refuse_unless_owner(report, user)
    if not report.is_published:
        raise StatsError(_l("Only a published report can be corrected."))
    if successor(report) is not None:
        raise ReportFrozen(_l("This version has already been corrected; correct the newest."))
    text = normalize_text(note)
    if not text:
        raise StatsError(_l("Say what the correction changes."))
    correction = StatsReport(
        version=report.version + 1,
        title=report.title,
        commentary=report.commentary,
        period_type=report.period_type,
        period_start=report.period_start,
        period_end=report.period_end,
        province_code=report.province_code,
        association_id=report.association_id,
        office_id=report.office_id,
        created_by=user,
        created_at=now,
        supersedes=report,
        correction_note=text[:NOTE_MAX],
    )
    db.session.add(correction)
    db.session.flush()
    return correction


def successor(report: StatsReport) -> StatsReport | None:
    return db.session.scalar(select(StatsReport).where(StatsReport.supersedes_id == report.id))


# Publication


def threshold() -> int:
    return int(current_app.config["STATS_SUPPRESSION_THRESHOLD"])


def preview(report: StatsReport) -> Snapshot:
    """A draft's snapshot computed now, as it would be published."""
    stats = compute_statistics(
        report.period, report.province_code, name_sellers=get_flag(NAME_CONFIRMED_SELLERS)
    )
    return snapshot_data(report, stats, threshold=threshold())


def publish_report(report: StatsReport, user: User, *, now: datetime) -> None:
    """Freeze the snapshot: numbers, commentary, who, when and the data version."""
    _refuse_unless_owner(report, user)
    _refuse_if_published(report)
    if report.period.type not in PUBLISHABLE_PERIODS:
        raise StatsError(
            _l(
                "Only a calendar month, quarter or year can be published. Custom dates stay "
                "drafts: two overlapping periods could be subtracted to reveal small counts."
            )
        )
    if report.period_end >= local_day(now):
        raise StatsError(_l("A period can be published once it has ended."))
    stats = compute_statistics(
        report.period, report.province_code, name_sellers=get_flag(NAME_CONFIRMED_SELLERS)
    )
    # The snapshot records who, when and the data version: set them first (the row
    # stays a draft until everything is in place; queries below autoflush).
    report.published_by = user
    report.published_at = now
    report.data_version = data_version()
    document = json.dumps(
        snapshot_data(report, stats, threshold=threshold()), ensure_ascii=False, indent=2
    )
    report.data_json = document
    report.data_sha256 = sha256(document)
    report.status = ReportStatus.PUBLISHED.value
    db.session.flush()
    record_event(
        actor=user,
        action="stats.publish",
        data={"report": report.id, "version": report.version, "sha256": report.data_sha256},
        at=now,
    )


def data_version() -> str:
    """Which data the numbers were computed from: the schema and the audit log's last
    event (every change to a case appends one), e.g. 's1.a1520'."""
    head = db.session.get(AuditHead, HEAD_ID)
    return f"s{SCHEMA_VERSION}.a{head.last_seq if head else 0}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def published_snapshot(report: StatsReport) -> Snapshot:
    """The frozen snapshot, after checking it against its recorded SHA-256."""
    if not report.is_published or report.data_json is None:
        raise StatsError(_l("This report is not published."))
    if sha256(report.data_json) != report.data_sha256:
        raise SnapshotCorrupted(f"stats report {report.id}: snapshot does not match its hash")
    return json.loads(report.data_json)


def published_reports() -> list[StatsReport]:
    return list(
        db.session.scalars(
            select(StatsReport)
            .where(StatsReport.status == ReportStatus.PUBLISHED.value)
            .order_by(StatsReport.published_at.desc(), StatsReport.id.desc())
        )
    )


def draft_reports(user: User) -> list[StatsReport]:
    """The drafts of `user`'s association or office."""
    return list(
        db.session.scalars(
            select(StatsReport)
            .where(StatsReport.status == ReportStatus.DRAFT.value, owned_by(owner_of(user)))
            .order_by(StatsReport.created_at.desc(), StatsReport.id.desc())
        )
    )


# The snapshot


def _labels(make) -> dict[str, str]:
    """A label in both languages, from the catalog."""
    labels = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            labels[locale] = str(make())
    return labels


def _row(key: Any, label: dict[str, str], value: int) -> dict[str, Any]:
    return {"key": str(key), "label": label, "value": value}


def _enum_rows(counts: dict[str, int], members) -> list[dict[str, Any]]:
    return [
        _row(m.value, _labels(lambda m=m: m.title), counts[m.value])
        for m in members
        if counts.get(m.value)
    ]


def _category_rows(counts: dict[int, int]) -> list[dict[str, Any]]:
    categories = db.session.scalars(
        select(Category).where(Category.id.in_(counts)).order_by(Category.sort_order)
    )
    return [_row(c.code, {"vi": c.name_vi, "en": c.name_en}, counts[c.id]) for c in categories]


def _province_rows(counts: dict[int, int]) -> list[dict[str, Any]]:
    provinces = db.session.scalars(
        select(Province).where(Province.code.in_(counts)).order_by(Province.code)
    )
    return [_row(p.code, {"vi": p.name, "en": p.name}, counts[p.code]) for p in provinces]


def _ward_rows(counts: dict[int | None, int], all_provinces: bool) -> list[dict[str, Any]]:
    codes = [code for code in counts if code is not None]
    wards = db.session.scalars(select(Ward).where(Ward.code.in_(codes)))
    rows = []
    for ward in sorted(wards, key=lambda w: (w.province_code, w.name)):
        name = f"{ward.name}, {ward.province.name}" if all_provinces else ward.name
        rows.append(_row(ward.code, {"vi": name, "en": name}, counts[ward.code]))
    if counts.get(None):
        rows.append(_row(NO_WARD, _labels(lambda: _l("Online or no commune given")), counts[None]))
    return rows


def _breakdowns(stats: Statistics, all_provinces: bool, limit: int) -> dict[str, Any] | None:
    """The breakdowns with their small cells hidden; None when one cannot be protected
    (the resolved figures are then withheld as a whole)."""
    rows = _breakdown_rows(stats, all_provinces)
    # A threshold of 0 hides nothing: those breakdowns get the same cell format.
    found = {
        name: suppress(cells, limit if name in SUPPRESSED_BREAKDOWNS else 0)
        for name, cells in rows.items()
    }
    return None if None in found.values() else found


def _breakdown_rows(stats: Statistics, all_provinces: bool) -> dict[str, list[dict[str, Any]]]:
    return {
        "category": _category_rows(stats.by_category),
        "outcome": _enum_rows(stats.by_outcome, Outcome),
        "source": _enum_rows(stats.by_source, ReportSource),
        "kind": _enum_rows(stats.by_kind, ReportKind),
        "province": _province_rows(stats.by_province),
        "ward": _ward_rows(stats.by_ward, all_provinces),
    }


def _months(counts: dict[str, int], limit: int) -> dict[str, int | None] | None:
    """A month series with its small months hidden (months without cases show 0);
    None when it cannot be protected."""
    listed = [month for month, n in counts.items() if n]
    hidden = cells_to_hide([counts[month] for month in listed], limit)
    if hidden is None:
        return None
    hidden_months = {listed[i] for i in hidden}
    return {month: None if month in hidden_months else n for month, n in counts.items()}


def _protected_figures(stats: Statistics, all_provinces: bool, limit: int) -> dict[str, Any]:
    """Breakdowns, month series and the totals withheld (docs/statistics.md § Privacy)."""
    withheld: set[str] = set()
    breakdowns = _breakdowns(stats, all_provinces, limit)
    resolved = _months(stats.resolved_by_month, limit)
    if breakdowns is None or resolved is None:
        withheld.update(RESOLVED_FIGURES)
        breakdowns = {
            name: hide_all(rows) for name, rows in _breakdown_rows(stats, all_provinces).items()
        }
        resolved = {m: (None if n else 0) for m, n in stats.resolved_by_month.items()}
    received = _months(stats.received_by_month, limit)
    if received is None:
        withheld.add("received")
        received = {m: (None if n else 0) for m, n in stats.received_by_month.items()}
    # A sum of money over one or two cases is those cases' fines or goods.
    if 0 < stats.fined_cases < limit:
        withheld.add("fines_vnd")
    if 0 < stats.goods_cases < limit:
        withheld.add("goods_value_vnd")
    return {
        "breakdowns": breakdowns,
        "received": received,
        "resolved": resolved,
        "withheld": sorted(withheld),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _totals(stats: Statistics) -> dict[str, Any]:
    return {
        "received": stats.received,
        "resolved": stats.resolved,
        "resolved_with_deadline": stats.with_deadline,
        "resolved_within_deadline": stats.within_deadline,
        "within_deadline_share": _round(stats.within_deadline_share, 4),
        "median_days": _round(stats.median_days, 2),
        "p90_days": _round(stats.p90_days, 2),
        "fines_vnd": stats.fines_vnd,
        "goods_value_vnd": stats.goods_value_vnd,
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _report_meta(report: StatsReport) -> dict[str, Any]:
    province = report.province
    previous = report.supersedes
    publisher = report.published_by
    return {
        "id": report.id,
        "version": report.version,
        "title": report.title,
        "commentary": report.commentary,
        "period": {
            "type": report.period_type,
            "start": _iso(report.period_start),
            "end": _iso(report.period_end),
        },
        "scope": {
            "province_code": report.province_code,
            "province_name": province.name if province else None,
        },
        "published_at": _iso(report.published_at.astimezone(UTC)) if report.published_at else None,
        "published_by": (publisher.full_name or publisher.role_enum.title) if publisher else None,
        "data_version": report.data_version,
        "supersedes": {"id": previous.id, "version": previous.version} if previous else None,
        "correction_note": report.correction_note or None,
    }


def snapshot_data(report: StatsReport, stats: Statistics, *, threshold: int) -> Snapshot:
    """The public document of a report (see snapshot.schema.json)."""
    protected = _protected_figures(stats, report.province_code is None, threshold)
    data: Snapshot = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "report": _report_meta(report),
        "method": {
            "time_zone": "Asia/Ho_Chi_Minh",
            "days_to_resolution": "calendar days from the day of receipt to the day of resolution",
            "percentiles": "linear interpolation between closest ranks (Hyndman-Fan type 7)",
            "within_deadline": "day of resolution on or before the resolution deadline",
        },
        "suppression": {
            "threshold": threshold,
            "hidden": HIDDEN_MARK,
            "withheld": protected["withheld"],
        },
        "totals": {
            key: None if key in protected["withheld"] else value
            for key, value in _totals(stats).items()
        },
        "breakdowns": protected["breakdowns"],
        "monthly": [
            {
                "month": month,
                "received": protected["received"][month],
                "resolved": protected["resolved"][month],
            }
            for month in stats.received_by_month
        ],
    }
    if stats.sellers is not None:
        data["sellers"] = [
            {"name": s.name, "cases": s.cases, "fines_vnd": s.fines_vnd} for s in stats.sellers
        ]
    return data

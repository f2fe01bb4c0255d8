"""A statistics report: a draft computed live, then a published, frozen snapshot."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.cases.models import Case
from inspect_app.core.bounds import DATE_MAX, DATE_MIN
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db
from inspect_app.stats.periods import Period, PeriodType


class ReportStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class StatsReport(db.Model):
    """One version of a statistics report.

    A draft holds only its parameters (period, scope, title, commentary); its numbers
    are computed live on preview. Publishing stores the public snapshot in
    `data_json` with its SHA-256; from then on the row never changes (the services
    refuse, and a database trigger refuses UPDATE of a published row). A correction
    is a new row whose `supersedes_id` names the version it replaces.
    """

    __tablename__ = "stats_reports"
    __table_args__ = (
        CheckConstraint(_in("status", ReportStatus), name="status_known"),
        CheckConstraint(_in("period_type", PeriodType), name="period_type_known"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint(
            "status = 'draft' OR (data_json IS NOT NULL AND data_sha256 IS NOT NULL "
            "AND data_version IS NOT NULL AND published_by_id IS NOT NULL "
            "AND published_at IS NOT NULL)",
            name="published_is_complete",
        ),
        CheckConstraint(
            "supersedes_id IS NULL OR correction_note <> ''", name="correction_has_note"
        ),
        # Owned by an association or by an office, never both (see stats/access.py).
        CheckConstraint("association_id IS NULL OR office_id IS NULL", name="one_owner"),
        CheckConstraint(
            f"period_start >= '{DATE_MIN.isoformat()}' AND period_end <= '{DATE_MAX.isoformat()}'",
            name="period_in_range",
        ),
        Index("ix_stats_reports_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1 for a first publication, the superseded version's number + 1 for a correction.
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    commentary: Mapped[str] = mapped_column(Text, default="")
    period_type: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # NULL: every province.
    province_code: Mapped[int | None] = mapped_column(ForeignKey("provinces.code"))
    # Who the report belongs to: the association or the office of the staff who built
    # it. Only its people see and change its drafts, publish and correct it.
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.DRAFT.value)
    data_json: Mapped[str | None] = mapped_column(Text)
    data_sha256: Mapped[str | None] = mapped_column(String(64))
    data_version: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One successor per version: the chain of corrections is a line.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("stats_reports.id"), unique=True)
    correction_note: Mapped[str] = mapped_column(Text, default="")

    province = relationship("Province")
    association = relationship("Association")
    office = relationship("Office")
    created_by = relationship("User", foreign_keys=[created_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    supersedes: Mapped[StatsReport | None] = relationship(
        remote_side=[id], foreign_keys=[supersedes_id]
    )

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED.value

    @property
    def period(self) -> Period:
        return Period(PeriodType(self.period_type), self.period_start, self.period_end)


# Indexes on `cases` for the statistics: each holds every column its query reads, so
# PostgreSQL answers a year of a whole country from the index alone (an index-only
# scan) instead of reading the table. They belong to this package's queries
# (aggregates.py); the migration 152260d20af7 creates them.
Index(
    "ix_cases_stats_resolved",
    Case.resolved_at,
    Case.status,
    Case.province_code,
    Case.category_id,
    Case.outcome,
    Case.source,
    Case.kind,
    Case.ward_code,
    Case.received_at,
    Case.resolve_due,
    Case.fine_amount,
    Case.goods_value,
)
Index("ix_cases_stats_received", Case.received_at, Case.status, Case.province_code)

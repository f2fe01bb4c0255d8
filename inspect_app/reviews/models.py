"""An audit review (kiểm tra xác suất hồ sơ) and the sampled cases it reviews."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.cases.models import Case
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class Verdict(StrEnum):
    """What the reviewer concluded about one sampled case."""

    PENDING = "pending"
    OK = "ok"
    REOPENED = "reopened"
    NOTED = "noted"

    @property
    def title(self) -> str:
        return str(VERDICT_TITLES[self])


VERDICT_TITLES = {
    Verdict.PENDING: _l("Not reviewed yet"),
    Verdict.OK: _l("OK"),
    Verdict.REOPENED: _l("Reopened"),
    Verdict.NOTED: _l("Noted"),
}


class Decision(StrEnum):
    """What a reviewer may decide about a pending case."""

    OK = "ok"
    REOPEN = "reopen"
    NOTE = "noted"

    @property
    def title(self) -> str:
        return str(DECISION_TITLES[self])

    @property
    def verdict(self) -> Verdict:
        return {
            Decision.OK: Verdict.OK,
            Decision.REOPEN: Verdict.REOPENED,
            Decision.NOTE: Verdict.NOTED,
        }[self]


DECISION_TITLES = {
    Decision.OK: _l("OK"),
    Decision.REOPEN: _l("Reopen"),
    Decision.NOTE: _l("Note"),
}


class AuditReview(db.Model):
    """A sample of cases resolved in a period, drawn with a stored seed so the same
    seed over the same cases draws the same sample again."""

    __tablename__ = "audit_reviews"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("requested_size >= 1", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"))
    # Days in Vietnam: cases whose resolution falls on period_start .. period_end.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    requested_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    items: Mapped[list[AuditReviewItem]] = relationship(
        back_populates="review", order_by="AuditReviewItem.position"
    )


class AuditReviewItem(db.Model):
    """One sampled case and the reviewer's verdict on it."""

    __tablename__ = "audit_review_items"
    __table_args__ = (
        CheckConstraint(
            "verdict IN (" + ", ".join(repr(v.value) for v in Verdict) + ")",
            name="verdict_known",
        ),
        CheckConstraint("(verdict = 'pending') = (reviewed_at IS NULL)", name="reviewed_when_done"),
        # Its index also serves the lookups of a review's items.
        UniqueConstraint("review_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("audit_reviews.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    position: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20), default=Verdict.PENDING.value)
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    review: Mapped[AuditReview] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    reviewed_by = relationship("User")

    @property
    def verdict_enum(self) -> Verdict:
        return Verdict(self.verdict)

    @property
    def is_pending(self) -> bool:
        return self.verdict_enum is Verdict.PENDING

"""Retention rules (data, like deadline policies) and legal holds on cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.cases.models import ReportKind
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db

_KINDS = ", ".join(repr(k.value) for k in ReportKind)

# Months after a case ended before its reporters' sealed identities and original
# files are destroyed. Defaults for a deployment to review with its legal adviser.
DEFAULT_MONTHS = {
    ReportKind.TIP: 12,
    ReportKind.COMPLAINT: 36,
    ReportKind.DENUNCIATION: 60,
}


class RetentionRule(db.Model):
    """How long after its case ended a report of one kind keeps personal data."""

    __tablename__ = "retention_rules"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind_known"),
        CheckConstraint("months BETWEEN 1 AND 1200", name="months_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    months: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LegalHold(db.Model):
    """A case whose personal data must be kept (litigation, an inquiry) whatever the
    retention rule says, until the hold is released."""

    __tablename__ = "legal_holds"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case")
    placed_by = relationship("User")

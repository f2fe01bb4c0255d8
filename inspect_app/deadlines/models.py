"""Calendar overrides and versioned deadline policies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.cases.models import ReportKind
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(repr(member.value) for member in enum)


class CalendarOverride(db.Model):
    """A day whose status differs from the holidays package.

    An extra day off the government announces (working = False) or a make-up
    working day, usually a Saturday (working = True).
    """

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(300))
    # The document that announced it, e.g. the Ministry of Home Affairs notice.
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadlinePolicy(db.Model):
    """How long each step of a case may take, for a kind (optionally a category and a
    priority), as one immutable version.

    A change is a new version (the previous one deactivated), never an UPDATE of the
    numbers: cases record the policy they were computed with. Exactly one version per
    (kind, category, priority) is active; `services.publish_policy` keeps it so.
    """

    __tablename__ = "deadline_policies"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(ReportKind)})", name="kind_known"),
        CheckConstraint(
            f"priority IS NULL OR priority IN ({_values(Priority)})", name="priority_known"
        ),
        CheckConstraint(
            "accept_working_days >= 0 AND notify_working_days >= 0 AND resolve_days >= 0"
            " AND extension_days >= 0 AND max_extensions >= 0",
            name="periods_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # NULL: any category / any priority. A more specific policy wins.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Working days from receipt to the decision to accept (thụ lý) or not.
    accept_working_days: Mapped[int] = mapped_column(Integer)
    # Working days from that decision to telling the reporter; 0: no such duty.
    notify_working_days: Mapped[int] = mapped_column(Integer)
    # Calendar days from acceptance to resolution.
    resolve_days: Mapped[int] = mapped_column(Integer)
    # Calendar days each extension adds, and how many extensions are allowed.
    extension_days: Mapped[int] = mapped_column(Integer)
    max_extensions: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

"""The reporter's side of a case after sending: the two-way channel with the
officers, and the receipts that make a retried submission return the same report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class Direction(StrEnum):
    FROM_REPORTER = "from_reporter"  # a follow-up, or an answer to a question
    TO_REPORTER = "to_reporter"  # an officer's question


class ReporterMessage(db.Model):
    """One message between a report's reporter and the case's officers.

    The officer who asked is kept for the audit and the case page; the reporter's
    pages never show it. Photos sent with a follow-up are `Photo` rows of the same
    report with `message_id` set.
    """

    __tablename__ = "reporter_messages"
    __table_args__ = (
        CheckConstraint(
            f"direction IN ({', '.join(repr(d.value) for d in Direction)})",
            name="direction_known",
        ),
        CheckConstraint(
            "(direction = 'to_reporter') = (author_id IS NOT NULL)", name="officer_writes_questions"
        ),
        Index("ix_reporter_messages_report_created", "report_id", "created_at"),
        Index("ix_reporter_messages_retry_key_hash", "retry_key_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("reporter_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The hashed key of the web form that sent a follow-up: sending it again (a reload,
    # a retry on a bad link) finds this message instead of adding a second one.
    retry_key_hash: Mapped[str | None] = mapped_column(String(64))

    report = relationship("Report")
    author = relationship("User")
    answers = relationship("ReporterMessage", remote_side=[id])
    photos = relationship("Photo", back_populates="message", order_by="Photo.position")

    @property
    def from_reporter(self) -> bool:
        return self.direction == Direction.FROM_REPORTER.value


class SubmissionReceipt(db.Model):
    """A submitted form's idempotency key (hashed) and its report, so that sending
    the same form again returns the same tracking code instead of a second report.
    The code is encrypted with a key derived from the form's key, which only the
    browser holds; `flask evidence sweep` deletes receipts after its grace period."""

    __tablename__ = "submission_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    code_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

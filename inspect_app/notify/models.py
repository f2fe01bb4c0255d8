"""The outbox of e-mails to send and the officers' in-app notifications."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a sender until `claimed_until`
    SENT = "sent"
    FAILED = "failed"  # gave up after OUTBOX_MAX_ATTEMPTS

    @property
    def title(self) -> str:
        return str(
            {
                OutboxStatus.PENDING: _l("Waiting to be sent"),
                OutboxStatus.SENDING: _l("Being sent"),
                OutboxStatus.SENT: _l("Sent"),
                OutboxStatus.FAILED: _l("Given up"),
            }[self]
        )


class MessageKind(StrEnum):
    REMINDER = "reminder"  # N working days before a deadline
    OVERDUE = "overdue"  # to the team lead(s) once a deadline has passed
    ESCALATION = "escalation"  # to the director(s) after ESCALATE_TO_DIRECTOR_DAYS
    DIGEST = "digest"  # an officer's morning summary
    REPORTER = "reporter"  # progress e-mail to a reporter who opted in
    ACCOUNT = "account"  # a staff member told of a change to their account
    # Work that arrives (notify/officer_events.py); each officer chooses an
    # immediate e-mail or the daily digest per kind.
    ASSIGNED = "assigned"  # a case assigned or reassigned to the officer
    REPORTER_INFO = "reporter_info"  # the reporter added information or answered
    REOPENED = "reopened"  # a case the officer handles was reopened
    TRIAGE = "triage"  # a new case in the team's area (team leads)
    APPROVAL = "approval"  # a resolution awaits approval (team leads)

    @property
    def title(self) -> str:
        return str(
            {
                MessageKind.REMINDER: _l("Deadline reminder"),
                MessageKind.OVERDUE: _l("Overdue case"),
                MessageKind.ESCALATION: _l("Overdue case (director)"),
                MessageKind.DIGEST: _l("Morning digest"),
                MessageKind.REPORTER: _l("Progress e-mail to a reporter"),
                MessageKind.ACCOUNT: _l("Account change notice"),
                MessageKind.ASSIGNED: _l("A case is assigned to me"),
                MessageKind.REPORTER_INFO: _l("A reporter adds information or answers"),
                MessageKind.REOPENED: _l("A case I handle is reopened"),
                MessageKind.TRIAGE: _l("A new case arrives in my team's area"),
                MessageKind.APPROVAL: _l("A resolution waits for my approval"),
            }[self]
        )


# The kinds an officer is told about as they happen, and who gets each.
EVENT_KINDS = (
    MessageKind.ASSIGNED,
    MessageKind.REPORTER_INFO,
    MessageKind.REOPENED,
    MessageKind.TRIAGE,
    MessageKind.APPROVAL,
)
LEAD_ONLY_KINDS = (MessageKind.TRIAGE, MessageKind.APPROVAL)


class Delivery(StrEnum):
    IMMEDIATE = "immediate"  # an e-mail at once (and the in-app notice)
    DIGEST = "digest"  # the in-app notice at once, the e-mail in the daily digest

    @property
    def title(self) -> str:
        return str(
            {
                Delivery.IMMEDIATE: _l("E-mail at once"),
                Delivery.DIGEST: _l("In the daily e-mail"),
            }[self]
        )


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class OutboxMessage(db.Model):
    """One e-mail, written in the transaction that decided to send it.

    `key` names what the message is about (recipient, case, kind, deadline), so
    deciding twice inserts nothing the second time. The address is encrypted:
    reporters' addresses are personal data, and one rule for all rows is simpler.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="status_known"),
        CheckConstraint(_in("kind", MessageKind), name="kind_known"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient_enc: Mapped[str] = mapped_column(Text)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Never contains the address (see notify.mailer.describe_error).
    last_error: Mapped[str] = mapped_column(Text, default="")
    # A sender's claim on a row it is sending; past it, the sender is presumed dead.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The request (or scheduler pass) that queued it: the X-Request-ID header.
    request_id: Mapped[str | None] = mapped_column(String(128))

    @property
    def status_enum(self) -> OutboxStatus:
        return OutboxStatus(self.status)

    @property
    def kind_enum(self) -> MessageKind:
        return MessageKind(self.kind)


class Notification(db.Model):
    """What an officer sees in the app: written with the officer's e-mail.

    Notices of work that arrives carry an `event_key` (unique: deciding twice adds
    nothing); those whose officer chose the daily digest wait with
    `digest_pending` until the digest e-mail lists them."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", MessageKind), name="kind_known"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_digest_pending_user_id", "digest_pending", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    digest_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class NotificationPreference(db.Model):
    """An officer's choice for one kind of notice; no row means an immediate e-mail."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint(_in("kind", MessageKind), name="kind_known"),
        CheckConstraint(_in("delivery", Delivery), name="delivery_known"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10))


class AlertKind(StrEnum):
    """The deadline alerts a case can raise, each once per deadline and recipient."""

    REMINDER = MessageKind.REMINDER.value
    OVERDUE = MessageKind.OVERDUE.value
    ESCALATION = MessageKind.ESCALATION.value


class DeadlineAlert(db.Model):
    """That one officer was alerted about one deadline of one case.

    The scheduler inserts these set-based (`INSERT … SELECT … ON CONFLICT DO
    NOTHING RETURNING`), so deciding again adds nothing, then gathers each
    officer's new alerts into one e-mail, queued in the same transaction with the
    same `created_at`. `step` is the number of working days before the deadline for
    a reminder, 0 otherwise.
    """

    __tablename__ = "deadline_alerts"
    __table_args__ = (
        CheckConstraint(_in("kind", AlertKind), name="kind_known"),
        UniqueConstraint(
            "case_id", "due", "kind", "step", "user_id", name="uq_deadline_alerts_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    due: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[int] = mapped_column(SmallInteger, default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

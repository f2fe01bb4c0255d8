"""The outbox and in-app notifications.

Whoever decides to send a message writes an outbox row with a unique key in its own
transaction (`queue_message`); deciding again adds nothing. `deliver_pending` sends
what is due: it claims each row with a conditional UPDATE (pending → sending, with a
lease), commits the claim, talks SMTP outside any transaction, then records the
result. Two senders never claim the same row; a crashed sender's claims expire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import batched

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inspect_app.accounts.models import User
from inspect_app.cases.models import Case, Report
from inspect_app.cases.workflow import CaseStatus
from inspect_app.crypto import decrypt_text, encrypt_text
from inspect_app.dbsetup import write_intent
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.emails import (
    Email,
    receipt_email,
    reporter_email,
    reporter_question_email,
)
from inspect_app.notify.mailer import (
    MESSAGE_ERRORS,
    Outgoing,
    SmtpSettings,
    build_message,
    describe_error,
    smtp_connection,
)
from inspect_app.notify.models import MessageKind, Notification, OutboxMessage, OutboxStatus
from inspect_app.observability.context import current_request_id

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=15)  # > SEND_BATCH × the SMTP timeout
SEND_BATCH = 20
MAX_BACKOFF_MINUTES = 60
REPORTER_STATUSES = frozenset(
    {CaseStatus.ACCEPTED, CaseStatus.REJECTED, CaseStatus.TRANSFERRED, CaseStatus.RESOLVED}
)
LIST_LIMIT = 200
_KEY_CHUNK = 500
_INSERT_CHUNK = 500  # rows per multi-row INSERT (13 parameters each)

PENDING, SENDING = OutboxStatus.PENDING.value, OutboxStatus.SENDING.value


# --- queueing ---------------------------------------------------------------------


def dialect_insert() -> Callable:
    """The INSERT construct with ON CONFLICT of the session's database."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert
    if dialect == "sqlite":
        return sqlite_insert
    raise NotImplementedError(f"the outbox needs INSERT … ON CONFLICT, not on {dialect}")


def _outbox_row(
    *,
    key: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    kind: MessageKind | str,
    user: User | None,
    case_id: int | None,
    now: datetime,
) -> dict:
    return {
        "key": key,
        "recipient_enc": encrypt_text(recipient),
        "recipient_user_id": user.id if user else None,
        "kind": MessageKind(kind).value,
        "case_id": case_id,
        "subject": subject[:300],
        "body_text": text,
        "body_html": html,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "request_id": current_request_id(),
    }


def _insert_rows(rows: Sequence[dict]) -> dict[str, int]:
    """Multi-row INSERT … ON CONFLICT (key) DO NOTHING; the new ids by key."""
    ids: dict[str, int] = {}
    for chunk in batched(rows, _INSERT_CHUNK):
        statement = (
            dialect_insert()(OutboxMessage)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxMessage.id, OutboxMessage.key)
        )
        ids.update({key: message_id for message_id, key in db.session.execute(statement)})
    return ids


def insert_message(
    *, user: User | None = None, case_id: int | None = None, **message
) -> int | None:
    """Add the message unless its key is already queued; its id when it was new."""
    row = _outbox_row(user=user, case_id=case_id, **message)
    return _insert_rows([row]).get(row["key"])


def queue_message(*, case: Case | None = None, **message) -> bool:
    """`insert_message` for a case (or none); True when the message was new."""
    return insert_message(case_id=case.id if case else None, **message) is not None


def queued_keys(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` the outbox already holds."""
    found: set[str] = set()
    for chunk in batched(keys, _KEY_CHUNK):
        found.update(
            db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        )
    return found


@dataclass(frozen=True)
class OfficerMessage:
    """A message a job wants to send to an officer; `build` renders it if it is new."""

    key: str
    kind: MessageKind
    user: User
    case_id: int | None
    build: Callable[[], Email]
    in_app: bool = True


def insert_officer_messages(messages: Sequence[OfficerMessage], now: datetime) -> dict[str, int]:
    """Render the messages and queue them in a few statements, each new one with its
    in-app notification; returns the outbox ids of the new ones by key."""
    rendered = [(message, message.build()) for message in messages]
    ids = _insert_rows(
        [
            _outbox_row(
                key=message.key,
                recipient=message.user.email,
                subject=email.subject,
                text=email.text,
                html=email.html,
                kind=message.kind,
                user=message.user,
                case_id=message.case_id,
                now=now,
            )
            for message, email in rendered
        ]
    )
    notifications = [
        {
            "user_id": message.user.id,
            "case_id": message.case_id,
            "kind": message.kind.value,
            "message": email.subject,
            "created_at": now,
        }
        for message, email in rendered
        if message.in_app and message.key in ids
    ]
    if notifications:
        db.session.execute(insert(Notification), notifications)
    return ids


def queue_officer_messages(messages: Sequence[OfficerMessage], now: datetime) -> int:
    """Queue the messages not queued before; only new messages are rendered, so a
    job may run every minute cheaply. Returns how many were new."""
    known = queued_keys(message.key for message in messages)
    return len(insert_officer_messages([m for m in messages if m.key not in known], now))


def queue_account_message(user: User, topic: str, email: Email, now: datetime) -> bool:
    """A message about a staff member's own account (a change, a password link),
    queued in the transaction that made the change; `topic` makes its key unique."""
    return queue_message(
        key=f"account:user={user.id}:{topic}:{now.isoformat()}",
        recipient=user.email,
        subject=email.subject,
        text=email.text,
        html=email.html,
        kind=MessageKind.ACCOUNT,
        user=user,
        now=now,
    )


def forget_reporter_address(report_id: int) -> int:
    """Delete every progress e-mail of a report, sent or not, with the address it
    holds: the reporter withdrew it, or its retention ended."""
    prefix = f"reporter:report={report_id}:"
    statement = delete(OutboxMessage).where(OutboxMessage.key.startswith(prefix, autoescape=True))
    return db.session.execute(statement).rowcount


def _queue_to_reporter(report: Report, topic: str, email: Email, now: datetime) -> bool:
    """An e-mail to a reporter who asked for e-mails (keyed so that withdrawing the
    address deletes it with the rest); False when they did not ask."""
    if not (report.wants_email_updates and report.progress_email_enc):
        return False
    return queue_message(
        key=f"reporter:report={report.id}:{topic}",
        recipient=decrypt_text(report.progress_email_enc),
        subject=email.subject,
        text=email.text,
        html=email.html,
        kind=MessageKind.REPORTER,
        case=report.case,
        now=now,
    )


def queue_receipt_email(report: Report, tracking_code: str, now: datetime) -> bool:
    """The receipt of a report just sent (its id flushed), to a reporter who asked
    for e-mails."""
    return _queue_to_reporter(report, "receipt", receipt_email(tracking_code[-4:]), now)


def queue_question_email(report: Report, message_id: int, question: str, now: datetime) -> bool:
    """An officer's question, to a reporter who asked for e-mails."""
    email = reporter_question_email(question)
    return _queue_to_reporter(report, f"question={message_id}", email, now)


def queue_reporter_updates(case: Case, now: datetime) -> int:
    """In the transaction of a transition that added a public update: tell every
    reporter of the case who asked for e-mails, with the public text only."""
    status = case.status_enum
    if status not in REPORTER_STATUSES:
        return 0
    topic = f"status={status.value}:{len(case.public_updates)}"
    email = reporter_email(status, case.public_updates[-1].message)
    count = 0
    # The caller flushes the case itself (and turns a lost race into a clean error).
    with db.session.no_autoflush:
        for report in case.reports:
            count += _queue_to_reporter(report, topic, email, now)
    return count


# --- delivery ---------------------------------------------------------------------


@dataclass
class DeliveryResult:
    configured: bool = True
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0

    def __str__(self) -> str:
        if not self.configured:
            return "SMTP not configured (no SMTP_HOST): messages stay queued"
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} given up"
        return text + (f", {self.reclaimed} reclaimed" if self.reclaimed else "")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return timedelta(minutes=min(2 ** min(attempts - 1, 6), MAX_BACKOFF_MINUTES))


def deliver_pending(now: datetime, settings: SmtpSettings) -> DeliveryResult:
    """Send every due pending message; without SMTP_HOST, leave them queued.

    Unlike other services this commits, in short write transactions of its own (the
    claims, then each result): nothing may stay open while SMTP is slow.
    """
    if not settings.configured:
        return DeliveryResult(configured=False)
    with write_intent():
        result = DeliveryResult(reclaimed=_reclaim_expired())
        while due := _due_ids(now):
            batch = _claim_batch(due)  # empty when another sender was faster
            if batch and not _send_batch(batch, now, settings, result):
                break
    return result


def _reclaim_expired() -> int:
    """Claims of a sender that died mid-send go back to pending (it may have sent
    some of them: the resend carries the same Message-ID).

    Claims are about live processes, so they use the wall clock, not `now`: an
    operator's `tick --now` in the future must not hold rows for that long."""
    reclaimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < utcnow())
        .values(status=PENDING, claimed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if reclaimed:
        log.warning("outbox: %d messages of a stopped sender are pending again", reclaimed)
    return reclaimed


def _claim(message_id: int) -> bool:
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        .values(status=SENDING, claimed_until=utcnow() + SEND_LEASE)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _due_ids(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(SEND_BATCH)
        )
    )


def _claim_batch(due: list[int]) -> list[tuple[Outgoing, int]]:
    """Claim what is still pending of ``due`` and commit; with each row's attempts."""
    claimed = [message_id for message_id in due if _claim(message_id)]
    rows = db.session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.key,
            OutboxMessage.recipient_enc,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.attempts,
            OutboxMessage.request_id,
        )
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ).all()
    db.session.commit()
    return [
        (
            Outgoing(
                row.id,
                row.key,
                decrypt_text(row.recipient_enc),
                row.subject,
                row.body_text,
                row.body_html,
                row.request_id,
            ),
            row.attempts,
        )
        for row in rows
    ]


def _send_batch(
    batch: list[tuple[Outgoing, int]], now: datetime, settings: SmtpSettings, result: DeliveryResult
) -> bool:
    """Send a claimed batch over one connection; False when the server is unreachable."""
    try:
        with smtp_connection(settings) as smtp:
            for position, (item, attempts) in enumerate(batch):
                try:
                    smtp.send_message(build_message(item, settings))
                except MESSAGE_ERRORS as exc:
                    _record_failure(item, attempts, exc, now, settings, result)
                except OSError as exc:  # the connection is gone
                    _record_failure(item, attempts, exc, now, settings, result)
                    _release([queued for queued, _attempts in batch[position + 1 :]])
                    return False
                else:
                    _mark_sent(item, now, result)
    except OSError as exc:  # cannot connect, start TLS or log in
        log.warning("outbox: SMTP server unavailable: %s", describe_error(exc, ""))
        for item, attempts in batch:
            _record_failure(item, attempts, exc, now, settings, result)
        return False
    return True


def _finish_row(item: Outgoing, **values) -> bool:
    """Record the end of this sender's claim; False if the claim had been lost."""
    done = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item.id, OutboxMessage.status == SENDING)
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return done == 1


def _mark_sent(item: Outgoing, now: datetime, result: DeliveryResult) -> None:
    if _finish_row(item, status=OutboxStatus.SENT.value, sent_at=now, last_error=""):
        result.sent += 1
        log.info("outbox: message %d sent", item.id)
    else:
        log.warning("outbox: message %d was sent after its claim expired", item.id)


def _record_failure(
    item: Outgoing,
    attempts: int,
    exc: BaseException,
    now: datetime,
    settings: SmtpSettings,
    result: DeliveryResult,
) -> None:
    attempts += 1
    error = describe_error(exc, item.recipient)
    give_up = attempts >= settings.max_attempts
    status = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
    _finish_row(
        item,
        status=status.value,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + backoff(attempts),
    )
    if give_up:
        result.failed += 1
    else:
        result.retrying += 1
    log.warning(
        "outbox: message %d not sent (attempt %d, %s): %s", item.id, attempts, status, error
    )


def _release(items: list[Outgoing]) -> None:
    """Hand back claims that were never attempted (no attempt is counted)."""
    if not items:
        return
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([item.id for item in items]), OutboxMessage.status == SENDING)
        .values(status=PENDING, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- in-app notifications and the admin view --------------------------------------


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def notifications_for(user_id: int, limit: int = LIST_LIMIT) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user_id: int, now: datetime) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys((status.value for status in OutboxStatus), 0)
    counts.update({status: count for status, count in rows})
    return counts


def latest_outbox(limit: int = LIST_LIMIT) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


def mask_address(address: str) -> str:
    """``lan@demo.inspect.vn`` → ``l***@demo.inspect.vn``."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def masked_recipient(message: OutboxMessage) -> str | None:
    """An officer's address, masked; None for a reporter (never shown at all)."""
    if message.recipient_user_id is None:
        return None
    return mask_address(decrypt_text(message.recipient_enc) or "")

"""Appending to the audit log and checking its hash chain.

Every event's hash covers its own fields and the previous event's hash; the head
row names the newest event. Appends are serialised so the chain never forks:
PostgreSQL takes a transaction-level advisory lock, SQLite relies on its single
write lock (taken at BEGIN for requests and `write_intent()`, and at the latest by
the first write here).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update

from inspect_app.accounts.models import User
from inspect_app.audit.models import (
    GENESIS_HASH,
    HEAD_ID,
    AuditEvent,
    AuditHead,
    canonical_json,
)
from inspect_app.cases.models import Case
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.observability.context import current_request_id

# pg_advisory_xact_lock key of the audit chain: the bytes of "auditlog".
CHAIN_LOCK_KEY = 0x61756469746C6F67
VERIFY_BATCH = 5_000
SYSTEM_LABEL = "system"
_ACTION = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


class AuditChainError(RuntimeError):
    """The chain cannot be extended safely (its head is gone)."""


class _Hashed(Protocol):
    """An event as stored: an AuditEvent or a row of its columns."""

    prev_hash: str
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    case_id: int | None
    data_json: str


class _Stored(_Hashed, Protocol):
    hash: str


def event_hash(event: _Hashed) -> str:
    """SHA-256 of the previous hash and every stored field, `|`-separated."""
    parts = (
        event.prev_hash,
        str(event.seq),
        event.occurred_at.isoformat(),
        str(event.actor_id),
        event.actor_label,
        event.action,
        str(event.case_id),
        event.data_json,
    )
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def record_event(
    *,
    actor: User | None,
    action: str,
    case: Case | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain and flush; the caller commits.

    `actor_label` names an actor that is not a user (an API partner key) when
    `actor` is None.

    Make it the last write of the transaction: pending changes are flushed first,
    then the chain stays locked (PostgreSQL advisory lock, SQLite write lock) until
    the commit or rollback.
    """
    if not _ACTION.fullmatch(action) or len(action) > 60:
        raise ValueError(f"malformed audit action {action!r}")
    occurred_at = _as_utc(at or utcnow())
    db.session.flush()  # assigns ids (a new case) and takes row locks before the chain lock
    _lock_chain()
    head = _head_for_append()
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=occurred_at,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else (actor_label or SYSTEM_LABEL),
        action=action,
        case_id=_case_id(case),
        data_json=canonical_json(data or {}),
        prev_hash=head.last_hash,
        request_id=current_request_id(),
    )
    event.hash = event_hash(event)
    db.session.add(event)
    head.last_seq, head.last_hash = event.seq, event.hash
    db.session.flush()
    return event


def _as_utc(value: datetime) -> datetime:
    """Hash exactly what is read back: UTC, which both databases return."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given for an audit event")
    return value.astimezone(UTC)


def _case_id(case: Case | None) -> int | None:
    if case is None:
        return None
    if case.id is None:
        raise ValueError("the case is not in the session")
    return case.id


def _lock_chain() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
        return
    # SQLite: a write takes the database's write lock (a no-op under BEGIN
    # IMMEDIATE), so no other connection can append between our read and insert.
    table = AuditHead.__table__
    db.session.execute(update(table).where(table.c.id == HEAD_ID).values(last_seq=table.c.last_seq))


def _head_for_append() -> AuditHead:
    # populate_existing: never trust a copy loaded before the lock was taken.
    head = db.session.get(AuditHead, HEAD_ID, populate_existing=True)
    if head is not None:
        return head
    if db.session.scalar(select(AuditEvent.id).limit(1)) is not None:
        raise AuditChainError("audit head missing while events exist; run `flask audit verify`")
    head = AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
    db.session.add(head)
    return head


def case_timeline(case_id: int) -> list[AuditEvent]:
    """A case's events, oldest first."""
    query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


@dataclass
class _Cursor:
    """How far the walk has got: the last good event."""

    seq: int = 0
    hash: str = GENESIS_HASH
    checked: int = 0


def verify_chain(batch_size: int = VERIFY_BATCH) -> VerifyResult:
    """Recompute the chain in seq order, a batch at a time, then check the head.

    The head is read first and the walk stops at it, so events appended while the
    check runs are neither a false alarm nor checked (the next run checks them).
    """
    head = _read_head()
    cursor = _Cursor()
    broken = _walk(cursor, head.last_seq if head else None, batch_size)
    if broken:
        return broken
    if head is None:
        if cursor.checked:
            return VerifyResult(False, cursor.checked, None, "audit head row missing")
        return VerifyResult(True, 0)
    return _check_head(cursor, head) or _check_beyond_head(cursor)


def _read_head() -> AuditHead | None:
    return db.session.get(AuditHead, HEAD_ID, populate_existing=True)


def _walk(cursor: _Cursor, upto: int | None, batch_size: int) -> VerifyResult | None:
    """Keyset pagination on seq: memory stays flat however long the chain is."""
    columns = AuditEvent.__table__.c
    while True:
        query = select(columns).where(columns.seq > cursor.seq).order_by(columns.seq)
        if upto is not None:
            query = query.where(columns.seq <= upto)
        rows = db.session.execute(query.limit(batch_size)).all()
        for row in rows:
            reason = _fault(row, cursor)
            if reason:
                return VerifyResult(False, cursor.checked, row.seq, reason)
            cursor.seq, cursor.hash, cursor.checked = row.seq, row.hash, cursor.checked + 1
        if len(rows) < batch_size:
            return None


def _fault(row: _Stored, cursor: _Cursor) -> str | None:
    expected = cursor.seq + 1
    if row.seq != expected:
        missing = str(expected) if row.seq == expected + 1 else f"{expected}..{row.seq - 1}"
        return f"events missing before it (seq {missing})"
    if row.prev_hash != cursor.hash:
        return "prev_hash does not match the previous event's hash"
    if row.hash != event_hash(row):
        return "hash mismatch"
    return None


def _check_head(cursor: _Cursor, head: AuditHead) -> VerifyResult | None:
    if cursor.seq < head.last_seq:
        first = cursor.seq + 1
        missing = str(first) if first == head.last_seq else f"{first}..{head.last_seq}"
        reason = f"newest events missing (seq {missing}; the head records {head.last_seq})"
        return VerifyResult(False, cursor.checked, first, reason)
    if cursor.hash != head.last_hash:
        reason = "the head's hash does not match this event"
        return VerifyResult(False, cursor.checked, head.last_seq, reason)
    return None


def _check_beyond_head(cursor: _Cursor) -> VerifyResult:
    """Events past the head are fine only if appended since we read it."""
    newest = db.session.scalar(select(func.max(AuditEvent.seq)))
    if newest is not None and newest > cursor.seq:
        head = _read_head()
        if head is None or head.last_seq < newest:
            return VerifyResult(
                False, cursor.checked, cursor.seq + 1, "events beyond the head's last seq"
            )
    return VerifyResult(True, cursor.checked)

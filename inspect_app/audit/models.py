"""The audit log: append-only events chained by SHA-256, and the chain's head."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.dbtypes import UTCDateTime
from inspect_app.extensions import db

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def canonical_json(data: dict[str, Any]) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditEvent(db.Model):
    """One audited action. Never updated or deleted (database triggers refuse it).

    `hash` covers every other column but `id` and `request_id` and links to the previous event's
    hash, so any edit, insertion or removal breaks the chain (`verify_chain`).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_case_seq", "case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # NULL for system jobs; the label keeps the e-mail the actor had at the time.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    data_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The request (or scheduler pass) that wrote it, to find its log lines; not
    # part of the hash.
    request_id: Mapped[str | None] = mapped_column(String(128))
    hash: Mapped[str] = mapped_column(String(64))

    # Read-only: the ORM must never write to this table through a relationship.
    actor = relationship("User", viewonly=True)
    case = relationship("Case", viewonly=True)

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json)


class AuditHead(db.Model):
    """The single row (id 1) naming the newest event, updated with every append in
    the same transaction — so removing the newest events is detected too."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint(f"id = {HEAD_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


# SQLite only: while this table holds a row, the triggers let the writing
# transaction update or delete audit events (tests; see purge.py). PostgreSQL uses
# a transaction-local setting instead, but the table exists on both so the schema
# matches the models.
audit_purge_permit = Table(
    "audit_purge_permit",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
)

"""The lock row that keeps a second scheduler process waiting (SQLite and others;
PostgreSQL uses an advisory lock instead)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.dbtypes import UTCDateTime
from inspect_app.extensions import db


class SchedulerLockRow(db.Model):
    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

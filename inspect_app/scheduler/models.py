"""The lock row that keeps a second scheduler process waiting (SQLite and others;
PostgreSQL uses an advisory lock instead), and when each job last ran."""

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


class SchedulerJobRun(db.Model):
    """When a scheduler job last succeeded and last failed (for monitoring)."""

    __tablename__ = "scheduler_job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

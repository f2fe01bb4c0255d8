"""The lock that lets exactly one scheduler process run jobs.

PostgreSQL: a session-level advisory lock on a connection kept open for the life
of the process, so it dies with the process (or its connection). Other databases
(SQLite): a row in `scheduler_locks` with a lease the running scheduler renews;
another process takes the lock over once the lease has run out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from inspect_app.dbsetup import write_intent
from inspect_app.dbtypes import utcnow
from inspect_app.scheduler.models import SchedulerLockRow

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
# pg_advisory_lock key: the bytes of "schedulr".
ADVISORY_KEY = 0x7363686564756C72
MAX_POLL_SECONDS = 5.0
_LOCKS = SchedulerLockRow.__table__


def holder_name() -> str:
    """Who holds the lock, for the waiting process's log: host, pid, a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SchedulerLock:
    """`acquire()` once, `renew()` every `renew_seconds`, `release()` at the end."""

    def __init__(self, engine: Engine, lease_seconds: int = 60, holder: str | None = None):
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or holder_name()
        self.advisory = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None

    @property
    def renew_seconds(self) -> float:
        return self.lease.total_seconds() / 3

    @property
    def poll_seconds(self) -> float:
        return min(MAX_POLL_SECONDS, self.renew_seconds)

    def acquire(self, wait: bool = True, stop: threading.Event | None = None) -> bool:
        """Take the lock; with ``wait``, poll until it is free or ``stop`` is set."""
        stop = stop or threading.Event()
        reported = None
        while not stop.is_set():
            if self.try_acquire():
                log.info("scheduler lock acquired by %s", self.holder)
                return True
            if not wait:
                return False
            current = self.current_holder()
            if current != reported:
                log.info("waiting for the scheduler lock held by %s", current or "another process")
                reported = current
            stop.wait(self.poll_seconds)
        return False

    def try_acquire(self, now: datetime | None = None) -> bool:
        if self.advisory:
            return self._try_advisory()
        return self._try_row(now or utcnow())

    def renew(self, now: datetime | None = None) -> bool:
        """Extend the lease; False when the lock has been lost."""
        if self.advisory:
            return self._advisory_held()
        with write_intent(), self.engine.begin() as conn:
            renewed = conn.execute(
                update(_LOCKS)
                .where(_LOCKS.c.name == LOCK_NAME, _LOCKS.c.holder == self.holder)
                .values(expires_at=(now or utcnow()) + self.lease)
            ).rowcount
        return renewed == 1

    def release(self) -> None:
        if self.advisory:
            self._close_advisory()
            return
        with write_intent(), self.engine.begin() as conn:
            conn.execute(
                delete(_LOCKS).where(_LOCKS.c.name == LOCK_NAME, _LOCKS.c.holder == self.holder)
            )

    def current_holder(self) -> str | None:
        if self.advisory:
            return self._advisory_holder()
        with self.engine.connect() as conn:
            return conn.scalar(select(_LOCKS.c.holder).where(_LOCKS.c.name == LOCK_NAME))

    # --- lock row (SQLite and the rest) -------------------------------------------

    def _try_row(self, now: datetime) -> bool:
        """Take the row if it is free, expired or already ours (one write transaction)."""
        expires = now + self.lease
        try:
            with write_intent(), self.engine.begin() as conn:
                taken = conn.execute(
                    update(_LOCKS)
                    .where(
                        _LOCKS.c.name == LOCK_NAME,
                        (_LOCKS.c.expires_at < now) | (_LOCKS.c.holder == self.holder),
                    )
                    .values(holder=self.holder, expires_at=expires)
                ).rowcount
                if taken:
                    return True
                exists = conn.scalar(select(_LOCKS.c.name).where(_LOCKS.c.name == LOCK_NAME))
                if exists:
                    return False
                conn.execute(
                    insert(_LOCKS).values(name=LOCK_NAME, holder=self.holder, expires_at=expires)
                )
                return True
        except IntegrityError:  # another process inserted the row first
            return False

    # --- PostgreSQL advisory lock -------------------------------------------------

    def _try_advisory(self) -> bool:
        if self._connection is None:
            self._connection = self.engine.connect()
            # Shown to waiting processes through pg_stat_activity.
            self._connection.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"inspect-scheduler {self.holder}"[:63]},
            )
        got = self._connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        )
        self._connection.commit()  # the lock is the session's; end the transaction
        if not got:
            self._close_advisory()
        return bool(got)

    def _advisory_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted "
                    "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                ),
                _key_halves(),
            )
            self._connection.commit()
        except Exception:  # any failure means the connection, and the lock, are gone
            log.exception("scheduler lock connection failed")
            return False
        return held == 1

    def _advisory_holder(self) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.application_name, a.pid FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.granted AND l.classid::bigint = :high AND l.objid::bigint = :low "
                    "AND l.objsubid = 1"
                ),
                _key_halves(),
            ).first()
        return f"{row.application_name} (backend pid {row.pid})" if row else None

    def _close_advisory(self) -> None:
        """Unlock, then close the session. Closing alone frees the lock only when the
        server process behind the connection has ended, which a new holder may not
        wait for."""
        if self._connection is not None:
            with contextlib.suppress(DBAPIError):  # a lost connection holds nothing
                self._connection.execute(select(func.pg_advisory_unlock(ADVISORY_KEY)))
            self._connection.invalidate()  # never back into the pool holding the lock
            self._connection.close()
            self._connection = None


def _key_halves() -> dict[str, int]:
    """pg_locks shows a bigint advisory key as two 32-bit halves."""
    return {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF}

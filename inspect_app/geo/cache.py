"""Reference data kept per process.

Administrative units, categories and calendar overrides change only through CLI
commands (`flask refdata load`, `flask deadlines …`), a team's jurisdiction through
an admin page, rarely; so pages may reuse what they read. A write to a watched
table in this process (an ORM flush or an ORM UPDATE/DELETE/INSERT statement, and
the commit or rollback that follows) empties the cache at once.

Other processes and hosts learn of a committed change through Redis (REDIS_URL):
the committing process publishes on a channel, and every process that has cached
something listens on it from a thread of its own and empties its cache. Without
Redis, or while it is unreachable, an entry lives `REFERENCE_TTL` seconds, which
bounds how long a change made elsewhere takes to show (as written by plain SQL,
which no process announces).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward

REFERENCE_TTL = 60.0
RECONNECT_SECONDS = 5.0
_TOUCHED = "reference_data_touched"

log = logging.getLogger(__name__)

_entries: dict[Hashable, tuple[float, Any]] = {}
_watched: set[Table] = set()
# Bumped by every clear(): a value loaded while a clear happened is not kept, as it
# may have been read before the change that caused the clear.
_generation = 0


def cached[T](key: Hashable, load: Callable[[], T]) -> T:
    """The value stored under `key` for this database, loaded by `load()` when
    missing or expired."""
    listen_for_changes()
    key = (db.engine.url, key)
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is not None and now - entry[0] < REFERENCE_TTL:
        return entry[1]
    generation = _generation
    value = load()
    if generation == _generation:
        _entries[key] = (now, value)
    return value


def clear() -> None:
    global _generation
    _generation += 1
    _entries.clear()


def channel_name() -> str:
    """The Redis channel of this deployment's reference-data changes."""
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:reference-data"


class _Listener:
    """A daemon thread subscribed to the channel: any message empties the cache.

    One per process, Redis URL and channel; a forked worker starts its own. While
    it is not subscribed (starting, Redis down) the TTL bounds staleness; each
    (re)subscription empties the cache, as changes may have been missed meanwhile.
    """

    def __init__(self, url: str, channel: str) -> None:
        self.url, self.channel = url, channel
        self.pid = os.getpid()
        self.subscribed = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name="reference-data-listener", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        import redis

        while True:
            try:
                client = redis.Redis.from_url(self.url, health_check_interval=30)
                with client.pubsub() as pubsub:
                    pubsub.subscribe(self.channel)
                    for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            self.subscribed.set()
                        clear()
            except redis.RedisError as exc:
                log.warning("reference-data listener: %s; retrying", type(exc).__name__)
            self.subscribed.clear()
            clear()
            time.sleep(RECONNECT_SECONDS)


_listeners: dict[tuple[str, str], _Listener] = {}
_listeners_lock = threading.Lock()


def listen_for_changes() -> _Listener | None:
    """This process's listener for the app's Redis (started on first use), or None
    without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    key = (url, channel_name())
    listener = _listeners.get(key)
    if listener is not None and listener.pid == os.getpid():
        return listener
    with _listeners_lock:
        listener = _listeners.get(key)
        if listener is None or listener.pid != os.getpid():
            listener = _listeners[key] = _Listener(*key)
    return listener


def announce_change() -> None:
    """Tell the other processes that committed reference data changed. A failure
    is logged, not raised: the commit stands, and their TTL bounds the delay."""
    url = current_app.config.get("REDIS_URL") if has_app_context() else None
    if not url:
        return
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.publish(channel_name(), str(os.getpid()))
        finally:
            client.close()
    except redis.RedisError as exc:
        log.warning("reference-data change not announced: %s", type(exc).__name__)


def watch(*models: type) -> None:
    """Empty the cache whenever this process writes to one of `models`."""
    _watched.update(model.__table__ for model in models)


def _is_watched(obj: object) -> bool:
    return getattr(type(obj), "__table__", None) in _watched


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(_is_watched(obj) for obj in changed):
        session.info[_TOUCHED] = True
        clear()


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_write(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    if getattr(state.statement, "table", None) in _watched:
        state.session.info[_TOUCHED] = True
        clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Committed: forget what was read before, and tell the other processes."""
    if session.info.pop(_TOUCHED, False):
        clear()
        announce_change()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    """What was read from uncommitted rows must not outlive their transaction."""
    if session.info.pop(_TOUCHED, False):
        clear()


watch(Province, Ward)


def province_wards(province_code: int) -> list[tuple[int, str]]:
    """(code, name) of the province's active wards, by name (as `wards_of`)."""

    def load() -> list[tuple[int, str]]:
        rows = db.session.execute(
            select(Ward.code, Ward.name)
            .where(Ward.province_code == province_code, Ward.active)
            .order_by(Ward.name)
        )
        return [(code, name) for code, name in rows]

    return cached(("province_wards", province_code), load)

"""Reference data kept per process.

Administrative units, categories and calendar overrides change only through CLI
commands (`flask refdata load`, `flask deadlines …`), a team's jurisdiction through
an admin page, rarely; so pages may reuse what they read. An entry lives
`REFERENCE_TTL` seconds, which bounds how long a change made by another process
takes to show; a write to a watched table in this process (an ORM
flush or an ORM UPDATE/DELETE/INSERT statement, and the commit or rollback that
follows) empties the cache at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward

REFERENCE_TTL = 60.0
_TOUCHED = "reference_data_touched"

_entries: dict[Hashable, tuple[float, Any]] = {}
_watched: set[Table] = set()


def cached[T](key: Hashable, load: Callable[[], T]) -> T:
    """The value stored under `key` for this database, loaded by `load()` when
    missing or expired."""
    key = (db.engine.url, key)
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is not None and now - entry[0] < REFERENCE_TTL:
        return entry[1]
    value = load()
    _entries[key] = (now, value)
    return value


def clear() -> None:
    _entries.clear()


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
@event.listens_for(Session, "after_soft_rollback")
def _after_transaction(session: Session, *_args) -> None:
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

"""Database connection behaviour shared by both engines.

SQLite (the embedded default) needs three things PostgreSQL has built in:
foreign keys switched on, WAL so readers never block the writer, and write
transactions that take the write lock at BEGIN (`BEGIN IMMEDIATE`). Without the
last one two requests could both read a case, then one would fail to write with
"database is locked" instead of waiting its turn and finding the case changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark the transactions opened inside as writes (CLI commands, jobs)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        _plan_each_query(dbapi_connection)
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _plan_each_query(dbapi_connection) -> None:
    """psycopg prepares a statement on the server after its 5th run, and PostgreSQL
    then switches to a generic plan that ignores the parameters. The data is skewed
    (a team's 50 cases or a province's 125,000; 1 % of cases in one state, 70 % in
    another), so a plan for the actual values is worth its fraction of a millisecond
    of planning: the queue's filtered page took 1.48 ms prepared against 0.68 ms."""
    if hasattr(dbapi_connection, "prepare_threshold"):
        dbapi_connection.prepare_threshold = None


def _on_begin(connection) -> None:
    """Writes take the lock up front. Reads stay outside any transaction, as pysqlite
    does by default (it opens one lazily before the first INSERT/UPDATE/DELETE), so
    an idle reader never pins an old WAL snapshot that would make its later write
    fail."""
    if connection.dialect.name == "sqlite" and _write_intent.get():
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _mark_request_writes() -> None:
    """Writes, and API calls with a key or token (every use of one is audited)."""
    from inspect_app.core.web import MACHINE_PREFIXES

    credentialed = "Authorization" in request.headers and request.path.startswith(MACHINE_PREFIXES)
    if request.method not in ("GET", "HEAD", "OPTIONS") or credentialed:
        g.write_intent_token = _write_intent.set(True)


def _unmark_request_writes(_exc: BaseException | None) -> None:
    token = g.pop("write_intent_token", None)
    if token is not None:
        _write_intent.reset(token)


def init_database_behaviour(app: Flask) -> None:
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
    app.before_request(_mark_request_writes)
    app.teardown_request(_unmark_request_writes)


# Database objects created by migrations for one database only (PostgreSQL search
# indexes) that the models deliberately do not declare.
DATABASE_ONLY_INDEXES = frozenset(
    {
        "ix_cases_search_trgm",
        # The queue at a million cases (migration b7d41c9e2a58, docs/performance.md).
        "ix_cases_open_team_due",
        "ix_cases_open_province_due",
        "ix_cases_team_due",
        "ix_cases_province_due",
        "ix_cases_team_search_trgm",
        "ix_cases_province_search_trgm",
        "ix_cases_resolved_stats",
        "ix_cases_received_stats",
        # The scheduler's rules over open cases by deadline (migration 6d3bb988d5fa).
        "ix_cases_open_due_cover",
        # Searches in open cases; a national queue by state (migration e15a0c1d2b04).
        "ix_cases_open_search_trgm",
        "ix_cases_open_province_search_trgm",
        "ix_cases_open_team_search_trgm",
        "ix_cases_open_status_due",
    }
)


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object` hook: ignore the database-only indexes."""
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)

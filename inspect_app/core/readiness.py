"""Readiness: may this process take traffic? For the load balancer (`/readyz`).

Each check answers "ok" or raises; a failure is logged by its exception's type only
(messages may carry host names or credentials of a connection string).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 2.0


class NotReady(Exception):
    """A check's own finding (as opposed to an error while checking)."""


def check_database() -> None:
    db.session.execute(text("SELECT 1"))


def check_migrations() -> None:
    """The database's Alembic revision is the code's head: a host with newer code
    than the schema (or older, after a contract step) must not take traffic."""
    current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    if current != _code_heads():
        raise NotReady("behind")


def _code_heads() -> set[str]:
    cache = current_app.extensions.setdefault("readiness", {})
    if "heads" not in cache:
        config = AlembicConfig()
        config.set_main_option("script_location", current_app.extensions["migrate"].directory)
        cache["heads"] = set(ScriptDirectory.from_config(config).get_heads())
    return cache["heads"]


def check_storage() -> None:
    get_storage().ping()


def check_redis() -> None:
    import redis

    url = current_app.config["REDIS_URL"]
    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, {check: "ok" | "failed" | "not configured"}) for every check."""
    checks: dict[str, Callable[[], None] | None] = {
        "database": check_database,
        "migrations": check_migrations,
        "storage": check_storage,
        "redis": check_redis if current_app.config.get("REDIS_URL") else None,
    }
    results = {}
    for name, check in checks.items():
        results[name] = _run(name, check)
    ready = all(result in ("ok", "not configured") for result in results.values())
    return ready, results


def _run(name: str, check: Callable[[], None] | None) -> str:
    if check is None:
        return "not configured"
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: %s failed: %s", name, type(exc).__name__)
        if name in ("database", "migrations"):
            db.session.rollback()
        return "failed"
    return "ok"

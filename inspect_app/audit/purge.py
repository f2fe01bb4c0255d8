"""Lifting the audit log's append-only triggers — for the test suite only.

The triggers (see the audit_log migration) refuse UPDATE and DELETE on
audit_events unless the *current transaction* holds a permit: on PostgreSQL the
transaction-local setting `inspect.allow_audit_purge`, on SQLite a row in
`audit_purge_permit` written (and removed) inside the same transaction, which
therefore no other connection ever sees. This guards against mistakes, not
against someone with direct database access; the hash chain detects that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, insert, text

from inspect_app.audit.models import AuditEvent, AuditHead, audit_purge_permit
from inspect_app.extensions import db

PURGE_SETTING = "inspect.allow_audit_purge"


@contextmanager
def allow_audit_purge() -> Iterator[None]:
    """Let statements inside the block update or delete audit events.

    If the block raises, the session is rolled back, which discards the permit
    together with whatever the block did.
    """
    _grant()
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    _revoke()


def purge_audit_log() -> None:
    """Delete every audit event and the head, in the current transaction."""
    with allow_audit_purge():
        db.session.execute(delete(AuditEvent))
        db.session.execute(delete(AuditHead))


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _grant() -> None:
    if _is_postgresql():
        db.session.execute(text(f"SET LOCAL {PURGE_SETTING} = 'on'"))
    else:
        db.session.execute(insert(audit_purge_permit).values(id=1))


def _revoke() -> None:
    if _is_postgresql():
        db.session.execute(text(f"SET LOCAL {PURGE_SETTING} = 'off'"))
    else:
        db.session.execute(delete(audit_purge_permit))

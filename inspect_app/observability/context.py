"""The id of the request (or scheduler pass) being served, for logs, e-mail headers
and audit events. A context variable, so it needs no Flask import where it is read."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

# What a client or proxy may choose as X-Request-ID: short, no spaces or markup.
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """``value`` when it is a well-formed id (an upstream proxy's), else a new one."""
    if value and _VALID.fullmatch(value):
        return value
    return new_request_id()


def bind_request_id(request_id: str) -> Token:
    return _current.set(request_id)


def unbind_request_id(token: Token) -> None:
    _current.reset(token)

"""Throttling failed logins without handing outsiders a way to lock staff out.

Three counters, each a row of `login_throttles` keyed by a hash (no address or
e-mail is stored in the clear):

- per account *and* client address: after LOGIN_MAX_FAILURES failures the address
  waits, one minute, then twice as long after every further failure (capped at
  LOGIN_BLOCK_MAX_MINUTES) — one attacker is slowed to a crawl;
- per account, across addresses: after LOGIN_ACCOUNT_MAX_FAILURES failures within a
  day the account accepts attempts only from addresses it has logged in from
  before (`login_addresses`), for as long as the same growing delay — a botnet
  cannot lock an officer out of their usual office, and nothing lasts: every
  block expires by itself;
- per account for second-factor codes, across addresses and cookies.

Keys are the same for e-mail addresses that have no account, so a refusal tells
nothing about who has one. A success clears the counters of its key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select

from inspect_app.accounts.models import LoginAddress, LoginThrottle
from inspect_app.extensions import db

FORGET_AFTER = timedelta(days=1)
KNOWN_ADDRESS_DAYS = 30


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def identifier(email: str) -> str:
    """What a person typed as their e-mail, as the throttle knows it."""
    return email.strip().lower()


def pair_key(email: str, address: str | None) -> str:
    return _digest("pair", identifier(email), address or "")


def account_key(email: str) -> str:
    return _digest("account", identifier(email))


def second_factor_key(user_id: int) -> str:
    return _digest("second_factor", str(user_id))


def _row(key: str, now: datetime) -> LoginThrottle | None:
    row = db.session.get(LoginThrottle, key)
    if row is not None and now - row.last_failure_at > FORGET_AFTER:
        db.session.delete(row)
        db.session.flush()
        return None
    return row


def blocked_until(key: str, now: datetime) -> datetime | None:
    """When the key may try again, if it may not now."""
    row = _row(key, now)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def record_failure(
    key: str, now: datetime, allowed: int, account: str | None = None
) -> datetime | None:
    """Count a failure; past `allowed` failures the key is blocked for a delay that
    doubles with every further one. Returns the new block's end, if any."""
    row = _row(key, now)
    if row is None:
        row = LoginThrottle(key=key, account_key=account, failures=0, last_failure_at=now)
        db.session.add(row)
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - allowed
    if over >= 0:
        cap = current_app.config["LOGIN_BLOCK_MAX_MINUTES"]
        row.blocked_until = now + timedelta(minutes=min(2**over, cap))
    db.session.flush()
    return row.blocked_until if over >= 0 else None


def clear(*keys: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def clear_account(email: str, user_id: int) -> None:
    """Lift every block of an account (an administrator's unlock)."""
    key = account_key(email)
    db.session.execute(
        delete(LoginThrottle).where(
            or_(
                LoginThrottle.key.in_([key, second_factor_key(user_id)]),
                LoginThrottle.account_key == key,
            )
        )
    )


def blocked_emails(emails: list[str], now: datetime) -> set[str]:
    """Which of these accounts are blocked now, everywhere or from some address (for
    the administrator's list)."""
    keys = {account_key(email): email for email in emails}
    rows = db.session.execute(
        select(LoginThrottle.key, LoginThrottle.account_key).where(
            or_(LoginThrottle.key.in_(keys), LoginThrottle.account_key.in_(keys)),
            LoginThrottle.blocked_until > now,
        )
    )
    return {keys[account or key] for key, account in rows}


def address_hash(address: str | None) -> str:
    return _digest("address", address or "")


def remember_address(user_id: int, address: str | None, now: datetime) -> None:
    known = db.session.get(LoginAddress, (user_id, address_hash(address)))
    if known is None:
        db.session.add(
            LoginAddress(user_id=user_id, address_hash=address_hash(address), last_success_at=now)
        )
    else:
        known.last_success_at = now
    db.session.flush()


def is_known_address(user_id: int, address: str | None, now: datetime) -> bool:
    since = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    query = select(LoginAddress.user_id).where(
        LoginAddress.user_id == user_id,
        LoginAddress.address_hash == address_hash(address),
        LoginAddress.last_success_at >= since,
    )
    return db.session.scalar(query) is not None

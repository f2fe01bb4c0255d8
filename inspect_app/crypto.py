"""Encryption at rest of personal data (reporter identity, TOTP secrets).

Keys come from ``INSPECT_DATA_KEY``: one or more Fernet keys separated by commas, the
first one encrypting new data. Keeping the old keys after it lets rotation happen
without downtime (``flask keys rotate`` re-encrypts everything with the first key).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DataKeyError(RuntimeError):
    """The configured data key cannot decrypt a stored value."""


def data_cipher(keys: str | None = None) -> MultiFernet:
    """The MultiFernet built from ``keys`` (default: the app's INSPECT_DATA_KEY)."""
    raw = keys if keys is not None else current_app.config["INSPECT_DATA_KEY"]
    fernets = [Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()]
    if not fernets:
        raise DataKeyError("INSPECT_DATA_KEY is empty")
    return MultiFernet(fernets)


def encrypt_text(value: str | None, cipher: MultiFernet | None = None) -> str | None:
    if value is None or value == "":
        return None
    return (cipher or data_cipher()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str | None, cipher: MultiFernet | None = None) -> str | None:
    if not token:
        return None
    try:
        return (cipher or data_cipher()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DataKeyError("stored value cannot be decrypted with INSPECT_DATA_KEY") from exc


def rotate_token(token: str | None, cipher: MultiFernet) -> str | None:
    """Re-encrypt ``token`` with the primary key."""
    if not token:
        return token
    return cipher.rotate(token.encode("ascii")).decode("ascii")


def decrypt_recent(token: str | None, max_age_seconds: int) -> str | None:
    """A value encrypted at most `max_age_seconds` ago; None if older or unreadable
    (for short-lived secrets kept in a cookie, such as a new tracking code)."""
    if not token:
        return None
    try:
        return data_cipher().decrypt(token.encode("ascii"), ttl=max_age_seconds).decode("utf-8")
    except (InvalidToken, UnicodeError):
        return None

"""Tracking codes (mã tra cứu): random, typed by people, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

# Crockford's base32: no I, L, O, U — nothing to confuse when read aloud or typed.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 16 symbols × 5 bits = 80 random bits
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_tracking_code() -> str:
    """A fresh code, grouped for reading: `K7M2-9QXD-4HTR-B8NC`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize_code(entry: str) -> str | None:
    """Canonical form of what a person typed, or None if it cannot be a code.

    Case, spaces and dashes do not matter; O, I and L are read as 0, 1, 1.
    """
    cleaned = "".join(entry.split()).replace("-", "").upper().translate(_READ_AS)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(code: str) -> str:
    """SHA-256 of the canonical code. 80 random bits make brute force hopeless, so
    no secret pepper is needed (and lookups survive a SECRET_KEY rotation)."""
    canonical = normalize_code(code)
    if canonical is None:
        raise ValueError("not a tracking code")
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()

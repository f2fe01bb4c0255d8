"""Storage sweep: remove orphaned evidence files, report rows whose files are gone.

Intake writes files before it commits the rows, so a failed commit leaves orphans
(never a row pointing at a missing file). The sweep deletes an unreferenced photo's
files once they are older than a grace period: younger files may belong to a
submission that is still committing. Missing files are only reported, never
"repaired", so that monitoring notices them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from inspect_app.evidence.services import get_storage, referenced_hashes
from inspect_app.evidence.storage import (
    LocalStorage,
    Storage,
    display_key,
    original_key,
    thumb_key,
)

DEFAULT_GRACE_HOURS = 24.0
VARIANTS: dict[str, Callable[[str], str]] = {
    "original": original_key,
    "display": display_key,
    "thumb": thumb_key,
}
_HASH_IN_NAME = re.compile(r"([0-9a-f]{64})(?:-display\.jpg|-thumb\.jpg)?")


@dataclass
class SweepResult:
    removed: list[str] = field(default_factory=list)  # keys deleted (or, dry run, to delete)
    kept_young: int = 0  # files of unreferenced photos still within the grace period
    temp_removed: int = 0  # temp files of interrupted writes, past the grace period
    missing: list[str] = field(default_factory=list)  # referenced sha256 lacking a variant


def photo_hash(key: str) -> str | None:
    """The SHA-256 whose original, display or thumbnail ``key`` is; None otherwise."""
    match = _HASH_IN_NAME.fullmatch(key.rsplit("/", 1)[-1])
    if match is None:
        return None
    sha256 = match.group(1)
    return sha256 if any(make(sha256) == key for make in VARIANTS.values()) else None


def absent_variants(storage: Storage, sha256: str) -> list[str]:
    """Names of the variants of ``sha256`` that ``storage`` does not hold."""
    return [name for name, make in VARIANTS.items() if not storage.exists(make(sha256))]


def sweep_storage(
    storage: Storage,
    referenced: set[str],
    *,
    now: float,
    grace_seconds: float,
    dry_run: bool,
) -> SweepResult:
    """Delete unreferenced photo files older than the grace period; list missing ones.

    Files that are no photo variant (other kinds of keys) are left alone.
    """
    cutoff = now - grace_seconds
    mtimes = dict(storage.iter_keys())
    result = SweepResult(missing=_missing(mtimes, referenced))
    for keys in _orphans(mtimes, referenced).values():
        # The newest variant decides, so a photo's files go together or not at all.
        if max(mtimes[key] for key in keys) < cutoff:
            result.removed.extend(keys)
        else:
            result.kept_young += len(keys)
    result.removed.sort()
    result.temp_removed = _sweep_temp(storage, now, grace_seconds, dry_run)
    if not dry_run:
        for key in result.removed:
            storage.delete(key)
    return result


def _missing(mtimes: dict[str, float], referenced: set[str]) -> list[str]:
    return sorted(
        sha256
        for sha256 in referenced
        if any(make(sha256) not in mtimes for make in VARIANTS.values())
    )


def _orphans(mtimes: dict[str, float], referenced: set[str]) -> dict[str, list[str]]:
    """Keys of photo files whose hash no row references, grouped by hash."""
    orphans: dict[str, list[str]] = {}
    for key in mtimes:
        sha256 = photo_hash(key)
        if sha256 is not None and sha256 not in referenced:
            orphans.setdefault(sha256, []).append(key)
    return orphans


def _sweep_temp(storage: Storage, now: float, grace_seconds: float, dry_run: bool) -> int:
    """Remove temp files older than the grace period; only local storage has them."""
    if not isinstance(storage, LocalStorage):
        return 0
    # iter_stale_temp measures age against the wall clock; shift it to ``now``.
    stale = list(storage.iter_stale_temp(older_than=grace_seconds + time.time() - now))
    if not dry_run:
        for path in stale:
            path.unlink(missing_ok=True)
    return len(stale)


def sweep_configured_storage(
    *, grace_seconds: float = DEFAULT_GRACE_HOURS * 3600, dry_run: bool = False
) -> SweepResult:
    """Sweep the app's storage against the photo rows (needs an app context)."""
    return sweep_storage(
        get_storage(),
        referenced_hashes(),
        now=time.time(),
        grace_seconds=grace_seconds,
        dry_run=dry_run,
    )


def sweep_job(app: Flask) -> SweepResult:
    """Scheduler entry point: a default sweep in its own app context."""
    with app.app_context():
        return sweep_configured_storage()

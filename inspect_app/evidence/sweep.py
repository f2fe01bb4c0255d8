"""Storage sweep: remove orphaned evidence files, report rows whose files are gone.

Intake writes files before it commits the rows, so a failed commit leaves orphans
(never a row pointing at a missing file). The sweep deletes files no row needs once
they are older than a grace period: younger files may belong to a submission that is
still committing. A file is needed when a photo or an inspection record refers to
its id and variant; an original whose key the retention schedule destroyed is no
longer needed, so its (undecryptable) bytes go too. Missing files are only reported,
never "repaired", so that monitoring notices them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask

from inspect_app.evidence.services import VARIANTS, get_storage, referenced_files
from inspect_app.evidence.staging import expire_staged
from inspect_app.evidence.storage import LocalStorage, Storage
from inspect_app.extensions import db
from inspect_app.intake.receipts import expire_receipts

DEFAULT_GRACE_HOURS = 24.0
_ID_IN_NAME = re.compile(r"([0-9a-f]{64})(?:-display\.jpg|-thumb\.jpg)?")

# File id → the variants rows need of it (see `referenced_files`).
type Referenced = Mapping[str, Collection[str]]


@dataclass
class SweepResult:
    removed: list[str] = field(default_factory=list)  # keys deleted (or, dry run, to delete)
    kept_young: int = 0  # files no row needs, still within the grace period
    temp_removed: int = 0  # temp files of interrupted writes, past the grace period
    missing: list[str] = field(default_factory=list)  # referenced file ids lacking a variant
    staged_expired: int = 0  # staged photos never claimed, past the grace period


def file_variant(key: str) -> tuple[str, str] | None:
    """The (file id, variant) that ``key`` stores; None for any other key."""
    match = _ID_IN_NAME.fullmatch(key.rsplit("/", 1)[-1])
    if match is None:
        return None
    file_id = match.group(1)
    for variant, make in VARIANTS.items():
        if make(file_id) == key:
            return file_id, variant
    return None


def absent_variants(storage: Storage, file_id: str, variants: Collection[str]) -> list[str]:
    """Names of the `variants` of ``file_id`` that ``storage`` does not hold."""
    return [name for name in variants if not storage.exists(VARIANTS[name](file_id))]


def sweep_storage(
    storage: Storage,
    referenced: Referenced,
    *,
    now: float,
    grace_seconds: float,
    dry_run: bool,
) -> SweepResult:
    """Delete files no row needs that are older than the grace period; list missing ones.

    Keys that are no evidence file (other kinds of keys) are left alone.
    """
    cutoff = now - grace_seconds
    mtimes = dict(storage.iter_keys())
    result = SweepResult(missing=_missing(mtimes, referenced))
    for keys in _orphans(mtimes, referenced).values():
        # The newest file decides, so a photo's files go together or not at all.
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


def _missing(mtimes: dict[str, float], referenced: Referenced) -> list[str]:
    return sorted(
        file_id
        for file_id, variants in referenced.items()
        if any(VARIANTS[name](file_id) not in mtimes for name in variants)
    )


def _orphans(mtimes: dict[str, float], referenced: Referenced) -> dict[str, list[str]]:
    """Keys of evidence files that no row needs, grouped by file id."""
    orphans: dict[str, list[str]] = {}
    for key in mtimes:
        found = file_variant(key)
        if found is None:
            continue
        file_id, variant = found
        if variant not in referenced.get(file_id, ()):
            orphans.setdefault(file_id, []).append(key)
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
    """Sweep the app's storage against the photo and document rows (app context).

    Staged photos never claimed within the grace period are deleted first (their
    files then count as orphans), and so are the receipts of submitted forms; a dry
    run deletes no row but counts those files as removable all the same."""
    now = time.time()
    cutoff = datetime.fromtimestamp(now - grace_seconds, UTC)
    expired = 0 if dry_run else _expire_rows(cutoff)
    result = sweep_storage(
        get_storage(),
        referenced_files(staged_since=cutoff),
        now=now,
        grace_seconds=grace_seconds,
        dry_run=dry_run,
    )
    result.staged_expired = expired
    return result


def _expire_rows(cutoff: datetime) -> int:
    expired = expire_staged(cutoff)
    expire_receipts(cutoff)
    db.session.commit()
    return expired


def sweep_job(app: Flask) -> SweepResult:
    """Scheduler entry point: a default sweep in its own app context."""
    with app.app_context():
        return sweep_configured_storage()

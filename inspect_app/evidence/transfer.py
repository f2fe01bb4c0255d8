"""Copying every evidence file from one storage to another: the evidence half of a
backup (to a folder) and of a restore (from it, into a fresh store of either kind).

Files are copied as stored: encrypted, under their keys; nothing is decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspect_app.evidence.storage import Storage


@dataclass
class TransferResult:
    copied: int = 0
    skipped: int = 0  # already in the target with the same bytes
    bytes: int = 0


def copy_evidence(source: Storage, target: Storage) -> TransferResult:
    """Put every key of ``source`` into ``target``; a key the target already holds
    with the same bytes is skipped, so an interrupted copy can be run again."""
    result = TransferResult()
    for key, _mtime in source.iter_keys():
        data = source.get(key)
        if target.exists(key) and target.get(key) == data:
            result.skipped += 1
            continue
        target.put(key, data)
        result.copied += 1
        result.bytes += len(data)
    return result

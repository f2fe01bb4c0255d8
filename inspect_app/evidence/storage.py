"""Blob storage for evidence files, addressed by internal keys.

Keys are built by the helpers below from file ids (64 lowercase hex digits: random
for encrypted files, the SHA-256 of files stored in the clear before encryption at
rest), never from user file names, and are validated against a strict pattern
before touching the disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

TEMP_PREFIX = ".tmp-"
MAX_KEY_LENGTH = 255

# Lowercase only (keys must not collide on case-insensitive file systems) and
# every segment starts with a letter or digit, which rules out ".", ".." and
# temp-file names.
_SEGMENT = r"[a-z0-9][a-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_FILE_ID_RE = re.compile(r"[0-9a-f]{64}")


class Storage(Protocol):
    """Where evidence bytes live. Missing keys raise FileNotFoundError."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self) -> Iterator[tuple[str, float]]:
        """Yield every stored key with its modification time (epoch seconds)."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a well-formed storage key, else raise ValueError."""
    if len(key) > MAX_KEY_LENGTH or ".." in key or not _KEY_RE.fullmatch(key):
        msg = f"invalid storage key: {key!r}"
        raise ValueError(msg)
    return key


def original_key(file_id: str) -> str:
    return f"originals/{_shard(file_id)}/{file_id}"


def display_key(file_id: str) -> str:
    return f"derived/{_shard(file_id)}/{file_id}-display.jpg"


def thumb_key(file_id: str) -> str:
    return f"derived/{_shard(file_id)}/{file_id}-thumb.jpg"


def _shard(file_id: str) -> str:
    """``ab/cd`` for ``abcd…``: keeps directories small (65,536 leaves)."""
    if not _FILE_ID_RE.fullmatch(file_id):
        msg = f"not a file id (64 lowercase hex digits): {file_id!r}"
        raise ValueError(msg)
    return f"{file_id[:2]}/{file_id[2:4]}"


class LocalStorage:
    """Storage in a directory tree with atomic, durable writes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically; readers never see a partial file.

        Rewriting identical content only refreshes the file's time, as keys are
        content-addressed: the sweep's grace period must count from this write,
        or an old orphan uploaded again could be swept before its row commits.
        """
        path = self._path(key)
        if self._has_content(path, data):
            os.utime(path)
            return
        self._ensure_dir(path.parent)
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as temp_file:
                temp_file.write(data)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)

    def iter_keys(self) -> Iterator[tuple[str, float]]:
        for path in self._iter_files():
            key = path.relative_to(self.root).as_posix()
            mtime = _mtime(path)
            if _KEY_RE.fullmatch(key) and mtime is not None:
                yield key, mtime

    def iter_stale_temp(self, older_than: float) -> Iterator[Path]:
        """Temp files of interrupted writes, unmodified for ``older_than`` seconds."""
        cutoff = time.time() - older_than
        for path in self._iter_files():
            mtime = _mtime(path)
            if path.name.startswith(TEMP_PREFIX) and mtime is not None and mtime < cutoff:
                yield path

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _iter_files(self) -> Iterator[Path]:
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for name in filenames:
                yield Path(dirpath, name)

    def _ensure_dir(self, directory: Path) -> None:
        """``mkdir -p`` that fsyncs every parent it adds an entry to.

        Otherwise a new shard directory, and the file in it, may vanish in a crash.
        """
        if directory.is_dir():
            return
        self._ensure_dir(directory.parent)
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
        _fsync_dir(directory.parent)

    @staticmethod
    def _has_content(path: Path, data: bytes) -> bool:
        try:
            return path.stat().st_size == len(data) and path.read_bytes() == data
        except FileNotFoundError:
            return False


def _mtime(path: Path) -> float | None:
    """Modification time, or None if the file was deleted meanwhile."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def _fsync_dir(directory: Path) -> None:
    """Persist directory entries (a rename or a new file) to disk."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

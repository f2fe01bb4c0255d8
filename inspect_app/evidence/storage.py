"""Blob storage for evidence files, addressed by internal keys.

Keys are built by the helpers below from file ids (64 lowercase hex digits: random
for encrypted files, the SHA-256 of files stored in the clear before encryption at
rest), never from user file names, and are validated against a strict pattern
before touching the disk or the object store.

Two back ends: `LocalStorage` (a folder, one host) and `S3Storage` (a bucket of an
S3-compatible object store, shared by every host); `get_storage` picks one from
the configuration (STORAGE_BACKEND).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from inspect_app.observability.counters import count_storage_error

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

    def ping(self) -> None:
        """Raise if the storage cannot be reached or written (readiness check)."""
        ...


class StorageError(OSError):
    """The storage back end failed (unreachable, refused, misconfigured)."""


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
            count_storage_error("local", "put")
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

    def ping(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            count_storage_error("local", "ping")
            msg = f"upload folder missing or not writable: {self.root}"
            raise StorageError(msg)

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


class S3Storage:
    """Storage in a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph RGW).

    Every key lives under ``prefix`` in ``bucket``. A PUT is atomic in S3: readers
    see the old object or the whole new one, never part of it, and an interrupted
    upload leaves nothing under the key, so no temp names are needed. Each PUT
    carries its Content-MD5, which the server checks before storing. Rewriting an
    object refreshes its LastModified, which the sweep's grace period counts from
    (as `LocalStorage.put` refreshes the file's time).
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "", probe: Any = None) -> None:
        self.client = client
        # The readiness check's client: short timeouts and no retries, so a load
        # balancer hears of an unreachable store in seconds (default: `client`).
        self.probe = probe or client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def put(self, key: str, data: bytes) -> None:
        digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self._object(key),
            Body=data,
            ContentMD5=digest,
            ContentType="application/octet-stream",
        )

    def get(self, key: str) -> bytes:
        response = self._call("get_object", Bucket=self.bucket, Key=self._object(key))
        with contextlib.closing(response["Body"]) as body:
            return body.read()

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", Bucket=self.bucket, Key=self._object(key))
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error (nor is it in S3)."""
        self._call("delete_object", Bucket=self.bucket, Key=self._object(key))

    def iter_keys(self) -> Iterator[tuple[str, float]]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix) :]
                    if _KEY_RE.fullmatch(key):
                        yield key, item["LastModified"].timestamp()
        except _client_errors() as exc:
            raise _storage_error(exc, "list") from exc

    def ping(self) -> None:
        try:
            self._call("head_bucket", Bucket=self.bucket, client=self.probe)
        except FileNotFoundError as exc:
            msg = f"object store: no bucket {self.bucket!r}"
            raise StorageError(msg) from exc

    def _object(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, operation: str, client: Any = None, **params: Any) -> Any:
        """One S3 request; a missing object becomes FileNotFoundError, any other
        failure a StorageError, so callers handle both back ends alike."""
        try:
            return getattr(client or self.client, operation)(**params)
        except _client_errors() as exc:
            raise _storage_error(exc, operation) from exc


def _client_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _storage_error(exc: Exception, operation: str) -> OSError:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    if code in {"NoSuchKey", "404", "NotFound"}:
        return FileNotFoundError(code)
    count_storage_error("s3", operation)
    return StorageError(f"object store: {type(exc).__name__} {code}".strip())


def make_s3_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    addressing_style: str = "auto",
    verify: bool | str = True,
    timeout: float = 10.0,
    attempts: int = 4,
) -> Any:
    """A boto3 S3 client; credentials default to boto3's own chain (AWS_* variables,
    shared files, instance roles) when ``access_key`` is empty."""
    import boto3
    from botocore.config import Config as BotoConfig

    config = BotoConfig(
        s3={"addressing_style": addressing_style},
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},  # the first included
        # Content-MD5 is sent by `put`; checksums beyond it are not required, and some
        # S3-compatible servers refuse the newer CRC headers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        verify=verify,
        config=config,
    )

"""The storage contract, run against both back ends: a local folder, and a bucket
of an S3-compatible server process that the tests start (tests/s3server.py)."""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

import pytest

from inspect_app.evidence.services import VARIANTS
from inspect_app.evidence.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    display_key,
    original_key,
    thumb_key,
)
from inspect_app.evidence.sweep import sweep_storage
from tests import s3server

DATA = b"evidence bytes"
SHA = hashlib.sha256(DATA).hexdigest()
GRACE = 24 * 3600.0


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "blobs")
    return s3server.new_storage(request.getfixturevalue("s3_endpoint"), prefix="province-01")


def _file_id(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def test_put_get_open_exists_delete(store: Storage) -> None:
    key = original_key(SHA)
    assert not store.exists(key)

    store.put(key, DATA)

    assert store.exists(key)
    assert store.get(key) == DATA
    with store.open(key) as stream:
        assert stream.read() == DATA
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting a missing key is no error


def test_missing_keys_raise_file_not_found(store: Storage) -> None:
    for operation in (store.get, store.open):
        with pytest.raises(FileNotFoundError):
            operation(thumb_key(SHA))


def test_put_replaces_and_rewriting_identical_content_refreshes_the_time(store: Storage) -> None:
    key = display_key(SHA)
    store.put(key, b"first")
    store.put(key, b"second")
    assert store.get(key) == b"second"

    before = math.floor(time.time())
    store.put(key, b"second")

    assert dict(store.iter_keys())[key] >= before - 1  # counts from this write


def test_iter_keys_lists_every_variant_and_only_keys(store: Storage) -> None:
    file_ids = [_file_id(bytes([n])) for n in range(3)]
    for file_id in file_ids:
        for make in VARIANTS.values():
            store.put(make(file_id), file_id.encode())

    listed = dict(store.iter_keys())

    assert set(listed) == {make(f) for f in file_ids for make in VARIANTS.values()}
    assert all(isinstance(mtime, float) for mtime in listed.values())


@pytest.mark.parametrize("key", ["", "../x", "a/../b", "/abs", "Originals/x", ".tmp-a", "a" * 256])
def test_invalid_keys_are_rejected(store: Storage, key: str) -> None:
    for operation in (store.get, store.open, store.exists, store.delete):
        with pytest.raises(ValueError, match="invalid storage key"):
            operation(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        store.put(key, DATA)


def test_ping_answers(store: Storage) -> None:
    store.ping()


def test_the_sweep_removes_old_orphans_and_keeps_referenced_and_young_files(
    store: Storage,
) -> None:
    """Ages are measured against the stores' own clocks: the sweep is run as if a
    day and an hour had passed, then at once."""
    orphan, kept = _file_id(b"orphan"), _file_id(b"kept")
    for file_id in (orphan, kept):
        for make in VARIANTS.values():
            store.put(make(file_id), b"x")
    referenced = {kept: frozenset(VARIANTS)}

    now = time.time()
    young = sweep_storage(store, referenced, now=now, grace_seconds=GRACE, dry_run=False)
    assert young.removed == [] and young.kept_young == 3

    later = sweep_storage(
        store, referenced, now=now + GRACE + 3600, grace_seconds=GRACE, dry_run=False
    )

    assert later.removed == sorted(make(orphan) for make in VARIANTS.values())
    assert not any(store.exists(make(orphan)) for make in VARIANTS.values())
    assert all(store.exists(make(kept)) for make in VARIANTS.values())
    assert later.missing == []

    store.delete(thumb_key(kept))
    assert sweep_storage(store, referenced, now=now, grace_seconds=GRACE, dry_run=True).missing == [
        kept
    ]


def test_s3_keys_stay_under_the_prefix_and_others_are_ignored(s3_endpoint: str) -> None:
    client = s3server.client(s3_endpoint)
    bucket = s3server.new_bucket(s3_endpoint)
    store = S3Storage(client, bucket, prefix="/province-01/")
    client.put_object(Bucket=bucket, Key="province-02/" + original_key(SHA), Body=b"other")
    client.put_object(Bucket=bucket, Key="province-01/Not A Key", Body=b"stray")

    store.put(original_key(SHA), DATA)

    body = client.get_object(Bucket=bucket, Key="province-01/" + original_key(SHA))["Body"]
    assert body.read() == DATA
    assert [key for key, _ in store.iter_keys()] == [original_key(SHA)]


def test_s3_failures_are_storage_errors(s3_endpoint: str) -> None:
    missing_bucket = S3Storage(s3server.client(s3_endpoint), "no-such-bucket-here")
    with pytest.raises(StorageError):
        missing_bucket.ping()
    with pytest.raises(StorageError):
        missing_bucket.put(original_key(SHA), DATA)
    with pytest.raises(StorageError):
        list(missing_bucket.iter_keys())


def test_local_ping_refuses_a_missing_folder(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "blobs")
    (tmp_path / "blobs").rmdir()
    with pytest.raises(StorageError):
        store.ping()

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from inspect_app.evidence import storage
from inspect_app.evidence.storage import (
    LocalStorage,
    display_key,
    original_key,
    thumb_key,
)

DATA = b"evidence bytes"
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs")


def _all_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_key_helpers_shard_the_hash() -> None:
    assert original_key(SHA) == f"originals/{SHA[:2]}/{SHA[2:4]}/{SHA}"
    assert display_key(SHA) == f"derived/{SHA[:2]}/{SHA[2:4]}/{SHA}-display.jpg"
    assert thumb_key(SHA) == f"derived/{SHA[:2]}/{SHA[2:4]}/{SHA}-thumb.jpg"


@pytest.mark.parametrize("bad", ["", "abc", SHA.upper(), SHA[:-1] + "g", "../" + SHA[3:]])
def test_key_helpers_reject_non_hashes(bad: str) -> None:
    with pytest.raises(ValueError, match="not a file id"):
        original_key(bad)


def test_put_get_roundtrip(store: LocalStorage) -> None:
    key = original_key(SHA)

    store.put(key, DATA)

    assert store.exists(key)
    assert store.get(key) == DATA
    with store.open(key) as stream:
        assert stream.read() == DATA
    assert (store.root / key).read_bytes() == DATA


def test_put_leaves_no_temp_file(store: LocalStorage) -> None:
    store.put(original_key(SHA), DATA)
    store.put(display_key(SHA), b"display")

    names = sorted(path.name for path in _all_files(store.root))
    assert names == sorted([SHA, f"{SHA}-display.jpg"])


def test_put_same_content_twice_keeps_it_and_refreshes_its_age(store: LocalStorage) -> None:
    """An orphan uploaded again must not be swept before its new row commits."""
    key = original_key(SHA)
    store.put(key, DATA)
    old = time.time() - 3600
    os.utime(store.root / key, (old, old))

    store.put(key, DATA)

    assert store.get(key) == DATA
    assert (store.root / key).stat().st_mtime > old + 3000


def test_put_different_content_replaces(store: LocalStorage) -> None:
    key = display_key(SHA)
    store.put(key, b"first")

    store.put(key, b"second")

    assert store.get(key) == b"second"
    assert len(_all_files(store.root)) == 1


def test_failed_write_leaves_nothing_behind(
    store: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: str, target: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(storage.os, "replace", failing_replace)

    with pytest.raises(OSError, match="disk on fire"):
        store.put(original_key(SHA), DATA)

    assert _all_files(store.root) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../x",
        "a/../b",
        "a/..",
        "/abs",
        "a b",
        "a//b",
        "a/",
        "Originals/x",
        ".tmp-abc",
        "a/.hidden",
        "a\\b",
        "a\nb",
        "a\x00b",
        "ключ",
        "a" * 256,
    ],
)
def test_invalid_keys_are_rejected(store: LocalStorage, key: str) -> None:
    for operation in (store.get, store.open, store.exists, store.delete):
        with pytest.raises(ValueError, match="invalid storage key"):
            operation(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        store.put(key, DATA)
    assert not (store.root.parent / "x").exists()


def test_iter_keys_lists_keys_with_mtimes_and_skips_temp_files(store: LocalStorage) -> None:
    store.put(original_key(SHA), DATA)
    store.put(thumb_key(SHA), b"thumb")
    leftover = store.root / "originals" / SHA[:2] / SHA[2:4] / ".tmp-abandoned"
    leftover.write_bytes(b"partial")

    listed = dict(store.iter_keys())

    assert set(listed) == {original_key(SHA), thumb_key(SHA)}
    assert all(abs(mtime - time.time()) < 60 for mtime in listed.values())


def test_iter_stale_temp_finds_old_leftovers_only(store: LocalStorage) -> None:
    store.put(original_key(SHA), DATA)
    shard = store.root / "originals" / SHA[:2] / SHA[2:4]
    stale, fresh = shard / ".tmp-stale", shard / ".tmp-fresh"
    stale.write_bytes(b"old")
    fresh.write_bytes(b"new")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    os.utime(store.root / original_key(SHA), (old, old))

    assert list(store.iter_stale_temp(older_than=3600)) == [stale]


def test_delete(store: LocalStorage) -> None:
    key = original_key(SHA)
    store.put(key, DATA)

    store.delete(key)
    store.delete(key)  # deleting again is fine

    assert not store.exists(key)
    assert list(store.iter_keys()) == []
    with pytest.raises(FileNotFoundError):
        store.get(key)

"""`flask evidence sweep`: orphaned files go after the grace period, missing ones are reported."""

from __future__ import annotations

import hashlib
import os
import time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from inspect_app.cases.models import Category, LocationType
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.services import get_storage
from inspect_app.evidence.storage import LocalStorage, display_key, original_key, thumb_key
from inspect_app.evidence.sweep import file_variant, sweep_job, sweep_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, submit_report

NOW = 1_750_000_000.0  # a fixed clock: ages below are relative to it
HOUR = 3600.0
GRACE = 24 * HOUR
ALL = frozenset({"original", "display", "thumb"})


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs")


def _keys(sha256: str) -> list[str]:
    return [original_key(sha256), display_key(sha256), thumb_key(sha256)]


def _age(path: Path, hours: float, now: float = NOW) -> None:
    stamp = now - hours * HOUR
    os.utime(path, (stamp, stamp))


def _put_photo(store: LocalStorage, content: bytes, age_hours: float) -> str:
    """Store the three variants of a fake photo, all ``age_hours`` old; return its hash."""
    sha256 = hashlib.sha256(content).hexdigest()
    for key in _keys(sha256):
        store.put(key, content + key.encode())
        _age(store.root / key, age_hours)
    return sha256


def _temp_file(store: LocalStorage, name: str, age_hours: float) -> Path:
    path = store.root / "derived" / "ab" / "cd" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"partial")
    _age(path, age_hours)
    return path


def _sweep(store: LocalStorage, referenced: set[str] | dict, dry_run: bool = False):
    """Sweep with `referenced` file ids needing every variant (or a mapping)."""
    if isinstance(referenced, set):
        referenced = dict.fromkeys(referenced, ALL)
    return sweep_storage(store, referenced, now=NOW, grace_seconds=GRACE, dry_run=dry_run)


def test_old_orphans_go_young_orphans_and_referenced_files_stay(store: LocalStorage) -> None:
    old_orphan = _put_photo(store, b"old orphan", age_hours=25)
    young_orphan = _put_photo(store, b"young orphan", age_hours=1)
    referenced = _put_photo(store, b"referenced", age_hours=1000)

    result = _sweep(store, {referenced})

    assert result.removed == sorted(_keys(old_orphan))
    assert not any(store.exists(key) for key in _keys(old_orphan))
    assert result.kept_young == 3
    assert all(store.exists(key) for key in _keys(young_orphan) + _keys(referenced))
    assert result.missing == []


def test_the_newest_variant_keeps_the_whole_photo(store: LocalStorage) -> None:
    sha256 = _put_photo(store, b"being written", age_hours=48)
    _age(store.root / thumb_key(sha256), hours=0)

    result = _sweep(store, set())

    assert result.removed == [] and result.kept_young == 3
    assert all(store.exists(key) for key in _keys(sha256))


def test_stale_temp_files_are_removed(store: LocalStorage) -> None:
    stale = _temp_file(store, ".tmp-stale", age_hours=30)
    fresh = _temp_file(store, ".tmp-fresh", age_hours=2)

    result = _sweep(store, set())

    assert result.temp_removed == 1
    assert not stale.exists() and fresh.exists()


def test_dry_run_reports_but_removes_nothing(store: LocalStorage) -> None:
    orphan = _put_photo(store, b"orphan", age_hours=100)
    temp = _temp_file(store, ".tmp-stale", age_hours=100)

    result = _sweep(store, set(), dry_run=True)

    assert result.removed == sorted(_keys(orphan)) and result.temp_removed == 1
    assert all(store.exists(key) for key in _keys(orphan)) and temp.exists()


def test_referenced_photo_with_a_missing_file_is_reported(store: LocalStorage) -> None:
    intact = _put_photo(store, b"intact", age_hours=5)
    damaged = _put_photo(store, b"damaged", age_hours=5)
    store.delete(display_key(damaged))

    result = _sweep(store, {intact, damaged})

    assert result.missing == [damaged]
    assert result.removed == []
    assert store.exists(original_key(damaged)) and store.exists(thumb_key(damaged))


def test_files_that_are_no_photo_variant_are_left_alone(store: LocalStorage) -> None:
    sha256 = hashlib.sha256(b"x").hexdigest()
    others = ["documents/report.pdf", f"originals/00/00/{sha256}", f"derived/{sha256}-big.jpg"]
    for key in others:
        store.put(key, b"other")
        _age(store.root / key, hours=100)

    result = _sweep(store, set())

    assert result.removed == [] and result.kept_young == 0
    assert all(store.exists(key) for key in others)


@pytest.mark.parametrize(
    ("variant", "make"),
    [("original", original_key), ("display", display_key), ("thumb", thumb_key)],
)
def test_file_variant_inverts_the_key_helpers(variant, make) -> None:
    file_id = hashlib.sha256(b"photo").hexdigest()
    assert file_variant(make(file_id)) == (file_id, variant)


def test_a_file_whose_key_was_destroyed_goes_and_the_rest_of_the_photo_stays(store) -> None:
    """After retention shredded a photo's original key, the original's bytes are
    noise nobody needs; the display copies are still shown."""
    shredded = _put_photo(store, b"shredded original", age_hours=100)

    result = _sweep(store, {shredded: frozenset({"display", "thumb"})})

    assert result.removed == [original_key(shredded)]
    assert store.exists(display_key(shredded)) and store.exists(thumb_key(shredded))


def test_a_document_needs_only_its_original(store) -> None:
    """An inspection record (PDF) has no copies: not missing, and never swept."""
    pdf = hashlib.sha256(b"record").hexdigest()
    store.put(original_key(pdf), b"%PDF-1.4 ... %%EOF")
    _age(store.root / original_key(pdf), hours=1000)

    result = _sweep(store, {pdf: frozenset({"original"})})

    assert result.removed == [] and result.missing == []
    assert store.exists(original_key(pdf))


def _jpeg() -> bytes:
    """A unique real JPEG: the storage root is shared by the whole test session."""
    image = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    buffer = BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def _submit_photo_report() -> tuple[str, int, int]:
    """A stored report with one photo; returns (file id, photo id, report id)."""
    original = _jpeg()
    draft = ReportDraft(
        category_id=db.session.scalar(select(Category.id).limit(1)),
        product="Sữa bột",
        description="Hàng giả bày bán",
        location_type=LocationType.PHYSICAL,
        province_code=1,
        ward_code=4,
    )
    photos = [(original, process_photo(original, "a.jpg"))]
    report = submit_report(draft, photos, get_storage()).report
    db.session.commit()
    photo = report.photos[0]
    return photo.file_id, photo.id, report.id


def test_cli_keeps_referenced_files_and_reports_missing_ones(app, app_ctx) -> None:
    sha256, photo_id, report_id = _submit_photo_report()
    storage = get_storage()
    orphan = hashlib.sha256(os.urandom(32)).hexdigest()
    storage.put(original_key(orphan), b"orphan")
    _age(Path(app.config["UPLOAD_ROOT"], original_key(orphan)), hours=1, now=time.time())
    runner = app.test_cli_runner()

    result = runner.invoke(args=["evidence", "sweep", "--grace-hours", "0"])

    assert result.exit_code == 0, result.output
    assert "referenced files have missing variants" in result.output
    assert all(storage.exists(key) for key in _keys(sha256))
    assert not storage.exists(original_key(orphan))

    storage.delete(display_key(sha256))
    result = runner.invoke(args=["evidence", "sweep", "--grace-hours", "0"])

    assert result.exit_code == 1
    assert f"missing: photo {photo_id} of report {report_id}: display" in result.output
    assert storage.exists(original_key(sha256)) and storage.exists(thumb_key(sha256))


def test_sweep_job_uses_the_configured_storage_and_default_grace(app) -> None:
    with app.app_context():
        storage = get_storage()
    old, young = (hashlib.sha256(os.urandom(32)).hexdigest() for _ in range(2))
    for sha256, hours in ((old, 25), (young, 23)):
        storage.put(original_key(sha256), b"orphan")
        _age(Path(app.config["UPLOAD_ROOT"], original_key(sha256)), hours, now=time.time())

    result = sweep_job(app)

    assert original_key(old) in result.removed and not storage.exists(original_key(old))
    assert storage.exists(original_key(young))
    storage.delete(original_key(young))

"""Evidence rules: validate uploads, store files, attach photo rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app

from inspect_app.evidence.images import ProcessedPhoto, process_photo
from inspect_app.evidence.models import Photo
from inspect_app.evidence.storage import LocalStorage, Storage, display_key, original_key, thumb_key
from inspect_app.extensions import db

MAX_PHOTOS_PER_REPORT = 10
CAMERA_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


# An upload's original bytes, or the (spooled) upload to read them from.
type Original = bytes | BinaryIO


class TooManyPhotos(ValueError):
    pass


def get_storage() -> Storage:
    """The configured evidence storage (a local folder under UPLOAD_ROOT)."""
    return LocalStorage(current_app.config["UPLOAD_ROOT"])


def process_uploads(
    uploads: Sequence[tuple[str, BinaryIO]],
) -> list[tuple[BinaryIO, ProcessedPhoto]]:
    """Validate and re-encode every upload; raises PhotoRejected on the first bad one.

    Returns (upload, processed photo) pairs; `store_photo_files` reads the original
    from the upload again. Photos are decoded one at a time straight from the
    spooled files (a 12 MP JPEG decodes to 12 MB; its own 3 MB are never held
    meanwhile). Nothing is stored here, so a rejection leaves nothing behind.
    """
    if len(uploads) > MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(len(uploads))
    return [(upload, process_photo(upload, name)) for name, upload in uploads]


def store_photo_files(storage: Storage, original: Original, photo: ProcessedPhoto) -> None:
    """Write original and derivatives (atomic, content-addressed, idempotent)."""
    storage.put(original_key(photo.sha256), _read(original))
    storage.put(display_key(photo.sha256), photo.display_jpeg)
    storage.put(thumb_key(photo.sha256), photo.thumb_jpeg)


def _read(original: Original) -> bytes:
    if isinstance(original, bytes):
        return original
    original.seek(0)
    return original.read()


def _camera_time(taken_at: datetime | None) -> datetime | None:
    """EXIF times carry no zone; cameras in Vietnam are set to local time."""
    if taken_at is None:
        return None
    return taken_at.replace(tzinfo=CAMERA_TZ).astimezone(UTC)


def photo_row(photo: ProcessedPhoto, position: int) -> Photo:
    return Photo(
        position=position,
        sha256=photo.sha256,
        size_bytes=photo.size_bytes,
        mime_type=photo.mime_type,
        width=photo.width,
        height=photo.height,
        taken_at=_camera_time(photo.taken_at),
        gps_lat=photo.gps_lat,
        gps_lon=photo.gps_lon,
        camera_make=photo.camera_make,
        camera_model=photo.camera_model,
        phash=photo.phash,
    )


def referenced_hashes() -> set[str]:
    return set(db.session.scalars(db.select(Photo.sha256).distinct()))

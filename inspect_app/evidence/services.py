"""Evidence rules: validate uploads, store files, attach photo rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from inspect_app.evidence.images import ProcessedPhoto, process_photo
from inspect_app.evidence.models import Photo
from inspect_app.evidence.storage import LocalStorage, Storage, display_key, original_key, thumb_key
from inspect_app.extensions import db

MAX_PHOTOS_PER_REPORT = 10
CAMERA_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class TooManyPhotos(ValueError):
    pass


def get_storage() -> Storage:
    """The configured evidence storage (a local folder under UPLOAD_ROOT)."""
    return LocalStorage(current_app.config["UPLOAD_ROOT"])


def process_uploads(uploads: Iterable[tuple[str, bytes]]) -> list[tuple[bytes, ProcessedPhoto]]:
    """Validate and re-encode every upload; raises PhotoRejected on the first bad one.

    Returns (original bytes, processed photo) pairs. Nothing is stored here, so a
    rejection leaves nothing behind.
    """
    uploads = [(name, data) for name, data in uploads if name or data]
    if len(uploads) > MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(len(uploads))
    return [(data, process_photo(data, name)) for name, data in uploads]


def store_photo_files(storage: Storage, original: bytes, photo: ProcessedPhoto) -> None:
    """Write original and derivatives (atomic, content-addressed, idempotent)."""
    storage.put(original_key(photo.sha256), original)
    storage.put(display_key(photo.sha256), photo.display_jpeg)
    storage.put(thumb_key(photo.sha256), photo.thumb_jpeg)


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

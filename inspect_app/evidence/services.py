"""Evidence rules: validate uploads, store files encrypted, attach photo rows, read
files back.

Nothing is stored in the clear. Each file gets a random name (`file_id`) and is
encrypted (XChaCha20-Poly1305, `sealing.crypto`):
- a photo's original with its own key, which is sealed with the report's data key
  (`sealing.services.seal_report`): only the officers it was wrapped to open it;
- a photo's display and thumbnail copies with a view key kept under the service key,
  so the server can show them to the case's officers;
- an inspection record (and its copies, for an image) with its own key under the
  service key: it is the officers' own evidence, not the reporter's.
A copy of the upload folder alone is noise; with the database and the service key it
still yields no original photo.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from inspect_app.cases.models import CaseAttachment
from inspect_app.crypto import decrypt_text, encrypt_text
from inspect_app.evidence.images import ProcessedDocument, ProcessedPhoto, process_photo
from inspect_app.evidence.models import Photo, StagedPhoto
from inspect_app.evidence.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    display_key,
    make_s3_client,
    original_key,
    thumb_key,
)
from inspect_app.extensions import db
from inspect_app.sealing import crypto
from inspect_app.sealing.services import PhotoSecrets

MAX_PHOTOS_PER_REPORT = 10
CAMERA_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VARIANTS = {"original": original_key, "display": display_key, "thumb": thumb_key}
DERIVATIVES = ("display", "thumb")


# An upload's original bytes, or the (spooled) upload to read them from.
type Original = bytes | BinaryIO


class TooManyPhotos(ValueError):
    pass


S3_SETTINGS = (
    "S3_BUCKET",
    "S3_PREFIX",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_ADDRESSING_STYLE",
    "S3_VERIFY",
)


def get_storage() -> Storage:
    """The configured evidence storage: a local folder under UPLOAD_ROOT, or with
    STORAGE_BACKEND=s3 a bucket of an S3-compatible object store.

    The S3 client is built once per application and settings (it is thread-safe);
    a local folder costs nothing to open.
    """
    config = current_app.config
    if config.get("STORAGE_BACKEND", "local") != "s3":
        return LocalStorage(config["UPLOAD_ROOT"])
    settings = tuple(config.get(name) for name in S3_SETTINGS)
    cache = current_app.extensions.setdefault("evidence_s3", {})
    if settings not in cache:
        cache.clear()
        connection = {
            "endpoint_url": config.get("S3_ENDPOINT_URL"),
            "region": config.get("S3_REGION"),
            "access_key": config.get("S3_ACCESS_KEY_ID"),
            "secret_key": config.get("S3_SECRET_ACCESS_KEY"),
            "addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto",
            "verify": _verify_setting(config.get("S3_VERIFY")),
        }
        cache[settings] = S3Storage(
            make_s3_client(**connection),
            config["S3_BUCKET"],
            config.get("S3_PREFIX") or "",
            probe=make_s3_client(**connection, timeout=2.0, attempts=1),
        )
    return cache[settings]


def _verify_setting(value: str | None) -> bool | str:
    """S3_VERIFY: empty or "true" checks TLS against the system's CAs, "false" does
    not (a test server only), anything else is the path of a CA bundle."""
    if value is None or value.strip().lower() in {"", "1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    return value


def process_uploads(
    uploads: Sequence[tuple[str, BinaryIO]],
) -> list[tuple[BinaryIO, ProcessedPhoto]]:
    """Validate and re-encode every upload; raises PhotoRejected on the first bad one.

    Returns (upload, processed photo) pairs; `store_photo` reads the original from
    the upload again. Photos are decoded one at a time straight from the spooled
    files (a 12 MP JPEG decodes to 12 MB; its own 3 MB are never held meanwhile).
    Nothing is stored here, so a rejection leaves nothing behind.
    """
    if len(uploads) > MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(len(uploads))
    return [(upload, process_photo(upload, name)) for name, upload in uploads]


def new_file_id() -> str:
    return secrets.token_hex(32)


def _label(variant: str) -> bytes:
    return variant.encode("ascii")


def _put_encrypted(storage: Storage, file_id: str, variant: str, key: bytes, data: bytes) -> None:
    """Written atomically under its random name; encrypted before it touches the disk."""
    storage.put(VARIANTS[variant](file_id), crypto.encrypt(key, data, _label(variant)))


def _read(original: Original) -> bytes:
    if isinstance(original, bytes):
        return original
    original.seek(0)
    return original.read()


@dataclass(frozen=True)
class PhotoFiles:
    """A photo's files as written: their random name and the two keys."""

    file_id: str
    file_key: bytes
    view_key: bytes


def write_photo_files(storage: Storage, original: Original, photo: ProcessedPhoto) -> PhotoFiles:
    """Write a photo's original and copies encrypted under a fresh random name."""
    files = PhotoFiles(new_file_id(), crypto.new_data_key(), crypto.new_data_key())
    _put_encrypted(storage, files.file_id, "original", files.file_key, _read(original))
    _put_encrypted(storage, files.file_id, "display", files.view_key, photo.display_jpeg)
    _put_encrypted(storage, files.file_id, "thumb", files.view_key, photo.thumb_jpeg)
    return files


def photo_secrets(
    files: PhotoFiles, photo: ProcessedPhoto, position: int, *, named: bool
) -> PhotoSecrets:
    """The row of a photo whose files are written, with what `seal_report` seals."""
    row = photo_row(photo, position, show_place_and_camera=named)
    row.file_id = files.file_id
    row.view_key_enc = encrypt_text(crypto.b64(files.view_key))
    return PhotoSecrets(photo=row, file_key=files.file_key, facts=identifying_facts(photo))


def store_photo(
    storage: Storage, original: Original, photo: ProcessedPhoto, position: int, *, named: bool
) -> PhotoSecrets:
    """Write a photo's files encrypted and make its row. The returned secrets (the
    original's key, the identifying EXIF facts) are for `seal_report` to seal."""
    files = write_photo_files(storage, original, photo)
    return photo_secrets(files, photo, position, named=named)


def _camera_time(taken_at: datetime | None) -> datetime | None:
    """EXIF times carry no zone; cameras in Vietnam are set to local time."""
    if taken_at is None:
        return None
    return taken_at.replace(tzinfo=CAMERA_TZ).astimezone(UTC)


def identifying_facts(photo: ProcessedPhoto) -> dict[str, str | float]:
    """Every EXIF fact that can identify the photographer: sealed, never in the clear."""
    facts = {
        "gps_lat": photo.gps_lat,
        "gps_lon": photo.gps_lon,
        "camera_make": photo.camera_make,
        "camera_model": photo.camera_model,
        **photo.identifying,
    }
    return {name: value for name, value in facts.items() if value is not None}


def photo_row(photo: ProcessedPhoto, position: int, *, show_place_and_camera: bool) -> Photo:
    """The photo's row. GPS and camera are shown to officers only for a named report;
    for a report without a name they count as identity (sealed, revealed on demand)."""
    shown = show_place_and_camera
    return Photo(
        position=position,
        sha256=photo.sha256,
        size_bytes=photo.size_bytes,
        mime_type=photo.mime_type,
        width=photo.width,
        height=photo.height,
        taken_at=_camera_time(photo.taken_at),
        gps_lat=photo.gps_lat if shown else None,
        gps_lon=photo.gps_lon if shown else None,
        camera_make=photo.camera_make if shown else None,
        camera_model=photo.camera_model if shown else None,
        phash=photo.phash,
    )


def read_photo_copy(storage: Storage, photo: Photo, variant: str) -> bytes:
    """A photo's display or thumbnail JPEG (metadata-free), decrypted for viewing."""
    if photo.file_id is None:  # stored in the clear before encryption at rest
        return storage.get(VARIANTS[variant](photo.sha256))
    view_key = crypto.unb64(decrypt_text(photo.view_key_enc))
    encrypted = storage.get(VARIANTS[variant](photo.file_id))
    return crypto.decrypt(view_key, encrypted, _label(variant))


def read_staged_thumb(storage: Storage, file_id: str, view_key: bytes) -> bytes:
    """The thumbnail of a staged photo, for the form that uploaded it."""
    return crypto.decrypt(view_key, storage.get(thumb_key(file_id)), _label("thumb"))


def read_original(storage: Storage, photo: Photo, file_key: bytes) -> bytes:
    """A photo's original bytes, with the key `sealing.services.original_file_keys`
    opened for this request."""
    encrypted = storage.get(original_key(photo.file_id))
    return crypto.decrypt(file_key, encrypted, _label("original"))


def store_document(storage: Storage, data: bytes, document: ProcessedDocument) -> dict[str, str]:
    """Write an inspection record (and an image's copies) encrypted with its own key;
    returns the attachment's `file_id` and `file_key_enc`."""
    file_id, key = new_file_id(), crypto.new_data_key()
    _put_encrypted(storage, file_id, "original", key, data)
    if document.photo is not None:
        _put_encrypted(storage, file_id, "display", key, document.photo.display_jpeg)
        _put_encrypted(storage, file_id, "thumb", key, document.photo.thumb_jpeg)
    return {"file_id": file_id, "file_key_enc": encrypt_text(crypto.b64(key))}


def read_document(storage: Storage, attachment: CaseAttachment, variant: str) -> bytes:
    if attachment.file_id is None:  # stored in the clear before encryption at rest
        return storage.get(VARIANTS[variant](attachment.sha256))
    key = crypto.unb64(decrypt_text(attachment.file_key_enc))
    return crypto.decrypt(key, storage.get(VARIANTS[variant](attachment.file_id)), _label(variant))


def referenced_files(staged_since: datetime | None = None) -> dict[str, frozenset[str]]:
    """Every stored file a row refers to: file id → the variants it must have.
    Staged photos count when uploaded at or after `staged_since` (all without it)."""
    expected: dict[str, set[str]] = {}
    staged = select(StagedPhoto.file_id)
    if staged_since is not None:
        staged = staged.where(StagedPhoto.created_at >= staged_since)
    for file_id in db.session.scalars(staged):
        expected.setdefault(file_id, set()).update(VARIANTS)
    photos = select(Photo.file_id, Photo.sha256, Photo.original_key_sealed).execution_options(
        yield_per=10_000
    )
    for file_id, sha256, sealed in db.session.execute(photos):
        variants = expected.setdefault(file_id or sha256, set())
        variants.update(DERIVATIVES)
        if sealed is not None or file_id is None:
            variants.add("original")
    documents = select(CaseAttachment.file_id, CaseAttachment.sha256, CaseAttachment.is_image)
    for file_id, sha256, is_image in db.session.execute(documents):
        variants = expected.setdefault(file_id or sha256, set())
        variants.add("original")
        if is_image:
            variants.update(DERIVATIVES)
    return {file_id: frozenset(variants) for file_id, variants in expected.items()}

"""Photos uploaded while a form is filled in, before the report (or follow-up) exists.

Each photo goes through the same pipeline as a form's photos (`process_photo`) the
moment it arrives, and is stored like one — encrypted, under a random name — but as
*staged*: no case, no officer and no page can reach it. The browser gets a token
for it; the row keeps only the token's hash and the key of the form it came from
(hashed too), and the photo's keys and facts are encrypted with a key derived from
the token. Submitting the form claims its staged photos into the report; `flask
evidence sweep` deletes staged photos never claimed once its grace period is over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import delete, func, select

from inspect_app.evidence.images import ProcessedPhoto, process_photo
from inspect_app.evidence.models import StagedPhoto
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    PhotoFiles,
    TooManyPhotos,
    photo_secrets,
    read_staged_thumb,
    write_photo_files,
)
from inspect_app.evidence.storage import Storage
from inspect_app.extensions import db
from inspect_app.sealing import crypto
from inspect_app.sealing.services import PhotoSecrets

STAGED_LABEL = b"staged-photo"
# What `crypto.new_bearer_token` makes: 32 random bytes, URL-safe base64.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


class StagedPhotoMissing(LookupError):
    """A token that names no staged photo of this form (expired, swept or forged)."""


@dataclass(frozen=True)
class StagedUpload:
    token: str
    thumb_jpeg: bytes


def is_bearer_token(value: str) -> bool:
    """Whether `value` has the shape of a form key or a staged photo's token."""
    return bool(_TOKEN_RE.fullmatch(value or ""))


def _check(value: str) -> str:
    if not is_bearer_token(value):
        raise StagedPhotoMissing(value)
    return value


def stage_photo(
    storage: Storage, upload: BinaryIO, filename: str, *, form_key: str, now: datetime
) -> StagedUpload:
    """Validate and store one photo for the form `form_key`; its token and thumbnail.

    Raises PhotoRejected (the pipeline's reason), TooManyPhotos past the limit of a
    report, StagedPhotoMissing for a malformed form key. Flushes; the caller commits.
    """
    form_hash = crypto.bearer_hash(_check(form_key))
    if staged_count(form_key) >= MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(MAX_PHOTOS_PER_REPORT + 1)
    photo = process_photo(upload, filename)
    files = write_photo_files(storage, upload, photo)
    token = crypto.new_bearer_token()
    secrets = {
        "file_key": crypto.b64(files.file_key),
        "view_key": crypto.b64(files.view_key),
        "photo": _facts_of(photo),
    }
    db.session.add(
        StagedPhoto(
            token_hash=crypto.bearer_hash(token),
            form_key_hash=form_hash,
            file_id=files.file_id,
            secrets_sealed=crypto.encrypt_text(
                crypto.bearer_key(token), json.dumps(secrets).encode("utf-8"), STAGED_LABEL
            ),
            created_at=now,
        )
    )
    db.session.flush()
    return StagedUpload(token=token, thumb_jpeg=photo.thumb_jpeg)


def staged_count(form_key: str) -> int:
    form_hash = crypto.bearer_hash(_check(form_key))
    return db.session.scalar(
        select(func.count()).select_from(StagedPhoto).where(StagedPhoto.form_key_hash == form_hash)
    )


def _facts_of(photo: ProcessedPhoto) -> dict:
    facts = asdict(photo)
    for copy in ("display_jpeg", "thumb_jpeg", "display_size", "thumb_size"):
        facts.pop(copy)
    facts["taken_at"] = photo.taken_at.isoformat() if photo.taken_at else None
    return facts


def _photo_of(facts: dict) -> ProcessedPhoto:
    taken_at = facts["taken_at"]
    return ProcessedPhoto(
        **{**facts, "taken_at": datetime.fromisoformat(taken_at) if taken_at else None},
        display_jpeg=b"",
        thumb_jpeg=b"",
        display_size=(0, 0),
        thumb_size=(0, 0),
    )


def _row(token: str, form_key: str) -> StagedPhoto:
    row = db.session.scalar(
        select(StagedPhoto).where(StagedPhoto.token_hash == crypto.bearer_hash(_check(token)))
    )
    if row is None or row.form_key_hash != crypto.bearer_hash(_check(form_key)):
        raise StagedPhotoMissing(token)
    return row


def _open(row: StagedPhoto, token: str) -> dict:
    key = crypto.bearer_key(token)
    return json.loads(crypto.decrypt_text(key, row.secrets_sealed, STAGED_LABEL))


def staged_thumbnails(
    storage: Storage, tokens: Sequence[str], form_key: str
) -> list[tuple[str, bytes]]:
    """(token, thumbnail JPEG) of the tokens still staged for this form, in order —
    to show a form again with its photos. Unknown tokens are left out."""
    found = []
    for token in dict.fromkeys(tokens):
        try:
            row = _row(token, form_key)
        except StagedPhotoMissing:
            continue
        view_key = crypto.unb64(_open(row, token)["view_key"])
        found.append((token, read_staged_thumb(storage, row.file_id, view_key)))
    return found


def discard_staged(token: str, form_key: str) -> None:
    """The person removed a photo from the form: its row goes now, its files with
    the next sweep (no row refers to them any more)."""
    db.session.delete(_row(token, form_key))
    db.session.flush()


def claim_staged(
    tokens: Sequence[str], form_key: str, *, first_position: int, named: bool
) -> list[PhotoSecrets]:
    """Turn this form's staged photos into photo rows (not yet attached) with the
    secrets `seal_report` seals; the staged rows are deleted. Raises
    StagedPhotoMissing if any token is unknown, so nothing is half-claimed."""
    claimed = []
    for position, token in enumerate(dict.fromkeys(tokens), start=first_position):
        row = _row(token, form_key)
        secrets = _open(row, token)
        files = PhotoFiles(
            row.file_id, crypto.unb64(secrets["file_key"]), crypto.unb64(secrets["view_key"])
        )
        claimed.append(photo_secrets(files, _photo_of(secrets["photo"]), position, named=named))
        db.session.delete(row)
    db.session.flush()
    return claimed


def expire_staged(before: datetime) -> int:
    """Delete the staged rows uploaded before `before` (the sweep then removes their
    files as orphans)."""
    return db.session.execute(delete(StagedPhoto).where(StagedPhoto.created_at < before)).rowcount

"""Sealing what was stored before sealing existed (`flask keys seal-existing`).

Before, identities were encrypted with the service key (`INSPECT_DATA_KEY`), and
evidence files were stored in the clear under their SHA-256. This seals each such
report as if it had just arrived — to the officers entitled to it now and to the
office recovery key (there is no tracking code to wrap to: only its hash was kept) —
and re-stores its files encrypted. Each batch is one transaction; the clear files of
a batch are deleted once it is committed, so an interrupted run resumes where it
stopped and nothing is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select

from inspect_app.cases.models import CaseAttachment, Report
from inspect_app.crypto import decrypt_text
from inspect_app.evidence.images import PhotoRejected, process_document, process_photo
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import DERIVATIVES, VARIANTS, store_document, store_photo
from inspect_app.evidence.storage import Storage
from inspect_app.extensions import db
from inspect_app.sealing.services import PhotoSecrets, seal_report


@dataclass
class LegacyBatch:
    reports: int = 0
    photos: int = 0
    documents: int = 0
    problems: list[str] = field(default_factory=list)
    clear_files: list[str] = field(default_factory=list)  # delete after the commit
    # Where the next batch starts (files that could not be read are skipped, not
    # retried forever).
    after_report: int = 0
    after_document: int = 0

    @property
    def done(self) -> bool:
        return self.reports == 0 and self.documents == 0 and not self.problems


def _legacy_reports(after: int, limit: int) -> list[Report]:
    legacy_photo = exists().where(Photo.report_id == Report.id, Photo.file_id.is_(None))
    query = (
        select(Report)
        .where(Report.id > after, or_(Report.legacy_identity_enc.is_not(None), legacy_photo))
        .order_by(Report.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _legacy_identity(report: Report) -> dict[str, str] | None:
    if report.legacy_identity_enc is None:
        return None
    tokens = json.loads(report.legacy_identity_enc)
    identity = {name: decrypt_text(token) or "" for name, token in tokens.items()}
    return identity if any(identity.values()) else None


def _restore_photo(storage: Storage, photo: Photo, named: bool, batch: LegacyBatch) -> PhotoSecrets:
    original = storage.get(VARIANTS["original"](photo.sha256))
    processed = process_photo(original, f"photo-{photo.id}")
    stored = store_photo(storage, original, processed, photo.position, named=named)
    for column in ("file_id", "view_key_enc", "gps_lat", "gps_lon", "camera_make", "camera_model"):
        setattr(photo, column, getattr(stored.photo, column))
    batch.clear_files += [VARIANTS[v](photo.sha256) for v in ("original", *DERIVATIVES)]
    batch.photos += 1
    return PhotoSecrets(photo=photo, file_key=stored.file_key, facts=stored.facts)


def seal_legacy_report(report: Report, storage: Storage, batch: LegacyBatch) -> None:
    identity = _legacy_identity(report)
    named = identity is not None or report.reporter_named
    secrets_of_photos = []
    for photo in report.photos:
        if photo.file_id is not None:
            continue
        try:
            secrets_of_photos.append(_restore_photo(storage, photo, named, batch))
        except (FileNotFoundError, PhotoRejected) as exc:
            batch.problems.append(f"report {report.id}, photo {photo.id}: {exc}")
    seal_report(
        report,
        team_id=report.case.team_id,
        identity=identity,
        photos=secrets_of_photos,
        tracking_code=None,
    )
    report.reporter_named = named
    report.legacy_identity_enc = None
    batch.reports += 1


def _legacy_documents(after: int, limit: int) -> list[CaseAttachment]:
    query = select(CaseAttachment).where(
        CaseAttachment.id > after, CaseAttachment.file_id.is_(None)
    )
    return list(db.session.scalars(query.order_by(CaseAttachment.id).limit(limit)))


def seal_legacy_document(document: CaseAttachment, storage: Storage, batch: LegacyBatch) -> None:
    data = storage.get(VARIANTS["original"](document.sha256))
    processed = process_document(data, f"document-{document.id}")
    for name, value in store_document(storage, data, processed).items():
        setattr(document, name, value)
    variants = ("original", *DERIVATIVES) if document.is_image else ("original",)
    batch.clear_files += [VARIANTS[v](document.sha256) for v in variants]
    batch.documents += 1


def seal_legacy_batch(
    storage: Storage, limit: int, after_report: int = 0, after_document: int = 0
) -> LegacyBatch:
    """Seal up to `limit` legacy reports after `after_report`, then (when none are
    left) legacy documents; the caller commits, then deletes `clear_files`."""
    batch = LegacyBatch(after_report=after_report, after_document=after_document)
    for report in _legacy_reports(after_report, limit):
        seal_legacy_report(report, storage, batch)
        batch.after_report = report.id
    if batch.reports == 0:
        for document in _legacy_documents(after_document, limit):
            batch.after_document = document.id
            try:
                seal_legacy_document(document, storage, batch)
            except (FileNotFoundError, PhotoRejected) as exc:
                batch.problems.append(f"document {document.id}: {exc}")
    db.session.flush()
    return batch

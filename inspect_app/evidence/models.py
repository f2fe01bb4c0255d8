"""Photo evidence rows. The files live in storage, named by SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class Photo(db.Model):
    """One uploaded photo: the original's facts and EXIF, and its derivatives.

    Every file is encrypted at rest under a random name (`file_id`). The original is
    kept byte-for-byte under `original_key(file_id)`, encrypted with its own key,
    which is sealed with the report's data key (`original_key_sealed`); the display
    and thumbnail JPEGs (no metadata) under `display_key` / `thumb_key`, encrypted
    with a view key held under the service key (`view_key_enc`).

    EXIF facts that can identify a person (GPS, camera, Artist, serial numbers) are
    sealed with the report's identity key (`facts_sealed`); the GPS and camera
    columns are filled only for named reports, whose officers may see them.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    # A photo the reporter added later with a message (`intake.models.ReporterMessage`).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("reporter_messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # NULL for a photo stored in the clear (by SHA-256) before encryption at rest.
    file_id: Mapped[str | None] = mapped_column(String(64), index=True)
    original_key_sealed: Mapped[str | None] = mapped_column(Text)
    view_key_enc: Mapped[str | None] = mapped_column(Text)
    facts_sealed: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    camera_make: Mapped[str | None] = mapped_column(String(128))
    camera_model: Mapped[str | None] = mapped_column(String(128))
    phash: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report = relationship("Report", back_populates="photos")
    message = relationship("ReporterMessage", back_populates="photos")


class StagedPhoto(db.Model):
    """A photo uploaded while the form is being filled, not yet part of a report.

    Visible to nobody: its files are stored encrypted like a report's, and the keys
    and the photo's facts (EXIF GPS and camera included) are encrypted with a key
    derived from the upload's token, which only the browser holds (the row keeps
    the token's hash). Claiming it into a report needs the token and the key of the
    form it was uploaded from; `flask evidence sweep` deletes what is never claimed.
    """

    __tablename__ = "staged_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    form_key_hash: Mapped[str] = mapped_column(String(64), index=True)
    file_id: Mapped[str] = mapped_column(String(64))
    secrets_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

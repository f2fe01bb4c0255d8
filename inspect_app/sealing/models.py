"""Keys of sealed data: officers' key pairs, office recovery keys, a report's data
keys and the envelopes that wrap each data key to one holder."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class Purpose(StrEnum):
    """What a report's data key opens."""

    # What identifies the reporter: contact details, identifying photo facts, and
    # the originals of a report without a name (held by those entitled to reveal).
    IDENTITY = "identity"
    # The originals of a named report: evidence for every officer of the case.
    EVIDENCE = "evidence"


class Holder(StrEnum):
    OFFICER = "officer"
    RECOVERY = "recovery"
    REPORTER = "reporter"


class OfficerKey(db.Model):
    """An officer's key pair. The private key is stored only locked under a key
    derived from the officer's own password (Argon2id)."""

    __tablename__ = "officer_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    public_key: Mapped[str] = mapped_column(String(64))
    locked_private_key: Mapped[str] = mapped_column(Text)
    kdf_salt: Mapped[str] = mapped_column(String(64))
    kdf_opslimit: Mapped[int] = mapped_column(Integer)
    kdf_memlimit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", back_populates="officer_key")


class RecoveryKey(db.Model):
    """An office's recovery key (or the national one, without an office). Only the
    public half is here; the private half was printed once and is kept offline."""

    __tablename__ = "recovery_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    office = relationship("Office")


class SealedKey(db.Model):
    """One data key of a report. It is stored nowhere in the clear: only wrapped,
    once per holder (`KeyEnvelope`). Deleting it destroys what it encrypts."""

    __tablename__ = "sealed_keys"
    __table_args__ = (
        UniqueConstraint("report_id", "purpose", name="uq_sealed_keys_report_purpose"),
        CheckConstraint(
            f"purpose IN ({', '.join(repr(p.value) for p in Purpose)})", name="purpose_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report = relationship("Report", back_populates="sealed_keys")
    envelopes: Mapped[list[KeyEnvelope]] = relationship(
        back_populates="sealed_key", cascade="all, delete-orphan", passive_deletes=True
    )


class KeyEnvelope(db.Model):
    """A data key wrapped to one holder: an officer's or a recovery public key (a
    sealed box), or the reporter's tracking code."""

    __tablename__ = "key_envelopes"
    __table_args__ = (
        UniqueConstraint("sealed_key_id", "user_id", name="uq_key_envelopes_officer"),
        UniqueConstraint("sealed_key_id", "recovery_key_id", name="uq_key_envelopes_recovery"),
        CheckConstraint(
            f"holder IN ({', '.join(repr(h.value) for h in Holder)})", name="holder_known"
        ),
        CheckConstraint("(holder = 'officer') = (user_id IS NOT NULL)", name="officer_has_user"),
        CheckConstraint(
            "(holder = 'recovery') = (recovery_key_id IS NOT NULL)", name="recovery_has_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_key_id: Mapped[int] = mapped_column(
        ForeignKey("sealed_keys.id", ondelete="CASCADE"), index=True
    )
    holder: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recovery_key_id: Mapped[int | None] = mapped_column(ForeignKey("recovery_keys.id"), index=True)
    # Reporter envelopes: the salt of the code-derived key.
    salt: Mapped[str | None] = mapped_column(String(64))
    wrapped: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sealed_key: Mapped[SealedKey] = relationship(back_populates="envelopes")

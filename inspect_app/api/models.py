"""API credentials (partner keys, staff tokens) and stored idempotent answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


class CredentialKind(StrEnum):
    PARTNER = "partner"  # an organisation's system: a hotline, an app, a platform
    STAFF = "staff"  # one officer's personal token


class PartnerChannel(StrEnum):
    """The intake channel a partner key stands for (recorded on each report)."""

    HOTLINE = "hotline"
    APP = "app"
    ZALO = "zalo"
    ECOMMERCE = "ecommerce"
    PORTAL = "portal"

    @property
    def title(self) -> str:
        return str(
            {
                PartnerChannel.HOTLINE: _l("Hotline"),
                PartnerChannel.APP: _l("Mobile app"),
                PartnerChannel.ZALO: _l("Zalo mini app"),
                PartnerChannel.ECOMMERCE: _l("E-commerce platform"),
                PartnerChannel.PORTAL: _l("National public-service portal"),
            }[self]
        )


class Scope(StrEnum):
    """What a credential may do. Partners submit and look up; staff read and act —
    always within the permissions of the officer's role as well."""

    REPORTS_WRITE = "reports:write"
    REPORTS_READ = "reports:read"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"

    @property
    def title(self) -> str:
        return str(
            {
                Scope.REPORTS_WRITE: _l("Submit reports"),
                Scope.REPORTS_READ: _l("Look up a report's progress"),
                Scope.CASES_READ: _l("Read my queue and cases"),
                Scope.CASES_WRITE: _l("Act on cases (accept, assign, …)"),
            }[self]
        )


PARTNER_SCOPES = (Scope.REPORTS_WRITE, Scope.REPORTS_READ)
STAFF_SCOPES = (Scope.CASES_READ, Scope.CASES_WRITE)


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class ApiCredential(db.Model):
    """A partner key or a staff token. Only the SHA-256 of the secret is stored (the
    secret is 256 random bits, so no slow hash is needed); `prefix` names it in
    lists and logs without revealing it."""

    __tablename__ = "api_credentials"
    __table_args__ = (
        CheckConstraint(_in("kind", CredentialKind), name="kind_known"),
        CheckConstraint("channel IS NULL OR " + _in("channel", PartnerChannel), name="channel"),
        CheckConstraint("kind <> 'staff' OR user_id IS NOT NULL", name="staff_has_user"),
        CheckConstraint("kind <> 'partner' OR channel IS NOT NULL", name="partner_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(20))
    province_code: Mapped[int | None] = mapped_column(ForeignKey("provinces.code"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    province = relationship("Province")

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split() if s in set(Scope))

    @property
    def kind_enum(self) -> CredentialKind:
        return CredentialKind(self.kind)

    @property
    def channel_enum(self) -> PartnerChannel | None:
        return PartnerChannel(self.channel) if self.channel else None

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def label(self) -> str:
        """How the audit log names it (never the secret)."""
        return f"{self.kind}:{self.prefix}"


class IdempotentRequest(db.Model):
    """A POST made with an Idempotency-Key. Claimed (status NULL) before the request
    runs, completed with its answer in the same transaction as what it created. The
    answer is encrypted with a key derived from the Idempotency-Key itself, which the
    database never holds: only a client presenting the key can read it back."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("scope", "key_hash", name="uq_idempotent_requests_scope_key"),
        Index("ix_idempotent_requests_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

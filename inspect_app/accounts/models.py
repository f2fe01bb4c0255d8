"""Organisation (offices, teams, associations) and staff accounts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.accounts.permissions import Permission, Role, role_has
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward

_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)
# A password hash that no password matches: the account waits for its owner to set
# a password through a one-time link.
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 - a marker, never a password


class Office(db.Model):
    """A provincial market-surveillance office (Chi cục / Cục QLTT)."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), unique=True)

    province: Mapped[Province] = relationship()
    teams: Mapped[list[Team]] = relationship(back_populates="office", order_by="Team.code")

    def __str__(self) -> str:
        return self.name


team_wards = Table(
    "team_wards",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    # A ward routes to exactly one team.
    Column("ward_code", ForeignKey("wards.code"), primary_key=True, unique=True),
)


class Team(db.Model):
    """A team (đội) of an office. Its jurisdiction is a set of wards, or the whole
    province for an e-commerce team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    is_ecommerce: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    office: Mapped[Office] = relationship(back_populates="teams")
    wards: Mapped[list[Ward]] = relationship(secondary=team_wards, order_by="Ward.name")
    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.email")

    def __str__(self) -> str:
        return self.name


class Association(db.Model):
    """A consumer-protection association (Hội Bảo vệ quyền lợi người tiêu dùng)."""

    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    province_code: Mapped[int | None] = mapped_column(ForeignKey("provinces.code"))

    province: Mapped[Province | None] = relationship()

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(30))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout, password change and deactivation: every cookie that carries
    # an older value stops working at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members")
    office: Mapped[Office | None] = relationship()
    association: Mapped[Association | None] = relationship()
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    officer_key = relationship(
        "OfficerKey",
        back_populates="user",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login identity: the id *and* the session version."""
        return f"{self.id}.{self.session_version}"

    def can(self, permission: Permission) -> bool:
        return self.active and role_has(self.role, permission)

    @property
    def has_usable_password(self) -> bool:
        """False after an admin's reset, until the user sets a password by link."""
        return not self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)

    @property
    def office_of_scope(self) -> Office | None:
        """The office whose province this user works in, if any."""
        return self.team.office if self.team else self.office


class RecoveryCode(db.Model):
    """A single-use TOTP recovery code, stored as a hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class PasswordLinkPurpose(StrEnum):
    INVITATION = "invitation"  # a new account's first password
    RESET = "reset"  # an administrator's reset


class PasswordLink(db.Model):
    """A one-time link with which a user sets their own password (an admin never
    chooses it). Only a hash of the token is stored."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LoginThrottle(db.Model):
    """Failed attempts of one key (see accounts/throttle.py); only hashes are kept."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # For a per-address row, the key of its account: an unlock clears them all.
    account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAddress(db.Model):
    """An address (hashed) a user logged in from: it is not shut out by a lock that
    failures from elsewhere put on the account."""

    __tablename__ = "login_addresses"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime)

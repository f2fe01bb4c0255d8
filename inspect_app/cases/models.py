"""Cases, the reports they gather, their public progress, and categories."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class ReportKind(StrEnum):
    """The legal kind of a report (the law gives each its own handling)."""

    TIP = "tip"  # tin báo / phản ánh — may be anonymous
    DENUNCIATION = "denunciation"  # tố cáo — named, Law on Denunciation 2018
    COMPLAINT = "complaint"  # khiếu nại của người tiêu dùng, via the association

    @property
    def title(self) -> str:
        return str(
            {
                ReportKind.TIP: _l("Tip (tin báo)"),
                ReportKind.DENUNCIATION: _l("Denunciation (tố cáo)"),
                ReportKind.COMPLAINT: _l("Consumer complaint"),
            }[self]
        )


class ReportSource(StrEnum):
    CITIZEN = "citizen"
    ASSOCIATION = "association"

    @property
    def title(self) -> str:
        return str(
            {ReportSource.CITIZEN: _l("Citizen"), ReportSource.ASSOCIATION: _l("Association")}[self]
        )


class LocationType(StrEnum):
    PHYSICAL = "physical"
    ONLINE = "online"


class IntakeChannel(StrEnum):
    """How a complaint reached the association."""

    HOTLINE = "hotline"
    WALK_IN = "walk_in"
    LETTER = "letter"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"

    @property
    def title(self) -> str:
        return str(
            {
                IntakeChannel.HOTLINE: _l("Hotline"),
                IntakeChannel.WALK_IN: _l("Walk-in"),
                IntakeChannel.LETTER: _l("Letter"),
                IntakeChannel.EMAIL: _l("E-mail"),
                IntakeChannel.SOCIAL_MEDIA: _l("Social media"),
            }[self]
        )


class Category(db.Model):
    """A kind of violation within the QLTT scope (hàng giả, hàng cấm …)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name_for(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi


class Case(db.Model):
    """The unit of work: one or more reports about the same seller or product."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("status", CaseStatus), name="status_known"),
        CheckConstraint(_in("kind", ReportKind), name="kind_known"),
        CheckConstraint(_in("source", ReportSource), name="source_known"),
        Index("ix_cases_team_status", "team_id", "status"),
        Index("ix_cases_province_status", "province_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.NEW.value)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"))
    ward_code: Mapped[int | None] = mapped_column(ForeignKey("wards.code"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Accent-folded text of every report (product, brand, seller, address,
    # description) for accent-insensitive search. Never reporter identity.
    search_text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic concurrency: every change bumps it; conditional UPDATEs check it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[Category] = relationship()
    team = relationship("Team")
    province = relationship("Province")
    ward = relationship("Ward")
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.submitted_at"
    )
    public_updates: Mapped[list[PublicUpdate]] = relationship(
        back_populates="case", order_by="PublicUpdate.created_at", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> CaseStatus:
        return CaseStatus(self.status)


class Report(db.Model):
    """What one person submitted. Immutable once stored; identity encrypted."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_in("kind", ReportKind), name="kind_known"),
        CheckConstraint(_in("source", ReportSource), name="source_known"),
        CheckConstraint(_in("location_type", LocationType), name="location_type_known"),
        # Anonymous tips carry no identity; denunciations and complaints must.
        CheckConstraint("kind = 'tip' OR reporter_name_enc IS NOT NULL", name="named_unless_tip"),
        CheckConstraint(
            "source = 'citizen' OR (filed_by_id IS NOT NULL AND channel IS NOT NULL)",
            name="association_fields",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    product: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    location_type: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"))
    ward_code: Mapped[int | None] = mapped_column(ForeignKey("wards.code"))
    street_address: Mapped[str] = mapped_column(String(300), default="")
    seller_name: Mapped[str] = mapped_column(String(200), default="")
    platform: Mapped[str] = mapped_column(String(40), default="")
    seller_url: Mapped[str] = mapped_column(String(500), default="")
    seen_on: Mapped[date | None] = mapped_column(Date)
    # Reporter (or complainant) identity, Fernet-encrypted; NULL when anonymous.
    reporter_name_enc: Mapped[str | None] = mapped_column(Text)
    reporter_phone_enc: Mapped[str | None] = mapped_column(Text)
    reporter_email_enc: Mapped[str | None] = mapped_column(Text)
    reporter_address_enc: Mapped[str | None] = mapped_column(Text)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wants_email_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    tracking_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Association intake.
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    received_on: Mapped[date | None] = mapped_column(Date)
    association_ref: Mapped[str] = mapped_column(String(60), default="")

    case: Mapped[Case] = relationship(back_populates="reports")
    category: Mapped[Category] = relationship()
    province = relationship("Province")
    ward = relationship("Ward")
    filed_by = relationship("User")
    association = relationship("Association")
    photos = relationship("Photo", back_populates="report", order_by="Photo.position")

    @property
    def kind_enum(self) -> ReportKind:
        return ReportKind(self.kind)

    @property
    def is_anonymous(self) -> bool:
        return self.reporter_name_enc is None


class PublicUpdate(db.Model):
    """One step of a case's progress as the reporter may see it on /track."""

    __tablename__ = "public_updates"
    __table_args__ = (CheckConstraint(_in("status", CaseStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="public_updates")

    @property
    def status_enum(self) -> CaseStatus:
        return CaseStatus(self.status)

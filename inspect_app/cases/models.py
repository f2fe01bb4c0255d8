"""Cases, the reports they gather, their public progress, and categories."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
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


class Outcome(StrEnum):
    """How a resolved case ended (administrative practice)."""

    NO_VIOLATION = "no_violation"
    WARNING = "warning"
    FINE = "fine"
    GOODS_SEIZED = "goods_seized"
    GOODS_DESTROYED = "goods_destroyed"
    BUSINESS_SUSPENDED = "business_suspended"
    REFERRED = "referred"

    @property
    def title(self) -> str:
        return str(OUTCOME_TITLES[self])

    @property
    def needs_fine(self) -> bool:
        return self is Outcome.FINE

    @property
    def needs_goods(self) -> bool:
        return self in (Outcome.GOODS_SEIZED, Outcome.GOODS_DESTROYED)


OUTCOME_TITLES = {
    Outcome.NO_VIOLATION: _l("No violation found"),
    Outcome.WARNING: _l("Warning"),
    Outcome.FINE: _l("Administrative fine"),
    Outcome.GOODS_SEIZED: _l("Goods seized"),
    Outcome.GOODS_DESTROYED: _l("Goods destroyed"),
    Outcome.BUSINESS_SUSPENDED: _l("Business suspended"),
    Outcome.REFERRED: _l("Referred to the investigation agency"),
}


class RejectReason(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    NOT_SPECIFIC = "not_specific"
    NO_BASIS = "no_basis"
    ALREADY_HANDLED = "already_handled"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(
            {
                RejectReason.OUT_OF_SCOPE: _l("Outside the market surveillance remit"),
                RejectReason.NOT_SPECIFIC: _l("Information not specific enough to verify"),
                RejectReason.NO_BASIS: _l("No basis for a violation"),
                RejectReason.ALREADY_HANDLED: _l("Already handled or being handled"),
                RejectReason.OTHER: _l("Other reason"),
            }[self]
        )


class TransferDestination(StrEnum):
    TEAM = "team"
    OFFICE = "office"
    POLICE = "police"
    HEALTH = "health"
    AGRICULTURE = "agriculture"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(
            {
                TransferDestination.TEAM: _l("Another team"),
                TransferDestination.OFFICE: _l("Another province's office"),
                TransferDestination.POLICE: _l("Police"),
                TransferDestination.HEALTH: _l("Health authority (food safety)"),
                TransferDestination.AGRICULTURE: _l("Agriculture authority (food safety)"),
                TransferDestination.OTHER: _l("Other competent authority"),
            }[self]
        )


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ACCEPTED,
    CaseStatus.ASSIGNED,
    CaseStatus.INVESTIGATING,
)


class Case(db.Model):
    """The unit of work: one or more reports about the same seller or product."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("status", CaseStatus), name="status_known"),
        CheckConstraint(_in("kind", ReportKind), name="kind_known"),
        CheckConstraint(_in("source", ReportSource), name="source_known"),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", Outcome), name="outcome_known"),
        # State-dependent fields (the workflow fills them; the database insists).
        CheckConstraint(
            "(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        CheckConstraint(
            "status NOT IN ('resolved', 'closed') OR outcome IS NOT NULL",
            name="resolved_has_outcome",
        ),
        CheckConstraint(
            "status <> 'rejected' OR reject_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint(
            "status <> 'transferred' OR transfer_to IS NOT NULL", name="transferred_has_target"
        ),
        CheckConstraint(
            "status NOT IN ('assigned', 'investigating') OR assignee_id IS NOT NULL",
            name="assigned_has_assignee",
        ),
        CheckConstraint("outcome <> 'fine' OR fine_amount > 0", name="fine_has_amount"),
        CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_self"
        ),
        # The queue: per team / per province, ordered by the next deadline, keyset on id.
        Index("ix_cases_team_status_due", "team_id", "status", "next_due", "id"),
        Index("ix_cases_province_status_due", "province_code", "status", "next_due", "id"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
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
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Outcome of `resolve`.
    outcome: Mapped[str | None] = mapped_column(String(20))
    fine_amount: Mapped[int | None] = mapped_column(BigInteger)
    goods_description: Mapped[str] = mapped_column(Text, default="")
    goods_value: Mapped[int | None] = mapped_column(BigInteger)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    public_summary: Mapped[str] = mapped_column(Text, default="")
    # Outcome of `reject` (the public reason is separate from the internal note).
    reject_reason: Mapped[str | None] = mapped_column(String(20))
    public_reason: Mapped[str] = mapped_column(Text, default="")
    # Outcome of `transfer`.
    transfer_to: Mapped[str | None] = mapped_column(String(20))
    transfer_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    transfer_agency: Mapped[str] = mapped_column(String(200), default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # Deadlines (dates in Vietnam): the one that matters now is `next_due`.
    accept_due: Mapped[date | None] = mapped_column(Date)
    notify_due: Mapped[date | None] = mapped_column(Date)
    resolve_due: Mapped[date | None] = mapped_column(Date)
    next_due: Mapped[date | None] = mapped_column(Date)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    # The policy version the deadlines were computed with (a later change applies
    # to new cases only).
    deadline_policy_id: Mapped[int | None] = mapped_column(ForeignKey("deadline_policies.id"))
    # Optimistic concurrency: SQLAlchemy adds "AND version = :old" to every UPDATE
    # and raises StaleDataError when another transaction got there first.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship()
    team = relationship("Team", foreign_keys=[team_id])
    transfer_team = relationship("Team", foreign_keys=[transfer_team_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    merged_into = relationship("Case", remote_side=[id], foreign_keys=[merged_into_id])
    province = relationship("Province")
    ward = relationship("Ward")
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.submitted_at"
    )
    public_updates: Mapped[list[PublicUpdate]] = relationship(
        back_populates="case", order_by="PublicUpdate.created_at", cascade="all, delete-orphan"
    )

    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.created_at"
    )
    attachments: Mapped[list[CaseAttachment]] = relationship(
        back_populates="case", order_by="CaseAttachment.created_at"
    )

    @property
    def status_enum(self) -> CaseStatus:
        return CaseStatus(self.status)

    @property
    def outcome_enum(self) -> Outcome | None:
        return Outcome(self.outcome) if self.outcome else None

    @property
    def is_open(self) -> bool:
        return self.status_enum in OPEN_STATUSES

    @property
    def photos(self) -> list:
        return [photo for report in self.reports for photo in report.photos]


class CaseNote(db.Model):
    """An internal note: officers only, never shown to the reporter."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")
    author = relationship("User")


class CaseAttachment(db.Model):
    """An inspection record (biên bản) — a PDF or an image — kept as evidence."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Where the encrypted files are stored (a random name), and their key under the
    # service key. NULL for files stored in the clear before encryption at rest.
    file_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_key_enc: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    is_image: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments")
    uploaded_by = relationship("User")


class Report(db.Model):
    """What one person submitted. Immutable once stored; identity encrypted."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_in("kind", ReportKind), name="kind_known"),
        CheckConstraint(_in("source", ReportSource), name="source_known"),
        CheckConstraint(_in("location_type", LocationType), name="location_type_known"),
        # Anonymous tips carry no identity; denunciations and complaints must.
        CheckConstraint("kind = 'tip' OR reporter_named", name="named_unless_tip"),
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
    # Whether the reporter (or complainant) gave their identity. The identity itself
    # is sealed (`identity_sealed`, see inspect_app.sealing): only the officers it
    # was wrapped to, the office recovery key and the tracking code open it.
    reporter_named: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_sealed: Mapped[str | None] = mapped_column(Text)
    # Identity encrypted with the service key before sealing existed (JSON of Fernet
    # tokens); `flask keys seal-existing` seals it and empties this column.
    legacy_identity_enc: Mapped[str | None] = mapped_column(Text)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one identity value the system itself reads, only with the reporter's
    # consent: the address for progress e-mails (service key, INSPECT_DATA_KEY).
    wants_email_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_email_enc: Mapped[str | None] = mapped_column(Text)
    # The reporter withdrew consent to be contacted (their contact details were
    # destroyed); the retention schedule destroyed the whole identity.
    contact_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tracking_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The device's location, given with the reporter's consent ("use my location").
    # Shown like photo GPS: in these columns for a named report; for a report
    # without a name it can identify the reporter, so it is sealed with the identity
    # (`location_sealed`) and revealed on demand.
    device_lat: Mapped[float | None] = mapped_column(Float)
    device_lon: Mapped[float | None] = mapped_column(Float)
    device_accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_sealed: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Association intake.
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    received_on: Mapped[date | None] = mapped_column(Date)
    association_ref: Mapped[str] = mapped_column(String(60), default="")
    # Submitted through the API with a partner key (its channel is in `channel`).
    api_credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_credentials.id"), index=True
    )

    case: Mapped[Case] = relationship(back_populates="reports")
    category: Mapped[Category] = relationship()
    province = relationship("Province")
    ward = relationship("Ward")
    filed_by = relationship("User")
    association = relationship("Association")
    photos = relationship("Photo", back_populates="report", order_by="Photo.position")
    sealed_keys = relationship(
        "SealedKey", back_populates="report", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def kind_enum(self) -> ReportKind:
        return ReportKind(self.kind)

    @property
    def is_anonymous(self) -> bool:
        return not self.reporter_named


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

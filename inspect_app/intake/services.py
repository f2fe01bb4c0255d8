"""Intake rules: turning a submission into a stored report, case and photos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.accounts.services import reauthenticate
from inspect_app.audit.services import record_event
from inspect_app.cases.models import (
    Case,
    Category,
    IntakeChannel,
    LocationType,
    Report,
    ReportKind,
    ReportSource,
)
from inspect_app.cases.services import open_case, recording_refusals, route_team, stated_reason
from inspect_app.cases.workflow import CaseStatus
from inspect_app.crypto import decrypt_text, encrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.images import ProcessedPhoto
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    Original,
    TooManyPhotos,
    store_photo,
)
from inspect_app.evidence.staging import claim_staged
from inspect_app.evidence.storage import Storage
from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward
from inspect_app.intake.receipts import record_receipt, submitted_with
from inspect_app.intake.tracking import hash_code, new_tracking_code
from inspect_app.notify.services import forget_reporter_address, queue_receipt_email
from inspect_app.sealing.services import (
    reporter_view,
    reveal_identity,
    seal_report,
    withdraw_contact,
)
from inspect_app.text import normalize_text

OPEN_AFTER_ACCEPT = (CaseStatus.ACCEPTED, CaseStatus.ASSIGNED, CaseStatus.INVESTIGATING)


class IntakeError(ValueError):
    """A submission that breaks a rule; the message is user-facing."""


@dataclass
class ReporterIdentity:
    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.address)


@dataclass(frozen=True)
class DeviceLocation:
    """The browser's location, given with the reporter's consent (Geolocation API)."""

    lat: float
    lon: float
    accuracy_m: float

    def as_dict(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon, "accuracy_m": self.accuracy_m}


MAX_LOCATION_ACCURACY_M = 100_000.0


def device_location(lat: str, lon: str, accuracy: str) -> DeviceLocation | None:
    """The location the form's hidden fields carry, or None when absent or not a
    plausible position (a refused or unavailable location changes nothing)."""
    try:
        values = float(lat), float(lon), float(accuracy)
    except ValueError:
        return None
    if not (abs(values[0]) <= 90 and abs(values[1]) <= 180):
        return None
    if not 0 <= values[2] <= MAX_LOCATION_ACCURACY_M:
        return None
    return DeviceLocation(*(round(v, 6) for v in values))


@dataclass
class ReportDraft:
    """A parsed, not yet stored submission."""

    category_id: int
    product: str
    description: str
    location_type: LocationType
    province_code: int
    brand: str = ""
    ward_code: int | None = None
    street_address: str = ""
    seller_name: str = ""
    platform: str = ""
    seller_url: str = ""
    seen_on: date | None = None
    identity: ReporterIdentity | None = None
    consent: bool = False
    formal_denunciation: bool = False
    wants_email_updates: bool = False
    location: DeviceLocation | None = None


@dataclass
class AssociationIntake:
    """What the association records about how a complaint reached it."""

    staff: User
    channel: IntakeChannel
    received_on: date
    reference: str = ""


@dataclass
class PartnerIntake:
    """A report that came through a partner's system (a hotline, an app): the key it
    came with and the channel that key stands for."""

    credential_id: int
    channel: str


@dataclass
class Submission:
    report: Report
    tracking_code: str


def _validate(draft: ReportDraft) -> tuple[Category, Province, Ward | None]:
    category = db.session.get(Category, draft.category_id)
    if category is None or not category.active:
        raise IntakeError(_l("Choose a category from the list."))
    province = db.session.get(Province, draft.province_code)
    if province is None or not province.active:
        raise IntakeError(_l("Choose a province or city from the list."))
    ward = None
    if draft.location_type is LocationType.PHYSICAL:
        ward = db.session.get(Ward, draft.ward_code) if draft.ward_code else None
        if ward is None or ward.province_code != province.code or not ward.active:
            raise IntakeError(_l("Choose the commune or ward where you saw the goods."))
    elif not (draft.seller_name or draft.seller_url):
        raise IntakeError(_l("For an online seller, give the seller's name or a link."))
    identity = draft.identity
    if identity and not identity.is_empty:
        if not identity.name:
            raise IntakeError(_l("Give your name, or leave all contact details empty."))
        if not (identity.phone or identity.email):
            raise IntakeError(_l("Give a phone number or an e-mail address so we can reach you."))
        if not draft.consent:
            raise IntakeError(
                _l("Please agree to the use of your contact details, or stay anonymous.")
            )
    if draft.formal_denunciation and (identity is None or identity.is_empty):
        raise IntakeError(_l("A formal denunciation (tố cáo) needs your name and contact details."))
    if draft.wants_email_updates and not (identity and identity.email):
        raise IntakeError(_l("Give an e-mail address to receive progress e-mails."))
    return category, province, ward


def _kind(draft: ReportDraft, source: ReportSource) -> ReportKind:
    if source is ReportSource.ASSOCIATION:
        return ReportKind.COMPLAINT
    if draft.formal_denunciation:
        return ReportKind.DENUNCIATION
    return ReportKind.TIP


def _sealable_identity(draft: ReportDraft) -> dict[str, str] | None:
    """The identity to seal (normalised), or None for an anonymous report."""
    identity = draft.identity
    if identity is None or identity.is_empty:
        return None
    return {
        "name": normalize_text(identity.name),
        "phone": normalize_text(identity.phone),
        "email": normalize_text(identity.email).lower(),
        "address": normalize_text(identity.address),
    }


def _build_report(
    draft: ReportDraft, kind: ReportKind, source: ReportSource, now: datetime
) -> Report:
    identity = _sealable_identity(draft)
    online = draft.location_type is LocationType.ONLINE
    wants_email = bool(identity and identity["email"] and draft.wants_email_updates)
    shown = draft.location if identity is not None else None
    return Report(
        device_lat=shown.lat if shown else None,
        device_lon=shown.lon if shown else None,
        device_accuracy_m=shown.accuracy_m if shown else None,
        kind=kind.value,
        source=source.value,
        category_id=draft.category_id,
        product=normalize_text(draft.product),
        brand=normalize_text(draft.brand),
        description=normalize_text(draft.description),
        location_type=draft.location_type.value,
        province_code=draft.province_code,
        ward_code=None if online else draft.ward_code,
        street_address="" if online else normalize_text(draft.street_address),
        seller_name=normalize_text(draft.seller_name),
        platform=normalize_text(draft.platform) if online else "",
        seller_url=normalize_text(draft.seller_url) if online else "",
        seen_on=draft.seen_on,
        reporter_named=identity is not None,
        consent_at=now if identity else None,
        wants_email_updates=wants_email,
        # With consent, the one identity value the system itself must read.
        progress_email_enc=encrypt_text(identity["email"]) if wants_email else None,
        submitted_at=now,
    )


def submit_report(
    draft: ReportDraft,
    photos: list[tuple[Original, ProcessedPhoto]],
    storage: Storage,
    *,
    association: AssociationIntake | None = None,
    partner: PartnerIntake | None = None,
    staged: Sequence[str] = (),
    form_key: str | None = None,
    now: datetime | None = None,
) -> Submission:
    """Store a report with its photos and open its case, routed to a team.

    `photos` arrive with the request; `staged` are the tokens of photos uploaded
    beforehand by the form `form_key` (`evidence.staging`), claimed here. With a
    `form_key`, a receipt makes sending the same form again return this report
    (`submitted_with`). The identity, the device location, the identifying photo
    facts and the originals' keys are sealed to the officers entitled to them
    (`sealing.services.seal_report`). Files are written (atomically, encrypted,
    under random names) before the rows are flushed; the caller commits once. If
    the commit fails, the files are orphans that `flask evidence sweep` removes
    later — no row ever points at a missing file.
    """
    now = now or utcnow()
    source = ReportSource.ASSOCIATION if association else ReportSource.CITIZEN
    _validate(draft)
    if len(photos) + len(set(staged)) > MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(len(photos) + len(staged))
    online = draft.location_type is LocationType.ONLINE
    team = route_team(draft.province_code, None if online else draft.ward_code, online)
    report = _build_report(draft, _kind(draft, source), source, now)
    if association:
        report.filed_by = association.staff
        report.association_id = association.staff.association_id
        report.channel = association.channel.value
        report.received_on = association.received_on
        report.association_ref = normalize_text(association.reference)
    if partner:
        report.api_credential_id = partner.credential_id
        report.channel = partner.channel
    code = new_tracking_code()
    report.tracking_code_hash = hash_code(code)
    named = report.reporter_named
    stored = [
        store_photo(storage, original, processed, position, named=named)
        for position, (original, processed) in enumerate(photos)
    ]
    if staged:
        stored += claim_staged(staged, form_key or "", first_position=len(stored), named=named)
    report.photos.extend(item.photo for item in stored)
    seal_report(
        report,
        team_id=team.id if team else None,
        identity=_sealable_identity(draft),
        photos=stored,
        tracking_code=code,
        location=draft.location.as_dict() if draft.location else None,
    )
    open_case(report, team)
    db.session.flush()
    if form_key:
        record_receipt(form_key, report, code, now)
    queue_receipt_email(report, code, now)
    return Submission(report=report, tracking_code=code)


def already_submitted(form_key: str) -> Submission | None:
    """The submission a form with this key made before (a retry), if any."""
    found = submitted_with(form_key) if form_key else None
    return Submission(report=found[0], tracking_code=found[1]) if found else None


@dataclass(frozen=True)
class NextStep:
    """What the reporter waits for next, and by when (the case's own deadline)."""

    title: str
    due: date


def next_step(case: Case) -> NextStep | None:
    """The next step of a case as /track shows it, with the date the deadlines
    package computed for it; None once the case is decided."""
    status = case.status_enum
    if status is CaseStatus.NEW and case.accept_due:
        return NextStep(str(_l("Decision whether to handle the report")), case.accept_due)
    if status in OPEN_AFTER_ACCEPT and case.resolve_due:
        return NextStep(str(_l("Result of the inspection")), case.resolve_due)
    return None


def find_report_by_code(code: str) -> Report | None:
    try:
        digest = hash_code(code)
    except ValueError:
        return None
    return db.session.scalar(select(Report).where(Report.tracking_code_hash == digest))


def reports_filed_by(staff: User) -> list[Report]:
    """What this staff member, and their association, filed — newest first."""
    condition = Report.filed_by_id == staff.id
    if staff.association_id:
        condition = condition | (Report.association_id == staff.association_id)
    return list(
        db.session.scalars(select(Report).where(condition).order_by(Report.submitted_at.desc()))
    )


@dataclass
class PersonalData:
    """What a report holds about its reporter, as the reporter may see it."""

    identity: dict[str, str] | None
    photo_facts: list[dict]
    progress_email: str | None


def personal_data_of(report: Report, tracking_code: str) -> PersonalData:
    """Open the report's sealed data with the tracking code (no officer involved);
    recorded in the audit log without naming anyone."""
    opened = reporter_view(report, tracking_code)
    record_event(actor=None, action="identity.viewed_by_reporter", case=report.case, data={})
    return PersonalData(
        identity=opened.identity if opened else None,
        photo_facts=list(opened.photo_facts.values()) if opened else [],
        progress_email=decrypt_text(report.progress_email_enc),
    )


def withdraw_consent(report: Report, tracking_code: str) -> None:
    """The reporter withdraws consent to being contacted; audited."""
    withdraw_contact(report, tracking_code)
    forget_reporter_address(report.id)
    record_event(actor=None, action="identity.withdrawn", case=report.case, data={})


def reveal_complainant(
    staff: User, report: Report, *, password: str, code: str | None, reason: str
) -> dict[str, str] | None:
    """The consumer's contact details of a complaint this staff member's association
    filed, so they can call the consumer back: re-authenticated, with a reason,
    audited — like an officer's reveal."""
    if report.kind != ReportKind.COMPLAINT.value or report.association_id != staff.association_id:
        raise IntakeError(_l("This complaint was not filed by your association."))
    reason = stated_reason(reason)
    with recording_refusals(staff, report, "identity.reveal"):
        reauthenticate(staff, password, code, purpose="identity.reveal")
        revealed = reveal_identity(staff, password, report)
    record_event(
        actor=staff,
        action="identity.reveal",
        case=report.case,
        data={"report": report.id, "reason": reason, "photo_facts": 0},
    )
    return revealed.identity

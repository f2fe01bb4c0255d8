"""Case-domain rules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from inspect_app.accounts.models import Office, Team, User, team_wards
from inspect_app.accounts.permissions import Permission
from inspect_app.accounts.services import AccountError, reauthenticate
from inspect_app.audit.services import record_event
from inspect_app.cases.deadlines import recompute_deadlines
from inspect_app.cases.models import (
    Case,
    CaseAttachment,
    CaseNote,
    Category,
    PublicUpdate,
    Report,
)
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.images import process_document
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import read_original, store_document
from inspect_app.evidence.storage import Storage
from inspect_app.extensions import db
from inspect_app.notify import officer_events
from inspect_app.notify.models import MessageKind
from inspect_app.sealing.services import (
    Revealed,
    SealingError,
    can_open_originals,
    original_file_keys,
    reveal_identity,
)
from inspect_app.text import fold, normalize_text


class CaseInputError(ValueError):
    """Bad input for a case operation; the message is user-facing."""

    status_code = 400


class NotEntitled(CaseInputError):
    """The user's role does not reach this (sealed) data at all."""

    status_code = 403


# The QLTT scope of violations (Law on Market Surveillance Force 2016 and Decree 98/2020).
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("counterfeit", "Hàng giả", "Counterfeit goods"),
    ("prohibited", "Hàng cấm", "Prohibited goods"),
    ("smuggled", "Hàng nhập lậu", "Smuggled goods"),
    ("unknown_origin", "Không rõ nguồn gốc xuất xứ", "Goods of unknown origin"),
    ("ip_infringement", "Xâm phạm sở hữu trí tuệ", "Intellectual property infringement"),
    ("quality", "Chất lượng / đo lường", "Quality / measurement"),
    ("food_safety", "An toàn thực phẩm", "Food safety"),
    ("labelling", "Ghi nhãn", "Labelling"),
    ("pricing", "Giá", "Pricing"),
    ("ecommerce", "Thương mại điện tử", "E-commerce"),
    ("trade_fraud", "Gian lận thương mại", "Commercial fraud"),
    ("other", "Khác", "Other"),
)


def load_default_categories() -> int:
    """Add the default categories that are missing; never overwrite admin edits."""
    existing = set(db.session.scalars(select(Category.code)))
    added = 0
    for order, (code, name_vi, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        if code not in existing:
            db.session.add(
                Category(code=code, name_vi=name_vi, name_en=name_en, sort_order=order, active=True)
            )
            added += 1
    db.session.flush()
    return added


def route_team(province_code: int, ward_code: int | None, online: bool) -> Team | None:
    """The team that receives a new report.

    A physical place goes to the team whose jurisdiction holds the ward; an online
    seller to the province's e-commerce team; otherwise the office's default team.
    None when the province has no office configured (admins see such cases).
    """
    office = db.session.scalar(select(Office).where(Office.province_code == province_code))
    if office is None:
        return None
    teams = [t for t in office.teams if t.active]
    if online:
        for team in teams:
            if team.is_ecommerce:
                return team
    elif ward_code is not None:
        team = db.session.scalar(
            select(Team)
            .join(team_wards, team_wards.c.team_id == Team.id)
            .where(team_wards.c.ward_code == ward_code, Team.active)
        )
        if team is not None:
            return team
    for team in teams:
        if team.is_default:
            return team
    return teams[0] if teams else None


def open_case(report: Report, team: Team | None) -> Case:
    """Every submitted report opens a case in state `new`, with a public first step."""
    case = Case(
        kind=report.kind,
        source=report.source,
        category_id=report.category_id,
        team=team,
        province_code=report.province_code,
        ward_code=report.ward_code,
        title=case_title(report),
        search_text=report_search_text(report),
        received_at=report.submitted_at,
        last_activity_at=report.submitted_at,
        version=1,
    )
    case.public_updates.append(
        PublicUpdate(status=CaseStatus.NEW.value, created_at=report.submitted_at)
    )
    report.case = case
    db.session.add_all([case, report])
    db.session.flush()
    recompute_deadlines(case, report.submitted_at)
    officer_events.lead_needed(case, MessageKind.TRIAGE, report.submitted_at, actor=None)
    record_event(
        actor=report.filed_by,
        action="case.open",
        case=case,
        data={"report": report.id, "source": report.source},
        at=report.submitted_at,
    )
    return case


def case_title(report: Report) -> str:
    parts = [report.product, report.brand, report.seller_name]
    return " · ".join(p for p in parts if p)[:300]


def report_search_text(report: Report) -> str:
    """Accent-folded product, brand, seller, address and description — never identity."""
    fields = [
        report.product,
        report.brand,
        report.seller_name,
        report.street_address,
        report.platform,
        report.seller_url,
        report.description,
    ]
    return fold(" ".join(f for f in fields if f))


def add_note(user: User, case: Case, body: str, *, now: datetime | None = None) -> CaseNote:
    """An internal note; the audit event records that a note was added, not its text."""
    text = normalize_text(body)
    if not text:
        raise CaseInputError(_l("Write the note first."))
    now = now or utcnow()
    note = CaseNote(case=case, author=user, body=text[:4000], created_at=now)
    case.last_activity_at = now
    db.session.add(note)
    db.session.flush()
    record_event(actor=user, action="case.note", case=case, data={"note": note.id}, at=now)
    return note


def add_attachment(
    user: User, case: Case, *, title: str, filename: str, data: bytes, storage: Storage
) -> CaseAttachment:
    """An inspection record: a PDF checked as PDF, or an image through the photo pipeline.

    Raises `PhotoRejected` (the same messages as photos) for anything else.
    """
    label = normalize_text(title)
    if not label:
        raise CaseInputError(_l("Give the document a title."))
    document = process_document(data, filename)
    attachment = CaseAttachment(
        case=case,
        uploaded_by=user,
        title=label[:200],
        sha256=document.sha256,
        mime_type=document.mime_type,
        size_bytes=document.size_bytes,
        is_image=document.photo is not None,
        **store_document(storage, data, document),
    )
    case.last_activity_at = utcnow()
    db.session.add(attachment)
    db.session.flush()
    record_event(
        actor=user,
        action="case.attachment",
        case=case,
        data={"attachment": attachment.id, "sha256": document.sha256},
    )
    return attachment


MIN_REASON_LENGTH = 10


def stated_reason(reason: str) -> str:
    """Why someone opens sealed data: required, recorded in the audit log."""
    text = normalize_text(reason)
    if len(text) < MIN_REASON_LENGTH:
        raise CaseInputError(
            _l("Say why you need it (at least %(n)d characters).", n=MIN_REASON_LENGTH)
        )
    return text[:1000]


@contextmanager
def recording_refusals(user: User, report: Report, action: str) -> Iterator[None]:
    """A refusal to open sealed data — wrong password or code, no key — is an audit
    event (the caller commits it) before the error goes on to the user."""
    try:
        yield
    except (AccountError, SealingError) as exc:
        why = "reauthentication" if isinstance(exc, AccountError) else "no_key"
        record_event(
            actor=user,
            action=f"{action}_refused",
            case=report.case,
            data={"report": report.id, "why": why},
        )
        raise


def reveal_reporter(
    user: User, report: Report, *, password: str, code: str | None, reason: str
) -> Revealed:
    """Open a report's sealed identity and identifying photo facts for one request:
    only for a user entitled to reveal, who re-authenticates, holds the report's key
    and states why. An audit event either way."""
    if not user.can(Permission.REVEAL_REPORTER):
        raise NotEntitled(_l("You are not allowed to see reporter identity."))
    reason = stated_reason(reason)
    with recording_refusals(user, report, "identity.reveal"):
        reauthenticate(user, password, code, purpose="identity.reveal")
        revealed = reveal_identity(user, password, report)
    record_event(
        actor=user,
        action="identity.reveal",
        case=report.case,
        data={"report": report.id, "reason": reason, "photo_facts": len(revealed.photo_facts)},
    )
    return revealed


def open_originals(
    user: User,
    report: Report,
    storage: Storage,
    *,
    password: str,
    code: str | None,
    reason: str,
) -> list[tuple[Photo, bytes]]:
    """A report's original photos, decrypted for one download: for the officers of a
    named report's case, or those entitled to reveal for a report without a name
    (its originals can identify the photographer). Re-authenticated and audited."""
    if not can_open_originals(user, report):
        raise NotEntitled(_l("Only officers entitled to reveal the reporter may have these."))
    reason = stated_reason(reason)
    with recording_refusals(user, report, "evidence.download_original"):
        reauthenticate(user, password, code, purpose="evidence.download_original")
        keys = original_file_keys(user, password, report)
    originals = [
        (photo, read_original(storage, photo, keys[photo.id]))
        for photo in report.photos
        if photo.id in keys
    ]
    record_event(
        actor=user,
        action="evidence.download_original",
        case=report.case,
        data={"report": report.id, "photos": [p.id for p, _ in originals], "reason": reason},
    )
    return originals


def record_original_download(user: User, case: Case, sha256: str, what: str) -> None:
    record_event(
        actor=user,
        action="evidence.download_original",
        case=case,
        data={"sha256": sha256, "what": what},
    )

"""The public part of /api/v1: reference data, submitting a report, its progress by
tracking code, and published statistics. Views parse, call a service, answer."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import abort
from sqlalchemy import select

from inspect_app.api.auth import partner_or_none, rate_key
from inspect_app.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from inspect_app.api.idempotency import idempotent
from inspect_app.api.models import Scope
from inspect_app.api.parsing import ApiBlueprint
from inspect_app.api.schemas import (
    CategoryOut,
    FollowUpIn,
    FollowUpOut,
    PhotoIn,
    PhotoOut,
    ProgressIn,
    ProgressOut,
    ProvinceOut,
    ReportIn,
    StatsDataOut,
    StatsReportOut,
    SubmissionOut,
    WardOut,
    WardQuery,
)
from inspect_app.cases.models import Category, LocationType
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.images import REASONS, PhotoRejected
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    TooManyPhotos,
    get_storage,
    process_uploads,
)
from inspect_app.evidence.staging import StagedPhotoMissing, stage_photo
from inspect_app.extensions import db, limiter
from inspect_app.geo.models import Province
from inspect_app.geo.services import active_provinces, search_wards
from inspect_app.intake import channel
from inspect_app.intake import services as intake
from inspect_app.sealing.services import SealingError
from inspect_app.stats import services as stats
from inspect_app.stats.models import StatsReport

bp = ApiBlueprint(
    "api_public",
    __name__,
    description="Public operations: no key needed (a partner key may be sent).",
)
TRACKING_HEADER = "X-Tracking-Code"
TRACKING_CODE_HEADER = {
    "in": "header",
    "name": TRACKING_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 40},
    "description": "The tracking code, if not in the body. Never put it in a URL.",
}


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


def _anonymous() -> bool:
    return request.headers.get("Authorization") is None


limiter.limit(_api_limit, key_func=rate_key)(bp)


@bp.route("/categories")
@bp.response(200, CategoryOut(many=True))
def categories():
    """Categories of problems (the `category` of a report)."""
    locale = str(get_locale())
    rows = db.session.scalars(select(Category).where(Category.active).order_by(Category.sort_order))
    return [{"code": c.code, "name": c.name_for(locale)} for c in rows]


@bp.route("/provinces")
@bp.response(200, ProvinceOut(many=True))
def provinces():
    """Provinces and centrally-run cities (2025 two-tier system)."""
    return active_provinces()


@bp.route("/provinces/<int:code>/wards")
@bp.arguments(WardQuery, location="query")
@bp.response(200, WardOut(many=True))
def wards(query: dict, code: int):
    """A province's communes and wards, searched without regard to accents."""
    province = db.session.get(Province, code) if 0 < code < 2**31 else None
    if province is None or not province.active:
        abort(404)
    return search_wards(code, query.get("q", ""))


def _draft(data: dict) -> intake.ReportDraft:
    category = db.session.scalar(
        select(Category).where(Category.code == data["category"], Category.active)
    )
    identity = intake.ReporterIdentity(
        name=data.get("name", ""),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        address=data.get("address", ""),
    )
    return intake.ReportDraft(
        category_id=category.id if category else 0,
        product=data["product"],
        brand=data.get("brand", ""),
        description=data["description"],
        location_type=LocationType(data["location_type"]),
        province_code=data["province"],
        ward_code=data.get("ward"),
        street_address=data.get("street_address", ""),
        seller_name=data.get("seller_name", ""),
        platform=data.get("platform", ""),
        seller_url=(data.get("seller_url") or "").strip(),
        seen_on=data.get("seen_on"),
        identity=None if identity.is_empty else identity,
        consent=data["consent"],
        formal_denunciation=data["denunciation"],
        wants_email_updates=data["wants_email_updates"],
    )


def _processed_uploads(data: dict) -> list:
    uploads = [(f.filename or "", f.stream) for f in data.get("photos") or [] if f]
    try:
        return process_uploads(uploads)
    except PhotoRejected as exc:
        abort(422, errors={"photos": [_(REASONS[exc.code], **exc.params)]})
    except TooManyPhotos:
        abort(422, errors={"photos": [_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)]})


def submit(data: dict, partner_scope_province: int | None, partner) -> intake.Submission:
    """Shared by /api/v1/reports and Open311's POST requests: the form's rules and
    evidence pipeline. Raises a 422 problem for a refused submission."""
    if partner_scope_province is not None and data["province"] != partner_scope_province:
        abort(422, message=_("This key may only submit reports for its own province."))
    photos = _processed_uploads(data)
    partner_intake = (
        intake.PartnerIntake(credential_id=partner.id, channel=partner.channel) if partner else None
    )
    try:
        return intake.submit_report(
            _draft(data),
            photos,
            get_storage(),
            partner=partner_intake,
            staged=data.get("photo_tokens") or (),
            form_key=data.get("form_key"),
        )
    except intake.IntakeError as exc:
        abort(422, message=str(exc))
    except TooManyPhotos:
        abort(422, errors={"photos": [_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)]})
    except StagedPhotoMissing:
        abort(422, errors={"photo_tokens": [_("A staged photo is unknown or expired.")]})


@bp.route("/reports", methods=["POST"])
@limiter.limit(_report_limit, exempt_when=lambda: not _anonymous())
@idempotent
@bp.arguments(ReportIn, location="multipart")
@bp.response(201, SubmissionOut)
@bp.doc(
    operationId="submitReport",
    parameters=[IDEMPOTENCY_KEY],
    security=[{}, {"bearer": []}],
    responses={
        201: {
            "links": {
                "progress": {
                    "operationId": "reportProgress",
                    "parameters": {"header.X-Tracking-Code": "$response.body#/tracking_code"},
                },
                "followUp": {
                    "operationId": "followUp",
                    "parameters": {"header.X-Tracking-Code": "$response.body#/tracking_code"},
                },
            }
        }
    },
)
def submit_report(data: dict):
    """Submit a report (multipart/form-data, photos in `photos`). The answer holds
    the tracking code, shown once."""
    partner = partner_or_none(Scope.REPORTS_WRITE)
    submission = submit(data, partner.province_code if partner else None, partner)
    report = submission.report
    return (
        {
            "tracking_code": submission.tracking_code,
            "status": report.case.status,
            "status_title": report.case.status_enum.public_title,
            "submitted_at": report.submitted_at,
        },
        201,
        {"Cache-Control": "no-store"},
    )


def _code(data: dict) -> str:
    code = request.headers.get(TRACKING_HEADER) or data.get("tracking_code") or ""
    if not code or len(code) > 40:
        abort(
            422,
            errors={"tracking_code": [_("Send the tracking code in the body or the header.")]},
        )
    return code


@bp.route("/reports/progress", methods=["POST"])
@limiter.limit(
    _track_limit,
    deduct_when=lambda response: response.status_code == 404,
    exempt_when=lambda: not _anonymous(),
)
@idempotent
@bp.arguments(ProgressIn)
@bp.response(200, ProgressOut)
@bp.doc(
    operationId="reportProgress",
    security=[{}, {"bearer": []}],
    parameters=[
        IDEMPOTENCY_KEY,
        TRACKING_CODE_HEADER,
    ],
)
def progress(data: dict):
    """A report's public progress, by its tracking code (in the body or the
    X-Tracking-Code header — never in the address). A partner key with
    `reports:read` (a hotline looking up its callers' codes) is counted per key
    instead of by the per-address limit on failed look-ups."""
    partner_or_none(Scope.REPORTS_READ)
    report = intake.find_report_by_code(_code(data))
    if report is None:
        abort(404, message=_("No report has this code. Check it and try again."))
    case = report.case
    questions = channel.open_questions(channel.conversation([report]))
    return (
        {
            "status": case.status,
            "status_title": case.status_enum.public_title,
            "received_at": report.submitted_at,
            "open_questions": [{"id": q.id, "body": q.body, "at": q.created_at} for q in questions],
            "updates": [
                {
                    "status": u.status,
                    "status_title": u.status_enum.public_title,
                    "message": u.message,
                    "at": u.created_at,
                }
                for u in case.public_updates
            ],
        },
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/photos", methods=["POST"])
@limiter.limit(_report_limit, exempt_when=lambda: not _anonymous())
@idempotent
@bp.arguments(PhotoIn, location="multipart")
@bp.response(201, PhotoOut)
@bp.doc(parameters=[IDEMPOTENCY_KEY])
def stage(data: dict):
    """Upload one photo before the report (or a follow-up) is sent, e.g. while the
    reporter types; it goes through the same checks as a report's photos. Send the
    returned token in `photo_tokens`, with the same `form_key`."""
    upload = data["photo"]
    try:
        staged = stage_photo(
            get_storage(),
            upload.stream,
            upload.filename or "",
            form_key=data["form_key"],
            now=utcnow(),
        )
    except PhotoRejected as exc:
        abort(422, errors={"photo": [_(REASONS[exc.code], **exc.params)]})
    except TooManyPhotos:
        abort(422, errors={"photo": [_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)]})
    except StagedPhotoMissing:
        abort(422, errors={"form_key": [_("The form key is not valid.")]})
    return {"token": staged.token}, 201, {"Cache-Control": "no-store"}


@bp.route("/reports/follow-ups", methods=["POST"])
@limiter.limit(_track_limit, deduct_when=lambda response: response.status_code == 404)
@idempotent
@bp.arguments(FollowUpIn, location="multipart")
@bp.response(201, FollowUpOut)
@bp.doc(operationId="followUp", parameters=[IDEMPOTENCY_KEY, TRACKING_CODE_HEADER])
def follow_up(data: dict):
    """Add information or photos to one's report, or answer an officer's question
    (`answers_id`), with the tracking code in the body or X-Tracking-Code."""
    code = _code(data)
    report = intake.find_report_by_code(code)
    if report is None:
        abort(404, message=_("No report has this code. Check it and try again."))
    photos = _processed_uploads(data)
    try:
        message = channel.add_followup(
            report,
            code,
            body=data.get("body", ""),
            storage=get_storage(),
            photos=photos,
            staged=data.get("photo_tokens") or (),
            form_key=data.get("form_key"),
            answers_id=data.get("answers_id"),
            now=utcnow(),
        )
    except channel.TooManyMessages as exc:
        abort(429, message=str(exc), headers={"Retry-After": "3600"})
    except (intake.IntakeError, SealingError) as exc:
        abort(422, message=str(exc))
    except TooManyPhotos:
        abort(422, errors={"photos": [_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)]})
    except StagedPhotoMissing:
        abort(422, errors={"photo_tokens": [_("A staged photo is unknown or expired.")]})
    return (
        {
            "id": message.id,
            "created_at": message.created_at,
            "photos": len(message.photos),
        },
        201,
        {"Cache-Control": "no-store"},
    )


def _stats_out(report: StatsReport) -> dict:
    return {
        "id": report.id,
        "title": report.title,
        "version": report.version,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "province_code": report.province_code,
        "published_at": report.published_at,
        "supersedes_id": report.supersedes_id,
        "data_url": url_for(".statistics_data", report_id=report.id),
    }


@bp.route("/statistics")
@bp.response(200, StatsReportOut(many=True))
def statistics():
    """Published statistics reports, newest first (corrections name what they
    supersede)."""
    return [_stats_out(r) for r in stats.published_reports()]


@bp.route("/statistics/<int:report_id>")
@bp.response(200, StatsDataOut)
def statistics_data(report_id: int):
    """A published report's snapshot, checked against its SHA-256."""
    report = db.session.get(StatsReport, report_id) if 0 < report_id < 2**31 else None
    if report is None or not report.is_published:
        abort(404)
    return {"id": report.id, "sha256": report.data_sha256, "data": stats.published_snapshot(report)}

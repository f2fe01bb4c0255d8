"""Open311 GeoReport v2 at /open311/v2 (https://wiki.open311.org/GeoReport_v2):
categories as services, reports posted by partners with their `api_key`, and the
public, resolved-case information of the cases — nothing that identifies a reporter,
and a seller's name only where the publication setting names confirmed violators.
`jurisdiction_id` is a province code. Every resource answers in JSON and XML."""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, json, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from inspect_app.api.auth import partner_by_key
from inspect_app.api.idempotency import idempotent
from inspect_app.api.models import Scope
from inspect_app.api.schemas import ReportIn
from inspect_app.api.views import submit
from inspect_app.cases.models import Case, Category, LocationType, Report
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.bounds import id_in_range
from inspect_app.core.settings import NAME_CONFIRMED_SELLERS, get_flag
from inspect_app.extensions import db, limiter
from inspect_app.geo.models import Province
from inspect_app.stats.aggregates import CONFIRMED_VIOLATIONS

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = "<any(json, xml):fmt>"
PUBLIC_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_limit)(bp)


# Rendering


def _xml_element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_xml_element(key, item))
    elif isinstance(value, list):
        child_tag = tag[:-1] if tag.endswith("s") else "item"
        for item in value:
            element.append(_xml_element(child_tag, item))
    elif value is None:
        pass
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element


def render(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> Response:
    """A list as a JSON array, or as <root><item>…</item></root>."""
    if fmt == "xml":
        element = ET.Element(root)
        for row in rows:
            element.append(_xml_element(item, row))
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
        return Response(body, status=status, mimetype="text/xml")
    return Response(
        json.dumps(rows, ensure_ascii=False), status=status, mimetype="application/json"
    )


def error_response(error: HTTPException) -> Response:
    """Open311's errors: [{code, description}] (or <errors><error>…)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    data = getattr(error, "data", None) or {}
    description = data.get("message") or str(error.description or error.name)
    messages = data.get("messages") or data.get("errors")
    if messages:
        description = f"{description} {json.dumps(messages, ensure_ascii=False)}"
    response = render(
        fmt, "errors", "error", [{"code": error.code, "description": description}], error.code
    )
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


# Jurisdictions and services


def _jurisdiction() -> Province | None:
    value = request.values.get("jurisdiction_id")
    if not value:
        return None
    province = db.session.get(Province, int(value)) if value.isdigit() and len(value) < 9 else None
    if province is None or not province.active:
        abort(404, message=_("Unknown jurisdiction_id: use a province code."))
    return province


def _services() -> list[Category]:
    return list(
        db.session.scalars(select(Category).where(Category.active).order_by(Category.sort_order))
    )


def _service(category: Category) -> dict:
    locale = str(get_locale())
    return {
        "service_code": category.code,
        "service_name": category.name_for(locale),
        "description": category.name_for(locale),
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


@bp.route(f"/services.{FORMATS}")
def services(fmt: str):
    _jurisdiction()
    return render(fmt, "services", "service", [_service(c) for c in _services()])


@bp.route(f"/services/<code>.{FORMATS}")
def service_definition(code: str, fmt: str):
    _jurisdiction()
    category = next((c for c in _services() if c.code == code), None)
    if category is None:
        abort(404)
    definition = {"service_code": category.code, "attributes": []}
    if fmt == "xml":
        element = _xml_element("service_definition", definition)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
        return Response(body, mimetype="text/xml")
    return Response(json.dumps(definition), mimetype="application/json")


# Service requests


def request_token(report: Report) -> str:
    """The token of a submitted report: its id and an HMAC of it (not guessable for
    other reports, and not the tracking code)."""
    mac = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"open311|{report.id}".encode(), hashlib.sha256
    ).hexdigest()[:24]
    return f"{report.id}-{mac}"


def _report_of_token(token: str) -> Report | None:
    number, _, _mac = token.partition("-")
    if not number.isdigit() or len(number) > 12 or not id_in_range(int(number)):
        return None
    report = db.session.get(Report, int(number))
    if report is None or not hmac.compare_digest(request_token(report), token):
        return None
    return report


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _public_request(case: Case, name_sellers: bool) -> dict:
    locale = str(get_locale())
    place = ", ".join(p for p in (case.ward.name if case.ward else "", case.province.name) if p)
    notes = case.public_summary
    if name_sellers and case.outcome in CONFIRMED_VIOLATIONS:
        sellers = sorted({r.seller_name for r in case.reports if r.seller_name})
        if sellers:
            notes = f"{notes} ({_('Seller')}: {', '.join(sellers)})".strip()
    return {
        "service_request_id": str(case.id),
        "status": "closed",
        "status_notes": notes,
        "service_name": case.category.name_for(locale),
        "service_code": case.category.code,
        "description": "",
        "agency_responsible": case.province.name,
        "service_notice": "",
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.closed_at or case.resolved_at),
        "expected_datetime": None,
        "address": place,
        "address_id": str(case.ward_code) if case.ward_code else "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


def _date(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        abort(400, message=_("%(name)s must be a W3C date and time.", name=name))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 2000 <= parsed.year <= 2100:
        abort(400, message=_("%(name)s is out of range.", name=name))
    return parsed


@bp.route(f"/requests.{FORMATS}", methods=["GET"])
def list_requests(fmt: str):
    """Resolved and closed cases (public information only), newest first."""
    province = _jurisdiction()
    statement = select(Case).where(Case.status.in_(PUBLIC_STATUSES))
    ids = request.args.get("service_request_id")
    if ids:
        wanted = [int(i) for i in ids.split(",") if i.strip().isdigit() and len(i.strip()) < 12]
        statement = statement.where(Case.id.in_(wanted or [0]))
    else:
        end = _date("end_date") or datetime.now(UTC)
        start = _date("start_date") or end - timedelta(days=DEFAULT_DAYS)
        statement = statement.where(Case.received_at >= start, Case.received_at <= end)
        status = request.args.get("status")
        if status == "open":
            return render(fmt, "service_requests", "request", [])
        code = request.args.get("service_code")
        if code:
            statement = statement.join(Category).where(Category.code.in_(code.split(",")))
    if province is not None:
        statement = statement.where(Case.province_code == province.code)
    cases = db.session.scalars(statement.order_by(Case.id.desc()).limit(MAX_REQUESTS))
    name_sellers = get_flag(NAME_CONFIRMED_SELLERS)
    rows = [_public_request(c, name_sellers) for c in cases]
    return render(fmt, "service_requests", "request", rows)


@bp.route(f"/requests/<request_id>.{FORMATS}")
def get_request(request_id: str, fmt: str):
    _jurisdiction()
    case = (
        db.session.get(Case, int(request_id))
        if request_id.isdigit() and len(request_id) < 12 and id_in_range(int(request_id))
        else None
    )
    if case is None or case.status not in PUBLIC_STATUSES:
        abort(404)
    rows = [_public_request(case, get_flag(NAME_CONFIRMED_SELLERS))]
    return render(fmt, "service_requests", "request", rows)


@bp.route(f"/tokens/<token>.{FORMATS}")
def token(token: str, fmt: str):
    _jurisdiction()
    report = _report_of_token(token) if len(token) < 64 else None
    if report is None:
        abort(404)
    return render(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": str(report.case_id), "token": token}],
    )


def _submission_fields(values, province: Province) -> dict:
    """Open311's fields mapped onto the report form's: `attribute[…]` carries what
    GeoReport has no field for (product, seller, location type)."""
    attribute = {
        key[len("attribute[") : -1]: value
        for key, value in values.items()
        if key.startswith("attribute[") and key.endswith("]")
    }
    description = values.get("description", "")
    ward = values.get("address_id", "")
    name = " ".join(p for p in (values.get("first_name", ""), values.get("last_name", "")) if p)
    return {
        "category": values.get("service_code", ""),
        "product": attribute.get("product") or description[:200],
        "brand": attribute.get("brand", ""),
        "description": description,
        "location_type": attribute.get(
            "location_type", LocationType.PHYSICAL.value if ward else LocationType.ONLINE.value
        ),
        "province": province.code,
        "ward": int(ward) if ward.isdigit() and len(ward) < 9 else None,
        "street_address": values.get("address_string", ""),
        "seller_name": attribute.get("seller_name", ""),
        "platform": attribute.get("platform", ""),
        "seller_url": attribute.get("seller_url", ""),
        "seen_on": None,
        "name": name,
        "phone": values.get("phone", ""),
        "email": values.get("email", ""),
        "address": "",
        "consent": attribute.get("consent") in ("true", "1", "yes"),
        "denunciation": False,
        "wants_email_updates": False,
        "photos": request.files.getlist("media"),
    }


@bp.route(f"/requests.{FORMATS}", methods=["POST"])
@idempotent
def post_request(fmt: str):
    """A report from a partner's system, with its `api_key` (the channel and any
    province restriction are the key's)."""
    values = CombinedMultiDict([request.args, request.form])
    partner = partner_by_key(values.get("api_key"), Scope.REPORTS_WRITE)
    province = _jurisdiction() or (partner.province if partner.province_code else None)
    if province is None:
        abort(400, message=_("Give jurisdiction_id: the province code."))
    if not values.get("service_code") or not values.get("description"):
        abort(400, message=_("service_code and description are required."))
    raw = _submission_fields(values, province)
    photos = raw.pop("photos")
    try:
        data = ReportIn().load({k: v for k, v in raw.items() if v not in (None, "")})
    except ValidationError as exc:
        abort(400, message=_("Some fields are not valid: see errors."), errors=exc.messages)
    data["photos"] = photos
    submission = submit(data, partner.province_code, partner)
    report = submission.report
    row = {
        "service_request_id": str(report.case_id),
        "token": request_token(report),
        "service_notice": _("Keep the tracking code: it is the only way to follow the report."),
        "account_id": None,
        "tracking_code": submission.tracking_code,
    }
    response = render(fmt, "service_requests", "request", [row], status=201)
    response.headers["Cache-Control"] = "no-store"
    return response

"""The API's request and response schemas. The same classes validate requests and
describe them in the OpenAPI document (flask-smorest), so the two cannot drift."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from inspect_app.cases.models import LocationType, Outcome, TransferDestination
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.bounds import MAX_ID
from inspect_app.intake.forms import DESCRIPTION_MAX

_PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")
ID = validate.Range(min=1, max=MAX_ID)


class Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class Problem(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    class Meta:
        ordered = True

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation errors, by field name."},
    )
    retry_after = fields.Integer(metadata={"description": "Seconds to wait (429, 409)."})


# Reference data


class CategoryOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class ProvinceOut(Schema):
    code = fields.Integer(required=True)
    name = fields.String(required=True)
    division_type = fields.String(required=True)


class WardOut(Schema):
    code = fields.Integer(required=True)
    name = fields.String(required=True)
    division_type = fields.String(required=True)
    province_code = fields.Integer(required=True)


class WardQuery(Strict):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Accent-insensitive: “ba dinh” finds “Ba Đình”."},
    )


# Reports


FORM_KEY = fields.String(
    validate=validate.Regexp(r"^[A-Za-z0-9_-]{43}$"),
    metadata={
        "description": "A key the client makes for one report (32 random bytes, URL-safe "
        "base64 without padding: 43 characters); photos staged under it are claimed."
    },
)


class PhotoIn(Strict):
    form_key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{43}$"),
        metadata={"description": FORM_KEY.metadata["description"]},
    )
    photo = Upload(required=True)


class PhotoOut(Schema):
    token = fields.String(
        required=True, metadata={"description": "Send it in `photo_tokens` with the report."}
    )


class FollowUpIn(Strict):
    tracking_code = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Or send it in the X-Tracking-Code header."},
    )
    body = fields.String(validate=validate.Length(max=4000))
    answers_id = fields.Integer(
        validate=ID, metadata={"description": "The officer's question this answers."}
    )
    photos = fields.List(Upload(), validate=validate.Length(max=10))
    photo_tokens = fields.List(
        fields.String(validate=validate.Length(equal=43)), validate=validate.Length(max=10)
    )
    form_key = FORM_KEY


class FollowUpOut(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    photos = fields.Integer(required=True)


class QuestionOut(Schema):
    id = fields.Integer(required=True)
    body = fields.String(required=True)
    at = fields.DateTime(required=True)


class ReportIn(Strict):
    """The fields of the public tip form (/report), with the same rules."""

    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    product = fields.String(required=True, validate=validate.Length(min=1, max=200))
    brand = fields.String(validate=validate.Length(max=200))
    description = fields.String(required=True, validate=validate.Length(min=1, max=DESCRIPTION_MAX))
    location_type = fields.String(
        load_default=LocationType.PHYSICAL.value,
        validate=validate.OneOf([t.value for t in LocationType]),
    )
    province = fields.Integer(required=True, validate=ID)
    ward = fields.Integer(validate=ID)
    street_address = fields.String(validate=validate.Length(max=300))
    seller_name = fields.String(validate=validate.Length(max=200))
    platform = fields.String(validate=validate.Length(max=40))
    seller_url = fields.String(validate=validate.Length(max=500))
    seen_on = fields.Date()
    name = fields.String(validate=validate.Length(max=200))
    phone = fields.String(validate=validate.Length(max=20))
    email = fields.Email(validate=validate.Length(max=254))
    address = fields.String(validate=validate.Length(max=300))
    consent = fields.Boolean(load_default=False)
    denunciation = fields.Boolean(load_default=False)
    wants_email_updates = fields.Boolean(load_default=False)
    photos = fields.List(
        Upload(),
        validate=validate.Length(max=10),
        metadata={"description": "Up to 10 photos (JPEG, PNG, WebP, HEIC)."},
    )
    photo_tokens = fields.List(
        fields.String(validate=validate.Length(equal=43)),
        validate=validate.Length(max=10),
        metadata={"description": "Photos uploaded first (POST /photos) with `form_key`."},
    )
    form_key = FORM_KEY

    @validates("phone")
    def _phone(self, value: str, **_kwargs) -> None:
        if value and not _PHONE_RE.match(re.sub(r"[\s.\-()]", "", value)):
            raise ValidationError(str(_l("Enter a Vietnamese phone number, e.g. 0912 345 678.")))

    @validates("seller_url")
    def _url(self, value: str, **_kwargs) -> None:
        if value and not re.match(r"^https?://[^\s/]+\.[^\s]+", value.strip()):
            raise ValidationError(str(_l("Enter a full link starting with https://")))

    @validates("seen_on")
    def _seen(self, value: date, **_kwargs) -> None:
        if value > date.today():
            raise ValidationError(str(_l("The date cannot be in the future.")))


class SubmissionOut(Schema):
    tracking_code = fields.String(
        required=True,
        metadata={"description": "Shown once: the only way to follow the report later."},
    )
    status = fields.String(required=True)
    status_title = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)


class ProgressIn(Strict):
    tracking_code = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Or send it in the X-Tracking-Code header."},
    )


class UpdateOut(Schema):
    status = fields.String(required=True)
    status_title = fields.String(required=True)
    message = fields.String(required=True)
    at = fields.DateTime(required=True)


class ProgressOut(Schema):
    status = fields.String(required=True)
    status_title = fields.String(required=True)
    received_at = fields.DateTime(required=True)
    updates = fields.List(fields.Nested(UpdateOut), required=True)
    open_questions = fields.List(
        fields.Nested(QuestionOut),
        required=True,
        metadata={"description": "Officers' questions waiting for an answer (a follow-up)."},
    )


# Statistics


class StatsReportOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    province_code = fields.Integer(allow_none=True, required=True)
    published_at = fields.DateTime(required=True)
    supersedes_id = fields.Integer(allow_none=True, required=True)
    data_url = fields.String(required=True)


class StatsDataOut(Schema):
    id = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    data = fields.Dict(required=True, metadata={"description": "The published snapshot."})


# Staff


class MeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    team = fields.String(allow_none=True, required=True)
    scopes = fields.List(fields.String(), required=True)
    token_expires_at = fields.DateTime(allow_none=True, required=True)


class CaseQuery(Strict):
    status = fields.String(validate=validate.OneOf([s.value for s in CaseStatus]))
    mine = fields.Boolean(
        load_default=False, metadata={"description": "Only cases assigned to me."}
    )
    after = fields.Integer(
        validate=ID, metadata={"description": "Keyset cursor: the `next` link carries it."}
    )
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class ReportOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    product = fields.String(required=True)
    brand = fields.String(required=True)
    description = fields.String(required=True)
    location_type = fields.String(required=True)
    province_code = fields.Integer(required=True)
    ward_code = fields.Integer(allow_none=True, required=True)
    street_address = fields.String(required=True)
    seller_name = fields.String(required=True)
    platform = fields.String(required=True)
    seller_url = fields.String(required=True)
    seen_on = fields.Date(allow_none=True, required=True)
    reporter_named = fields.Boolean(
        required=True,
        metadata={"description": "Whether an identity is sealed; it is never in the API."},
    )
    channel = fields.String(allow_none=True, required=True)
    photos = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)


class CaseOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    status_title = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    province_code = fields.Integer(required=True)
    ward_code = fields.Integer(allow_none=True, required=True)
    team = fields.String(allow_none=True, required=True)
    assignee_id = fields.Integer(allow_none=True, required=True)
    received_at = fields.DateTime(required=True)
    next_due = fields.Date(allow_none=True, required=True)
    version = fields.Integer(required=True)
    url = fields.String(required=True)


class CaseDetailOut(CaseOut):
    accept_due = fields.Date(allow_none=True, required=True)
    resolve_due = fields.Date(allow_none=True, required=True)
    outcome = fields.String(allow_none=True, required=True)
    public_summary = fields.String(required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    reports = fields.List(fields.Nested(ReportOut), required=True)


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseOut), required=True)
    next = fields.String(
        allow_none=True, required=True, metadata={"description": "The next page, or null."}
    )


class ActionIn(Strict):
    """The fields of the case page's action forms; which are needed depends on the
    action (the workflow says which is missing)."""

    reason = fields.String(validate=validate.Length(max=4000))
    public_reason = fields.String(validate=validate.Length(max=4000))
    internal_note = fields.String(validate=validate.Length(max=4000))
    team = fields.Integer(validate=ID)
    destination = fields.String(validate=validate.OneOf([d.value for d in TransferDestination]))
    agency = fields.String(validate=validate.Length(max=200))
    target = fields.Integer(validate=ID)
    assignee = fields.Integer(validate=ID)
    outcome = fields.String(validate=validate.OneOf([o.value for o in Outcome]))
    public_summary = fields.String(validate=validate.Length(max=4000))
    legal_basis = fields.String(validate=validate.Length(max=4000))
    fine_amount = fields.Integer(validate=validate.Range(min=1, max=10**15))
    goods_description = fields.String(validate=validate.Length(max=4000))
    goods_value = fields.Integer(validate=validate.Range(min=1, max=10**15))

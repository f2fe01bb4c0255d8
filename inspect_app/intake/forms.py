"""Forms of the public tip form and the association intake."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from inspect_app.cases.models import IntakeChannel, LocationType
from inspect_app.core.forms import BaseForm, DateField, coerce_optional_id

DESCRIPTION_MAX = 4000
PLATFORMS = ("Shopee", "Lazada", "TikTok Shop", "Facebook", "Zalo", "Tiki", "Website")
_PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")


def _not_in_future(form, field) -> None:
    if field.data and field.data > date.today():
        raise ValidationError(_l("The date cannot be in the future."))


def _phone(form, field) -> None:
    if field.data:
        compact = re.sub(r"[\s.\-()]", "", field.data)
        if not _PHONE_RE.match(compact):
            raise ValidationError(_l("Enter a Vietnamese phone number, e.g. 0912 345 678."))


class ReportFields(BaseForm):
    """What any report says about the goods, the place and the evidence."""

    category = SelectField(
        _l("What kind of problem?"),
        coerce=int,
        validators=[DataRequired(message=_l("Please choose the kind of problem."))],
    )
    product = StringField(
        _l("Product"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": _l("e.g. Omo washing powder 3 kg")},
    )
    brand = StringField(_l("Brand (if known)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(
        _l("What is wrong?"),
        validators=[DataRequired(), Length(max=DESCRIPTION_MAX)],
        render_kw={"maxlength": DESCRIPTION_MAX, "rows": 6},
    )
    location_type = RadioField(
        _l("Where did you see it?"),
        choices=[
            SelectChoice(LocationType.PHYSICAL.value, _l("In a shop, market or other place")),
            SelectChoice(
                LocationType.ONLINE.value, _l("Online (e-commerce, social media, website)")
            ),
        ],
        default=LocationType.PHYSICAL.value,
        validators=[DataRequired()],
    )
    province = SelectField(
        _l("Province or city"),
        coerce=coerce_optional_id,
        validators=[DataRequired(message=_l("Please choose a province or city."))],
    )
    # Required for a shop or market (checked by the service); marked for people.
    ward = SelectField(
        _l("Commune or ward"),
        coerce=coerce_optional_id,
        validate_choice=False,
        render_kw={"aria-required": "true"},
    )
    street_address = StringField(_l("Street address"), validators=[Optional(), Length(max=300)])
    seller_name = StringField(_l("Shop or seller name"), validators=[Optional(), Length(max=200)])
    platform = SelectField(
        _l("Platform"),
        choices=[
            SelectChoice("", "—"),
            *[SelectChoice(p) for p in PLATFORMS],
            SelectChoice("other", _l("Other")),
        ],
        validators=[Optional()],
    )
    seller_url = URLField(
        _l("Link to the seller or product"),
        validators=[Optional(), Length(max=500)],
        render_kw={"placeholder": "https://"},
    )
    seen_on = DateField(_l("When did you see it?"), validators=[Optional(), _not_in_future])
    photos = MultipleFileField(
        _l("Photos (up to 10)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"},
    )

    def validate_seller_url(self, field) -> None:
        if field.data and not re.match(r"^https?://[^\s/]+\.[^\s]+", field.data.strip()):
            raise ValidationError(_l("Enter a full link starting with https://"))


class ContactFields(BaseForm):
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=20), _phone])
    email = EmailField(
        _l("E-mail"), validators=[Optional(), Length(max=254), Email(check_deliverability=False)]
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])


class TipForm(ReportFields, ContactFields):
    # The form's own random key: binds photos uploaded while typing to this form,
    # and makes sending it twice return the same report (`intake.receipts`).
    form_key = HiddenField()
    # "Use my current location" (the browser's Geolocation API, with consent).
    geo_lat = HiddenField()
    geo_lon = HiddenField()
    geo_accuracy = HiddenField()
    identity = RadioField(
        _l("Who are you?"),
        choices=[
            SelectChoice("anonymous", _l("Stay anonymous")),
            SelectChoice("named", _l("Give my contact details")),
        ],
        default="anonymous",
    )
    denunciation = BooleanField(
        _l(
            "I make a formal denunciation (tố cáo) under the Law on Denunciation and take "
            "responsibility for its truthfulness."
        )
    )
    consent = BooleanField(
        _l(
            "I agree that the Market Surveillance force uses my contact details only to handle "
            "this report and to contact me about it (Personal Data Protection Law). They are "
            "sealed: only the officers entitled to them can open them — not even the system's "
            "administrators — and they are never published. With my tracking code I can see "
            "them and withdraw them."
        )
    )
    wants_email_updates = BooleanField(
        _l(
            "E-mail me a receipt, officers' questions and each change of status (for this, "
            "the system itself keeps my e-mail address readable, and uses it for nothing else)"
        )
    )
    # Honeypot: hidden from people, filled by bots.
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )
    submit = SubmitField(_l("Send report"))


class AssociationIntakeForm(ReportFields, ContactFields):
    channel = SelectField(
        _l("How did the complaint arrive?"),
        choices=lambda: [SelectChoice(c.value, c.title) for c in IntakeChannel],
        validators=[DataRequired()],
    )
    received_on = DateField(_l("Date received"), validators=[DataRequired(), _not_in_future])
    association_ref = StringField(
        _l("Association reference number"), validators=[Optional(), Length(max=60)]
    )
    consent = BooleanField(
        _l("The complainant agreed that their details are passed to the Market Surveillance force.")
    )
    submit = SubmitField(_l("File complaint"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Staff file for a consumer: the questions speak of the consumer, not "you".
        self.description.label.text = str(_l("What does the consumer report?"))
        self.location_type.label.text = str(_l("Where did the consumer see the goods?"))


class TrackForm(BaseForm):
    code = StringField(
        _l("Tracking code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "placeholder": "XXXX-XXXX-XXXX-XXXX",
        },
    )
    submit = SubmitField(_l("Check progress"))


class MyDataForm(BaseForm):
    """The tracking code again (a hidden field, never in the address), to open what
    the report holds about its reporter."""

    code = HiddenField(validators=[DataRequired(), Length(max=40)])


class WithdrawForm(MyDataForm):
    confirm = BooleanField(
        _l("Yes, destroy my contact details: I will no longer be contacted about this report"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class FollowupForm(MyDataForm):
    """More information, or an answer to an officer's question, with the tracking
    code in a hidden field."""

    body = TextAreaField(
        _l("Your message"),
        validators=[Optional(), Length(max=3000)],
        render_kw={"maxlength": 3000, "rows": 4},
    )
    answers = HiddenField()
    form_key = HiddenField()
    photos = MultipleFileField(
        _l("More photos (optional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"},
    )
    submit = SubmitField(_l("Send to the officers"))


class QuestionForm(BaseForm):
    """An officer's question to a report's reporter (from the case page)."""

    report = HiddenField(validators=[DataRequired()])
    body = TextAreaField(
        _l("Question to the reporter"),
        validators=[DataRequired(), Length(max=3000)],
        render_kw={"maxlength": 3000, "rows": 3},
    )

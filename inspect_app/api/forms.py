"""Forms of the partner-key and staff-token pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from inspect_app.api.models import PARTNER_SCOPES, STAFF_SCOPES, PartnerChannel
from inspect_app.core.forms import BaseForm, DateField, MultiCheckboxField, coerce_optional_id


class PartnerKeyForm(BaseForm):
    name = StringField(_l("Partner"), validators=[DataRequired(), Length(max=120)])
    scopes = MultiCheckboxField(
        _l("What the key may do"),
        choices=lambda: [SelectChoice(s.value, s.title) for s in PARTNER_SCOPES],
        validators=[DataRequired()],
        render_kw={"class": "option-list"},
    )
    channel = SelectField(
        _l("Intake channel it stands for"),
        choices=lambda: [SelectChoice(c.value, c.title) for c in PartnerChannel],
        validators=[DataRequired()],
    )
    province = SelectField(
        _l("Only for this province (optional)"), coerce=coerce_optional_id, validate_choice=False
    )
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    submit = SubmitField(_l("Create key"))


class StaffTokenForm(BaseForm):
    name = StringField(
        _l("Name (e.g. the device or script)"), validators=[DataRequired(), Length(max=120)]
    )
    scopes = MultiCheckboxField(
        _l("What the token may do"),
        choices=lambda: [SelectChoice(s.value, s.title) for s in STAFF_SCOPES],
        validators=[DataRequired()],
        render_kw={"class": "option-list"},
    )
    days = SelectField(
        _l("Valid for"),
        coerce=int,
        choices=lambda: [SelectChoice(d, _l("%(n)d days", n=d)) for d in (7, 30, 90)],
        default=30,
        validators=[NumberRange(min=1, max=90)],
    )
    submit = SubmitField(_l("Create token"))


class RevokeForm(BaseForm):
    submit = SubmitField(_l("Revoke"))

"""Forms of the retention package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from inspect_app.core.forms import BaseForm


class HoldForm(BaseForm):
    reason = TextAreaField(
        _l("Why must this case's personal data be kept?"),
        validators=[DataRequired(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Place on legal hold"))


class RetentionRulesForm(BaseForm):
    """Months per report kind; each field is named after its kind."""

    tip = IntegerField(_l("Tips"), validators=[DataRequired(), NumberRange(min=1, max=1200)])
    denunciation = IntegerField(
        _l("Denunciations"), validators=[DataRequired(), NumberRange(min=1, max=1200)]
    )
    complaint = IntegerField(
        _l("Consumer complaints"), validators=[DataRequired(), NumberRange(min=1, max=1200)]
    )
    submit = SubmitField(_l("Save retention periods"))

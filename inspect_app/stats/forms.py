"""Forms of statistics reports: building a draft, editing it, publishing, correcting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inspect_app.core.forms import BaseForm, DateField, coerce_optional_id
from inspect_app.stats.periods import Period, PeriodType
from inspect_app.stats.services import COMMENTARY_MAX, NOTE_MAX, TITLE_MAX

FIRST_YEAR = 2000
LAST_YEAR = 2100


class BuildForm(BaseForm):
    """The period (a month, a quarter, a year or custom dates) and the scope."""

    period_type = RadioField(
        _l("Period"),
        choices=lambda: [SelectChoice(t.value, t.title) for t in PeriodType],
        default=PeriodType.QUARTER.value,
        validators=[InputRequired()],
    )
    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR)],
        render_kw={"inputmode": "numeric"},
    )
    quarter = SelectField(
        _l("Quarter"),
        choices=[SelectChoice(q, str(q)) for q in range(1, 5)],
        coerce=int,
        validators=[Optional()],
    )
    month = SelectField(
        _l("Month"),
        choices=[SelectChoice(m, f"{m:02d}") for m in range(1, 13)],
        coerce=int,
        validators=[Optional()],
    )
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
    province = SelectField(_l("Scope"), coerce=coerce_optional_id, validators=[Optional()])
    submit = SubmitField(_l("Build the draft"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        needed = {
            PeriodType.MONTH.value: (self.year, self.month),
            PeriodType.QUARTER.value: (self.year, self.quarter),
            PeriodType.YEAR.value: (self.year,),
            PeriodType.CUSTOM.value: (self.start, self.end),
        }[self.period_type.data]
        missing = [f for f in needed if f.data is None]
        for f in missing:
            f.errors = [*f.errors, _l("This field is required.")]
        return not missing

    def period(self) -> Period:
        kind = PeriodType(self.period_type.data)
        if kind is PeriodType.MONTH:
            return Period.month(self.year.data, self.month.data)
        if kind is PeriodType.QUARTER:
            return Period.quarter(self.year.data, self.quarter.data)
        if kind is PeriodType.YEAR:
            return Period.year(self.year.data)
        return Period.custom(self.start.data, self.end.data)


class DraftForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    commentary = TextAreaField(
        _l("Commentary"),
        validators=[Optional(), Length(max=COMMENTARY_MAX)],
        render_kw={"rows": 6},
    )
    submit = SubmitField(_l("Save the draft"))


class PublishForm(BaseForm):
    confirm = BooleanField(
        _l("I have checked the figures; publish them. A published report cannot be changed."),
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Publish"))


class CorrectionForm(BaseForm):
    note = TextAreaField(
        _l("What does the correction change, and why?"),
        validators=[DataRequired(), Length(max=NOTE_MAX)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Start a correction"))

"""Forms of audit reviews: drawing a sample and the verdict on one case."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inspect_app.core.forms import BaseForm, DateField
from inspect_app.reviews.models import Decision
from inspect_app.reviews.services import MAX_SAMPLE, MAX_SEED, NOTE_MAX, TITLE_MAX

DEFAULT_SAMPLE = 20


class NewReviewForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    period_start = DateField(_l("Resolved from"), validators=[InputRequired()])
    period_end = DateField(_l("Resolved until"), validators=[InputRequired()])
    size = IntegerField(
        _l("Sample size"),
        default=DEFAULT_SAMPLE,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SAMPLE)],
        render_kw={"inputmode": "numeric"},
    )
    seed = IntegerField(
        _l("Seed (optional)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_SEED)],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Draw the sample"))


class ReviewItemForm(BaseForm):
    verdict = RadioField(
        _l("Verdict"),
        choices=lambda: [SelectChoice(d.value, d.title) for d in Decision],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        _l("Note or reason"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Save the verdict"))

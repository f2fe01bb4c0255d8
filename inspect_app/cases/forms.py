"""Forms of the case page: one per workflow action, notes and attachments."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import Select, html_params

from inspect_app.cases.models import Outcome, RejectReason, TransferDestination
from inspect_app.core.forms import BaseForm, DateField

TEXT_MAX = 4000


def _optional_int(value) -> int | None:
    """Empty means "all"; anything else must be a number (else "could not coerce")."""
    return int(value) if value not in (None, "", "None") else None


class VNDField(StringField):
    """An amount in đồng; accepts "1.500.000", "1 500 000 ₫" or "1500000"."""

    def process_formdata(self, valuelist) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_text = raw
        digits = re.sub(r"[\s.,₫đ]|VND", "", raw, flags=re.IGNORECASE)
        if not digits:
            self.data = None
        elif digits.isdigit() and len(digits) <= 15:
            self.data = int(digits)
        else:
            self.data = None
            raise ValueError(_l("Enter an amount in đồng, e.g. 1.500.000."))

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return f"{self.data:,}".replace(",", ".") if self.data is not None else ""


def _long_text(label, required: bool = True) -> TextAreaField:
    validators = [DataRequired()] if required else [Optional()]
    return TextAreaField(
        label, validators=[*validators, Length(max=TEXT_MAX)], render_kw={"rows": 3}
    )


class RejectForm(BaseForm):
    reason = SelectField(
        _l("Reason"), choices=lambda: [SelectChoice(r.value, r.title) for r in RejectReason]
    )
    public_reason = _long_text(_l("Reason the reporter will see"))
    internal_note = _long_text(_l("Internal note (officers only)"), required=False)
    submit = SubmitField(_l("Do not accept"))


class RouteForm(BaseForm):
    team = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    reason = _long_text(_l("Reason"))
    submit = SubmitField(_l("Send to another team"))


class TransferForm(BaseForm):
    destination = SelectField(
        _l("Transfer to"),
        choices=lambda: [
            SelectChoice(d.value, d.title)
            for d in TransferDestination
            if d not in (TransferDestination.TEAM, TransferDestination.OFFICE)
        ],
    )
    agency = StringField(
        _l("Receiving authority"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": _l("e.g. Công an quận Hoàn Kiếm")},
    )
    reason = _long_text(_l("Reason"))
    submit = SubmitField(_l("Transfer"))


class MergeForm(BaseForm):
    target = IntegerField(
        _l("Merge into case number"), validators=[DataRequired(), NumberRange(min=1)]
    )
    submit = SubmitField(_l("Merge"))


class AssignForm(BaseForm):
    assignee = SelectField(
        _l("Inspector"),
        coerce=_optional_int,
        validators=[DataRequired(message=_l("Choose an inspector."))],
    )
    submit = SubmitField(_l("Assign"))


class ResolveForm(BaseForm):
    outcome = SelectField(
        _l("Outcome"), choices=lambda: [SelectChoice(o.value, o.title) for o in Outcome]
    )
    fine_amount = VNDField(_l("Fine (VND)"), render_kw={"inputmode": "numeric"})
    goods_description = _long_text(_l("Goods seized or destroyed"), required=False)
    goods_value = VNDField(_l("Value of the goods (VND)"), render_kw={"inputmode": "numeric"})
    legal_basis = StringField(
        _l("Legal basis (decree and article)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"placeholder": _l("e.g. Nghị định 98/2020/NĐ-CP, Điều 11")},
    )
    public_summary = _long_text(_l("Summary the reporter will see"))
    submit = SubmitField(_l("Record the outcome"))

    def validate_fine_amount(self, field) -> None:
        if self.outcome.data == Outcome.FINE.value and not field.data:
            raise ValidationError(_l("Enter the fine amount in VND."))


class ReasonForm(BaseForm):
    """Reopen and extend: a written reason."""

    reason = _long_text(_l("Reason"))
    submit = SubmitField(_l("Confirm"))


class NoteForm(BaseForm):
    body = _long_text(_l("Internal note"))
    submit = SubmitField(_l("Add note"))


class AttachmentForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": _l("e.g. Biên bản kiểm tra số 12/BB-KT")},
    )
    file = FileField(
        _l("PDF or photo"),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp,image/heic,.heic"},
    )
    submit = SubmitField(_l("Upload"))


def _option(value, label, selected: bool) -> str:
    value = str(value) if isinstance(value, bool) else ("" if value is None else value)
    attributes = f'selected value="{escape(value)}"' if selected else f'value="{escape(value)}"'
    return f"<option {attributes}>{escape(label or value)}</option>"


class QuickSelect(Select):
    """WTForms' `<select>` markup, without building an object per option: a ward
    filter has up to a few hundred options. Choices must be plain `SelectChoice`s
    (no groups, no attributes per option)."""

    def __call__(self, field: SelectField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        for flag in dir(field.flags):
            if flag in self.validation_attrs and flag not in kwargs:
                kwargs[flag] = getattr(field.flags, flag)
        options = "".join(
            _option(c.value, c.label, field.coerce(c.value) == field.data) for c in field.choices
        )
        # Every value and label went through `escape`, as in WTForms' own widget.
        select = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(select)  # noqa: S704


class QuickSelectField(SelectField):
    """A `SelectField` of plain `SelectChoice`s, rendered and checked in one pass."""

    widget = QuickSelect()

    def pre_validate(self, form) -> None:
        if self.process_errors or any(self.coerce(c.value) == self.data for c in self.choices):
            return
        raise ValidationError(self.invalid_choice_message or self.gettext("Not a valid choice."))


class QueueFilterForm(BaseForm):
    """The queue's filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    status = QuickSelectField(_l("State"), validators=[Optional()])
    category = QuickSelectField(_l("Category"), coerce=_optional_int, validators=[Optional()])
    ward = QuickSelectField(_l("Commune or ward"), coerce=_optional_int, validators=[Optional()])
    source = QuickSelectField(_l("Source"), validators=[Optional()])
    kind = QuickSelectField(_l("Kind"), validators=[Optional()])
    assignee = QuickSelectField(_l("Assigned to"), validators=[Optional()])
    due = QuickSelectField(_l("Deadline"), validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])
    sort = QuickSelectField(_l("Sort by"), validators=[Optional()])


class BulkForm(BaseForm):
    """Several cases of the queue at once: accept, assign, or send to another team.

    `all_on_page` takes the cases listed on the page (`page_ids`) without ticking
    each one, so the form works without JavaScript too."""

    case_ids = SelectMultipleField(_l("Cases"), coerce=int, validate_choice=False)
    all_on_page = BooleanField(_l("Select all on this page"))
    page_ids = HiddenField()
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(a, a) for a in ("accept", "assign", "route")],
        validate_choice=True,
    )
    assignee = QuickSelectField(_l("Inspector"), coerce=_optional_int, validators=[Optional()])
    team = QuickSelectField(_l("Team"), coerce=_optional_int, validators=[Optional()])
    reason = TextAreaField(
        _l("Reason"), validators=[Optional(), Length(max=TEXT_MAX)], render_kw={"rows": 2}
    )

    def selected_ids(self) -> list[int]:
        """The ticked cases, or every case of the page; in the order given, once each."""
        ids = list(self.case_ids.data or [])
        if self.all_on_page.data:
            ids = [int(i) for i in (self.page_ids.data or "").split(",") if i.strip().isdigit()]
        return list(dict.fromkeys(ids))


class SaveViewForm(BaseForm):
    name = StringField(
        _l("Name of the view"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"placeholder": _l("e.g. Sữa bột, phường Hoàn Kiếm")},
    )
    query = HiddenField()
    submit = SubmitField(_l("Save this view"))

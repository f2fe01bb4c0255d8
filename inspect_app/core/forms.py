"""The base form and the bounded fields every form uses.

WTForms ships no Vietnamese catalog, so its built-in validation messages are listed
here (marked for extraction) and translated with the rest of the interface.

Values a form turns into ids or dates are bounded here, once (`core.bounds`): ids
through `coerce_id` / `coerce_optional_id`, dates through this module's `DateField`.
A value out of range is a validation error on its field, never a database error.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict
from wtforms import fields
from wtforms.widgets import CheckboxInput, ListWidget

from inspect_app.core.bounds import DATE_LIMITS, MAX_ID_DIGITS, date_in_range, id_in_range
from inspect_app.i18n import N_, Nn_

WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid URL."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("Not a valid date value."),
    N_("Not a valid datetime value."),
    N_("Not a valid time value."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    Nn_(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    Nn_(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    Nn_(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
    ),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
)


class _BabelTranslations:
    """Unformatted lookups: WTForms applies its own %-formatting afterwards."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _BabelTranslations()

        def wrap_formdata(self, form, formdata):
            """The posted fields, with uploads only in the form's file fields.

            Flask-WTF merges every upload into the form data and reads JSON bodies
            as form data: a file sent as `product`, or a JSON object as a field,
            would reach text validators (a 500). Our forms are HTML forms.
            """
            if formdata is not _Auto:
                return formdata
            if not form.is_submitted():
                return None
            data = MultiDict(request.form)
            for field in form:
                if isinstance(field, fields.FileField):
                    for upload in request.files.getlist(field.name):
                        data.add(field.name, upload)
            return data or None


def coerce_id(value) -> int:
    """A select's id: raises ValueError ("could not coerce") unless 1 … 2**31 - 1."""
    text = str(value).strip()
    digits = text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS
    if not digits or not id_in_range(int(text)):
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


def coerce_optional_id(value) -> int | None:
    """Like `coerce_id`; empty means none."""
    return None if value in (None, "", "None") else coerce_id(value)


class DateField(fields.DateField):
    """A date between `DATE_MIN` and `DATE_MAX`; anything else is refused with a
    message and leaves `data` empty, so no view ever sees it."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, date) and not date_in_range(self.data):
            self.data = None
            raise ValueError(_l("Enter a date between %(min)s and %(max)s.", **DATE_LIMITS))


class MultiCheckboxField(fields.SelectMultipleField):
    """A multiple choice as a list of checkboxes, each with its label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

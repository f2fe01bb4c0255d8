"""Forms of the sealing package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from inspect_app.core.forms import BaseForm


class GrantForm(BaseForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Give access (recorded)"))


class UnsealForm(BaseForm):
    """Re-authentication and a stated reason, before a sealed key is unlocked (a
    reporter's identity, original photos)."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    reason = TextAreaField(
        _l("Why do you need it? (recorded in the audit log)"),
        validators=[DataRequired(), Length(max=1000)],
        render_kw={"rows": 2},
    )

"""Forms of the sealing package: asking again for what proves it is the user."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from inspect_app.core.forms import BaseForm


class ReauthForm(BaseForm):
    """The password, and the two-step code where the user has one, before a key is
    unlocked."""

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


class GrantForm(ReauthForm):
    submit = SubmitField(_l("Give access (recorded)"))


class UnsealForm(ReauthForm):
    """Re-authentication and a stated reason, before sealed data is opened (a
    reporter's identity, original photos)."""

    reason = TextAreaField(
        _l("Why do you need it? (recorded in the audit log)"),
        validators=[DataRequired(), Length(max=1000)],
        render_kw={"rows": 2},
    )

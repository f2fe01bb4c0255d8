"""Forms of the accounts package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from inspect_app.accounts.permissions import Role
from inspect_app.core.forms import BaseForm, MultiCheckboxField


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )
    submit = SubmitField(_l("Verify"))


class TotpEnrolForm(BaseForm):
    code = StringField(
        _l("6-digit code shown by the app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on two-step verification"))


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class NewPasswordForm(BaseForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set my password"))


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, r.title) for r in Role]


class UserForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()])
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])
    association_id = SelectField(_l("Association"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save"))


class TeamForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    office_id = SelectField(_l("Office"), coerce=int, validators=[DataRequired()])
    is_ecommerce = BooleanField(_l("E-commerce team (covers the whole province online)"))
    is_default = BooleanField(_l("Default team of the office (receives what no ward matches)"))
    submit = SubmitField(_l("Save"))


class JurisdictionForm(BaseForm):
    wards = MultiCheckboxField(_l("Communes and wards"), coerce=int)
    submit = SubmitField(_l("Save jurisdiction"))


class SettingsForm(BaseForm):
    """Run-time settings: each field is named after its `core.settings` flag key."""

    require_totp_for_all_staff = BooleanField(
        _l("Require two-step verification for every staff account")
    )
    stats_name_confirmed_sellers = BooleanField(
        _l("Published statistics may name sellers with a confirmed violation")
    )
    submit = SubmitField(_l("Save"))


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


class ConfirmForm(BaseForm):
    """An empty form: a POST button protected by the CSRF token."""

    submit = SubmitField(_l("Confirm"))

"""Forms of the sealing package: asking again for what proves it is the user."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from inspect_app.accounts.forms import ReauthForm


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

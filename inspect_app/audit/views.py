"""Security events for directors."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.audit.security import SECURITY_TITLES, SecurityFilter
from inspect_app.audit.security import security_events as list_events
from inspect_app.cases.deadlines import start_of_local_day
from inspect_app.core.forms import BaseForm

bp = Blueprint("audit", __name__, template_folder="templates")


def _group_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All security events")),
        SelectChoice("logins", _l("Logins")),
        SelectChoice("accounts", _l("Accounts, teams and settings")),
        SelectChoice("keys", _l("Keys and access")),
        SelectChoice("identity", _l("Identities, originals and retention")),
    ]


class SecurityFilterForm(BaseForm):
    class Meta:
        csrf = False

    group = SelectField(_l("Events"), choices=_group_choices, validators=[Optional()])
    person = StringField(_l("E-mail contains"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])


@bp.route("/security-events")
@require_permission(Permission.VIEW_SECURITY_EVENTS)
def security_events():
    form = SecurityFilterForm(request.args)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    if request.args and not form.validate():
        return render_template(
            "audit/security.html", form=form, events=[], titles={}, args=args
        ), 400
    wanted = SecurityFilter(
        group=form.group.data or "",
        person=form.person.data or "",
        since=start_of_local_day(form.since.data) if form.since.data else None,
        until=start_of_local_day(form.until.data + timedelta(days=1)) if form.until.data else None,
        before_seq=request.args.get("before", type=int),
    )
    events = list_events(current_user, wanted)
    return render_template(
        "audit/security.html",
        form=form,
        events=events,
        titles={action: str(title) for action, title in SECURITY_TITLES.items()},
        args=args,
    )

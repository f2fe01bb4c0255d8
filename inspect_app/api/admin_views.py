"""Web pages for API credentials: administrators' partner keys, officers' personal
tokens. A new secret is shown once, in the answer to its creation."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.api import services
from inspect_app.api.forms import PartnerKeyForm, RevokeForm, StaffTokenForm
from inspect_app.api.models import ApiCredential, CredentialKind
from inspect_app.cases.deadlines import start_of_local_day
from inspect_app.core.bounds import id_in_range
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.geo.services import active_provinces

bp = Blueprint("api_admin", __name__, template_folder="templates")


def _secret_page(template: str, status: int = 200, **context):
    """A page that may show a new secret: never cached."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _partner_form(formdata=None) -> PartnerKeyForm:
    form = PartnerKeyForm(formdata=formdata) if formdata is not None else PartnerKeyForm()
    form.province.choices = [SelectChoice(None, "—")] + [
        SelectChoice(p.code, p.name) for p in active_provinces()
    ]
    return form


def _keys_page(form=None, issued=None, status: int = 200):
    return _secret_page(
        "api/partner_keys.html",
        status,
        form=form or _partner_form(),
        keys=services.partner_keys(),
        issued=issued,
        revoke_form=RevokeForm(),
        now=utcnow(),
    )


@bp.route("/admin/api-keys")
@require_permission(Permission.MANAGE_SETTINGS)
def partner_keys():
    return _keys_page()


@bp.route("/admin/api-keys", methods=["POST"])
@require_permission(Permission.MANAGE_SETTINGS)
def create_partner_key():
    form = _partner_form()
    if not form.validate_on_submit():
        return _keys_page(form, status=400)
    try:
        issued = services.create_partner_key(
            current_user,
            name=form.name.data,
            scopes=form.scopes.data,
            channel=form.channel.data,
            province_code=form.province.data,
            expires_at=start_of_local_day(form.expires_on.data + timedelta(days=1))
            if form.expires_on.data
            else None,
        )
    except services.CredentialError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _keys_page(form, status=400)
    db.session.commit()
    return _keys_page(issued=issued)


def _credential_or_404(credential_id: int, kind: CredentialKind) -> ApiCredential:
    found = db.session.get(ApiCredential, credential_id) if id_in_range(credential_id) else None
    if found is None or found.kind != kind.value:
        abort(404)
    return found


@bp.route("/admin/api-keys/<id:credential_id>/revoke", methods=["POST"])
@require_permission(Permission.MANAGE_SETTINGS)
def revoke_partner_key(credential_id: int):
    credential = _credential_or_404(credential_id, CredentialKind.PARTNER)
    if RevokeForm().validate_on_submit():
        services.revoke_credential(current_user, credential)
        db.session.commit()
        flash(_("The key is revoked: it no longer opens the API."), "success")
    return redirect(url_for(".partner_keys"))


def _tokens_page(form=None, issued=None, status: int = 200):
    return _secret_page(
        "api/staff_tokens.html",
        status,
        form=form or StaffTokenForm(),
        tokens=services.staff_tokens(current_user),
        issued=issued,
        revoke_form=RevokeForm(),
        now=utcnow(),
    )


@bp.route("/account/api-tokens")
@require_permission(Permission.VIEW_CASES)
def staff_tokens():
    return _tokens_page()


@bp.route("/account/api-tokens", methods=["POST"])
@require_permission(Permission.VIEW_CASES)
def create_staff_token():
    form = StaffTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, status=400)
    try:
        issued = services.create_staff_token(
            current_user,
            name=form.name.data,
            scopes=form.scopes.data,
            expires_at=utcnow() + timedelta(days=form.days.data),
        )
    except services.CredentialError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _tokens_page(form, status=400)
    db.session.commit()
    return _tokens_page(issued=issued)


@bp.route("/account/api-tokens/<id:credential_id>/revoke", methods=["POST"])
@login_required
def revoke_staff_token(credential_id: int):
    credential = _credential_or_404(credential_id, CredentialKind.STAFF)
    if credential.user_id != current_user.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        services.revoke_credential(current_user, credential)
        db.session.commit()
        flash(_("The token is revoked: it no longer opens the API."), "success")
    return redirect(url_for(".staff_tokens"))

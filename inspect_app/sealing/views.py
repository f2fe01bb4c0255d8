"""An officer's access to sealed data: their key, and giving colleagues access."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from inspect_app.accounts.models import User
from inspect_app.accounts.services import AccountError, reauthenticate, tell_user
from inspect_app.extensions import db
from inspect_app.sealing import crypto
from inspect_app.sealing.forms import GrantForm
from inspect_app.sealing.models import KeyEnvelope
from inspect_app.sealing.services import (
    SealingError,
    colleagues_waiting,
    grant_access,
    may_hold_keys,
)

bp = Blueprint("sealing", __name__, template_folder="templates")


def _key_holder() -> User:
    user = current_user._get_current_object()
    if not may_hold_keys(user):
        abort(404)
    return user


def _page(form: GrantForm | None = None, for_user: int | None = None, status: int = 200):
    user = _key_holder()
    key = user.officer_key
    held = db.session.scalar(select(func.count()).where(KeyEnvelope.user_id == user.id))
    return (
        render_template(
            "sealing/access.html",
            fingerprint=crypto.fingerprint(crypto.unb64(key.public_key)) if key else None,
            held=held,
            waiting=colleagues_waiting(user),
            form=form,
            form_for=for_user,
            blank=GrantForm(formdata=None),
        ),
        status,
    )


@bp.route("/account/keys")
@login_required
def access():
    return _page()


@bp.route("/account/keys/grant/<id:user_id>", methods=["POST"])
@login_required
def grant(user_id: int):
    user = _key_holder()
    grantee = db.session.get(User, user_id)
    waiting = {colleague.id for colleague, _count in colleagues_waiting(user)}
    if grantee is None or grantee.id not in waiting:
        abort(404)
    form = GrantForm()
    if not form.validate_on_submit():
        return _page(form, grantee.id, 400)
    try:
        reauthenticate(user, form.password.data, form.code.data, purpose="keys.grant")
        count = grant_access(user, form.password.data, grantee)
    except AccountError as exc:
        db.session.commit()  # the failed re-authentication counts and is recorded
        form.password.errors = [str(exc)]
        return _page(form, grantee.id, 400)
    except SealingError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(form, grantee.id, exc.status_code)
    tell_user(grantee, "access_granted", by=user)
    db.session.commit()
    flash(_("%(name)s now holds %(n)d more keys.", name=str(grantee), n=count), "success")
    return redirect(url_for(".access"))

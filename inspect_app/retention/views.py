"""Legal holds on the case page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases.access import get_case_or_404
from inspect_app.core.forms import BaseForm
from inspect_app.extensions import db
from inspect_app.retention import services
from inspect_app.retention.forms import HoldForm

bp = Blueprint("retention", __name__)


@bp.route("/cases/<id:case_id>/legal-hold", methods=["POST"])
@require_permission(Permission.PLACE_LEGAL_HOLD)
def place_hold(case_id: int):
    case = get_case_or_404(current_user, case_id)
    form = HoldForm(prefix="hold")
    if not form.validate_on_submit():
        flash(_("Say why the data must be kept."), "error")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="retention")), 303
    try:
        services.place_hold(current_user, case, form.reason.data)
    except services.RetentionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="retention")), 303
    db.session.commit()
    flash(_("The case is on legal hold: its personal data is kept."), "success")
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="retention"))


@bp.route("/cases/<id:case_id>/legal-hold/release", methods=["POST"])
@require_permission(Permission.PLACE_LEGAL_HOLD)
def release_hold(case_id: int):
    case = get_case_or_404(current_user, case_id)
    if not BaseForm().validate_on_submit():
        return redirect(url_for("cases.case_page", case_id=case.id)), 303
    try:
        services.release_hold(current_user, case)
    except services.RetentionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="retention")), 303
    db.session.commit()
    flash(_("The legal hold was released."), "success")
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="retention"))

"""Public tip form and tracking page; association intake."""

from __future__ import annotations

from typing import BinaryIO

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.accounts.services import AccountError
from inspect_app.cases.models import Category, IntakeChannel, LocationType, Report
from inspect_app.cases.services import CaseInputError
from inspect_app.crypto import decrypt_recent, encrypt_text
from inspect_app.evidence.images import REASONS, PhotoRejected
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    TooManyPhotos,
    get_storage,
    process_uploads,
)
from inspect_app.extensions import db, limiter
from inspect_app.geo.services import active_provinces, wards_of
from inspect_app.intake import services
from inspect_app.intake.forms import (
    AssociationIntakeForm,
    MyDataForm,
    TipForm,
    TrackForm,
    WithdrawForm,
)
from inspect_app.sealing.forms import UnsealForm
from inspect_app.sealing.services import SealingError

bp = Blueprint("intake", __name__, template_folder="templates")

CODE_SESSION_KEY = "new_tracking_code"
CODE_SESSION_SECONDS = 15 * 60


def _report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


def _fill_choices(form) -> None:
    locale = str(get_locale())
    categories = db.session.scalars(
        select(Category).where(Category.active).order_by(Category.sort_order)
    )
    form.category.choices = [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(c.id, c.name_for(locale)) for c in categories
    ]
    form.province.choices = [SelectChoice(None, _("Choose…"))] + [
        SelectChoice(p.code, p.name) for p in active_provinces()
    ]
    # Read only when the form is shown: the ward is checked against the database,
    # so a valid submission never lists a province's wards.
    form.ward.choices = lambda: _ward_choices(form.province.data)


def _ward_choices(province_code: int | None) -> list[SelectChoice]:
    wards = wards_of(province_code) if province_code else []
    return [SelectChoice(None, _("Choose…"))] + [SelectChoice(w.code, w.name) for w in wards]


def _draft(form, identity: services.ReporterIdentity | None) -> services.ReportDraft:
    return services.ReportDraft(
        category_id=form.category.data,
        product=form.product.data or "",
        brand=form.brand.data or "",
        description=form.description.data or "",
        location_type=LocationType(form.location_type.data),
        province_code=form.province.data,
        ward_code=form.ward.data,
        street_address=form.street_address.data or "",
        seller_name=form.seller_name.data or "",
        platform=form.platform.data or "",
        seller_url=(form.seller_url.data or "").strip(),
        seen_on=form.seen_on.data,
        identity=identity,
        consent=bool(form.consent.data),
        formal_denunciation=bool(getattr(form, "denunciation", None) and form.denunciation.data),
        wants_email_updates=bool(
            getattr(form, "wants_email_updates", None) and form.wants_email_updates.data
        ),
    )


def _identity(form) -> services.ReporterIdentity:
    return services.ReporterIdentity(
        name=form.name.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        address=form.address.data or "",
    )


def _uploaded_photos() -> list[tuple[str, BinaryIO]]:
    """The chosen files, still spooled: `process_uploads` reads one at a time."""
    return [(f.filename or "", f.stream) for f in request.files.getlist("photos") if f]


def _photo_error(exc: PhotoRejected) -> str:
    reason = _(REASONS[exc.code], **exc.params)
    return _("Photo “%(name)s” was not accepted: %(reason)s", name=exc.filename, reason=reason)


def _process_submission(form, identity, association=None):
    """Validate photos, store everything; returns the Submission or None with errors
    added to the form. Nothing is stored when anything is rejected."""
    try:
        photos = process_uploads(_uploaded_photos())
    except PhotoRejected as exc:
        form.form_errors.append(_photo_error(exc))
    except TooManyPhotos:
        form.form_errors.append(_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT))
    else:
        try:
            submission = services.submit_report(
                _draft(form, identity), photos, get_storage(), association=association
            )
        except services.IntakeError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return submission
    return None


def _note_lost_photos(form) -> None:
    """Browsers cannot refill file inputs: say so when photos had been chosen."""
    if any(f.filename for f in request.files.getlist("photos")):
        form.form_errors.append(
            _("Your text is kept, but photos cannot be: please choose them again.")
        )


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
def report():
    form = TipForm()
    _fill_choices(form)
    if request.method == "POST" and "choose_province" in request.form:
        form.form_errors.clear()
        return render_template("intake/report.html", form=form)
    if form.validate_on_submit():
        if form.website.data:
            form.form_errors.append(_("Your submission looked automated and was not accepted."))
            return render_template("intake/report.html", form=form), 400
        identity = _identity(form) if form.identity.data == "named" else None
        submission = _process_submission(form, identity)
        if submission:
            # Encrypted: the session cookie is signed, not secret.
            session[CODE_SESSION_KEY] = encrypt_text(submission.tracking_code)
            return redirect(url_for(".submitted"))
    if request.method == "POST":
        _note_lost_photos(form)
        return render_template("intake/report.html", form=form), 400
    return render_template("intake/report.html", form=form)


@bp.route("/report/submitted")
def submitted():
    code = decrypt_recent(session.pop(CODE_SESSION_KEY, None), CODE_SESSION_SECONDS)
    if code is None:
        return redirect(url_for(".track"))
    return _private(render_template("intake/submitted.html", code=code))


def _private(body, status: int = 200):
    """A page that shows a tracking code or personal data: never cached."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _progress(report, code: str, *, held=None, withdraw_form=None, status: int = 200):
    """The progress page. The code rides along in hidden fields of its forms (never in
    an address or a cookie) so the reporter can open their data or withdraw it."""
    page = render_template(
        "intake/progress.html",
        report=report,
        case=report.case,
        code=code,
        held=held,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
    )
    return _private(page, status)


_failed_lookup = {"deduct_when": lambda response: response.status_code == 404}


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"], **_failed_lookup)
def track():
    form = TrackForm()
    if form.validate_on_submit():
        report = services.find_report_by_code(form.code.data)
        if report is None:
            form.code.errors = [_("No report has this code. Check it and try again.")]
            return render_template("intake/track.html", form=form), 404
        return _progress(report, form.code.data)
    return render_template("intake/track.html", form=form), 400 if form.errors else 200


def _report_for(form) -> object | None:
    return services.find_report_by_code(form.code.data) if form.validate_on_submit() else None


@bp.route("/track/my-data", methods=["POST"])
@limiter.limit(_track_limit, **_failed_lookup)
def my_data():
    """What the report holds about its reporter, opened with the tracking code alone."""
    form = MyDataForm()
    report = _report_for(form)
    if report is None:
        return redirect(url_for(".track")), 404 if form.code.data else 303
    held = services.personal_data_of(report, form.code.data)
    db.session.commit()
    return _progress(report, form.code.data, held=held)


@bp.route("/track/withdraw", methods=["POST"])
@limiter.limit(_track_limit, **_failed_lookup)
def withdraw():
    """The reporter withdraws consent to being contacted: their details are destroyed."""
    form = WithdrawForm()
    code = form.code.data or ""
    report = services.find_report_by_code(code) if code else None
    if report is None:
        return redirect(url_for(".track")), 404 if code else 303
    if not form.validate_on_submit():
        return _progress(report, code, withdraw_form=form, status=400)
    services.withdraw_consent(report, code)
    db.session.commit()
    flash(
        _("Your contact details were destroyed. Nobody will contact you about this report."),
        "success",
    )
    return _progress(report, code)


@bp.route("/intake", methods=["GET", "POST"])
@require_permission(Permission.FILE_INTAKE)
def intake():
    form = AssociationIntakeForm()
    _fill_choices(form)
    if request.method == "POST" and "choose_province" in request.form:
        form.form_errors.clear()
        return render_template("intake/intake.html", form=form)
    if form.validate_on_submit():
        association = services.AssociationIntake(
            staff=current_user._get_current_object(),
            channel=IntakeChannel(form.channel.data),
            received_on=form.received_on.data,
            reference=form.association_ref.data or "",
        )
        submission = _process_submission(form, _identity(form), association)
        if submission:
            return render_template(
                "intake/intake_filed.html", code=submission.tracking_code, report=submission.report
            )
    if request.method == "POST":
        _note_lost_photos(form)
        return render_template("intake/intake.html", form=form), 400
    return render_template("intake/intake.html", form=form)


def _my_intake_page(revealed=None, failed=None, status: int = 200):
    reports = services.reports_filed_by(current_user)
    forms = {report.id: UnsealForm(formdata=None) for report in reports}
    if failed:
        forms[failed[0]] = failed[1]
    page = render_template(
        "intake/my_intake.html",
        reports=reports,
        forms=forms,
        failed=failed[0] if failed else None,
        revealed=revealed or {},
    )
    return _private(page, status)


@bp.route("/intake/mine")
@require_permission(Permission.VIEW_OWN_INTAKE)
def my_intake():
    return _my_intake_page()


@bp.route("/intake/mine/<id:report_id>/contact", methods=["POST"])
@require_permission(Permission.VIEW_OWN_INTAKE)
def complainant_contact(report_id: int):
    """The complainant's contact details, to call them back: shown in this response
    only, after the staff member's password (and code) and a reason; audited."""
    report = db.session.get(Report, report_id)
    mine = {r.id for r in services.reports_filed_by(current_user)}
    if report is None or report.id not in mine:
        abort(404)
    form = UnsealForm()
    if not form.validate_on_submit():
        return _my_intake_page(failed=(report.id, form), status=400)
    try:
        identity = services.reveal_complainant(
            current_user,
            report,
            password=form.password.data,
            code=form.code.data,
            reason=form.reason.data,
        )
    except AccountError as exc:
        db.session.commit()  # the failure counts and is recorded
        form.password.errors = [str(exc)]
        return _my_intake_page(failed=(report.id, form), status=400)
    except SealingError as exc:
        db.session.commit()  # the refusal is recorded
        form.form_errors.append(str(exc))
        return _my_intake_page(failed=(report.id, form), status=exc.status_code)
    except (services.IntakeError, CaseInputError) as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _my_intake_page(failed=(report.id, form), status=400)
    db.session.commit()
    return _my_intake_page(revealed={report.id: identity or {}})

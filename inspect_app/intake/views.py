"""Public tip form and tracking page; association intake."""

from __future__ import annotations

import base64
from typing import BinaryIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
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
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.accounts.services import AccountError
from inspect_app.cases.access import get_case_or_404
from inspect_app.cases.models import Category, IntakeChannel, LocationType, Report
from inspect_app.cases.services import CaseInputError
from inspect_app.core.typed_work import csrf_refused
from inspect_app.core.web import render_error
from inspect_app.crypto import decrypt_recent, encrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.evidence import staging
from inspect_app.evidence.images import MAX_PHOTO_BYTES, REASONS, PhotoRejected
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    TooManyPhotos,
    get_storage,
    process_uploads,
)
from inspect_app.extensions import csrf, db, limiter
from inspect_app.geo.services import active_provinces, wards_of
from inspect_app.intake import channel, services
from inspect_app.intake.forms import (
    AssociationIntakeForm,
    FollowupForm,
    MyDataForm,
    QuestionForm,
    TipForm,
    TrackForm,
    WithdrawForm,
)
from inspect_app.sealing import crypto
from inspect_app.sealing.forms import UnsealForm
from inspect_app.sealing.services import SealingError

bp = Blueprint("intake", __name__, template_folder="templates")

MB = 1024 * 1024
MAX_PHOTO_MB = MAX_PHOTO_BYTES / MB
UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope and the form key around a photo
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


# --- the public form: photos staged as they are chosen, nothing lost ------------------


def _form_key(form) -> str:
    """The form's key from the page, or a fresh one (a first visit, a forged key)."""
    if not staging.is_bearer_token(form.form_key.data or ""):
        form.form_key.data = crypto.new_bearer_token()
    return form.form_key.data


def _staged_tokens() -> list[str]:
    tokens = request.form.getlist("staged")[:MAX_PHOTOS_PER_REPORT]
    return [token for token in tokens if staging.is_bearer_token(token)]


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _report_page(form, status: int = 200, tokens: list[str] | None = None):
    """The form, with the photos already uploaded for it (thumbnails and tokens)."""
    key = _form_key(form)
    tokens = tokens if tokens is not None else _staged_tokens()
    staged = [
        (token, _data_uri(thumb))
        for token, thumb in staging.staged_thumbnails(get_storage(), tokens, key)
    ]
    page = render_template(
        "intake/report.html",
        form=form,
        form_key=key,
        uploads=True,
        staged=staged,
        max_photo_bytes=MAX_PHOTO_BYTES,
        max_photos=MAX_PHOTOS_PER_REPORT,
    )
    return _private(page, status)


def _stage_chosen_files(key: str) -> tuple[list[str], list[str]]:
    """Without script, photos arrive with the form: each is staged like an upload
    made while typing, so those accepted stay with the form whatever happens next.
    Returns the tokens of those accepted and the reasons of those refused."""
    tokens, refused = [], []
    for upload in request.files.getlist("photos"):
        if not upload or not upload.filename:
            continue
        try:
            staged = staging.stage_photo(
                get_storage(), upload.stream, upload.filename, form_key=key, now=utcnow()
            )
            tokens.append(staged.token)
        except PhotoRejected as exc:
            refused.append(_photo_error(exc))
        except TooManyPhotos:
            refused.append(_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT))
            break
    db.session.commit()
    return tokens, refused


def _show_code(submission: services.Submission) -> Response:
    # Encrypted: the session cookie is signed, not secret.
    session[CODE_SESSION_KEY] = encrypt_text(submission.tracking_code)
    return redirect(url_for(".submitted"))


def _submit_tip(form, key: str, tokens: list[str]):
    """Send the report with the photos of `tokens`; None with the form's errors set
    when it cannot be sent."""
    identity = _identity(form) if form.identity.data == "named" else None
    draft = _draft(form, identity)
    draft.location = services.device_location(
        form.geo_lat.data or "", form.geo_lon.data or "", form.geo_accuracy.data or ""
    )
    try:
        submission = services.submit_report(draft, [], get_storage(), staged=tokens, form_key=key)
    except services.IntakeError as exc:
        error = str(exc)
    except TooManyPhotos:
        error = _("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)
    except staging.StagedPhotoMissing:
        error = _("A photo had been waiting too long and was removed. Please choose it again.")
    else:
        db.session.commit()
        return submission
    db.session.rollback()
    form.form_errors.append(error)
    return None


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
def report():
    form = TipForm()
    _fill_choices(form)
    key = _form_key(form)
    if request.method == "POST" and "choose_province" in request.form:
        form.form_errors.clear()
        return _report_page(form)
    if request.method == "POST" and "remove_staged" in request.form:
        _remove_staged(request.form["remove_staged"], key)
        form.form_errors.clear()
        return _report_page(form)
    if request.method == "GET":
        return _report_page(form)
    done = services.already_submitted(key)
    if done:  # the same form sent again (a retry): the report it made
        return _show_code(done)
    # Photos sent with the form (no script) are kept whatever else is wrong.
    added, refused = _stage_chosen_files(key)
    tokens = list(dict.fromkeys(_staged_tokens() + added))
    form.form_errors.extend(refused)
    if form.validate_on_submit() and not refused:
        if form.website.data:
            form.form_errors.append(_("Your submission looked automated and was not accepted."))
            return _report_page(form, 400, tokens)
        submission = _submit_tip(form, key, tokens)
        if submission:
            return _show_code(submission)
    if tokens:
        form.form_errors.append(_("Your photos are kept: you need not choose them again."))
    return _report_page(form, 400, tokens)


def _remove_staged(token: str, key: str) -> None:
    try:
        staging.discard_staged(token, key)
    except staging.StagedPhotoMissing:
        return
    db.session.commit()


def _upload_limit() -> str:
    return current_app.config["PHOTO_UPLOAD_RATE_LIMIT"]


def _json_refusal(message: str, status: int):
    return jsonify(error=message), status


@bp.route("/report/photos", methods=["POST"])
@csrf.exempt  # creates nothing anyone can see; bound to the form's random key instead
@limiter.limit(_upload_limit)
def stage_photo():
    """One photo of a form being filled in, uploaded as soon as it is chosen: the
    evidence pipeline runs now; the answer is its token and thumbnail, or why not."""
    if (request.content_length or 0) > MAX_PHOTO_BYTES + UPLOAD_OVERHEAD:
        template = REASONS["too_large_bytes"]
        size_mb = request.content_length / MB
        return _json_refusal(_(template, size_mb=size_mb, limit_mb=MAX_PHOTO_MB), 413)
    key = request.form.get("form_key", "")
    upload = request.files.get("photo")
    if upload is None or not staging.is_bearer_token(key):
        return _json_refusal(_("Reload the page, then choose the photo again."), 400)
    try:
        staged = staging.stage_photo(
            get_storage(), upload.stream, upload.filename or "", form_key=key, now=utcnow()
        )
    except PhotoRejected as exc:
        return _json_refusal(_(REASONS[exc.code], **exc.params), 422)
    except TooManyPhotos:
        return _json_refusal(_("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT), 422)
    db.session.commit()
    return _private(jsonify(token=staged.token, thumb=_data_uri(staged.thumb_jpeg)))


@bp.route("/report/photos/remove", methods=["POST"])
@csrf.exempt  # removes only what the holder of the form's key and the token staged
@limiter.limit(_upload_limit)
def remove_photo():
    _remove_staged(request.form.get("token", ""), request.form.get("form_key", ""))
    return jsonify(removed=True)


def _refused_report(message: str, status: int, *, stage_files: bool):
    """The public form refused before its view ran: shown again with what it carried
    (text, photos already uploaded, and — without script — the photos sent with it)."""
    form = TipForm(formdata=request.form)
    _fill_choices(form)
    tokens = _staged_tokens()
    if stage_files:
        added, refused = _stage_chosen_files(_form_key(form))
        tokens += added
        form.form_errors.extend(refused)
    else:
        _note_lost_photos(form)
    form.form_errors.append(message)
    return _report_page(form, status, tokens)


@bp.errorhandler(CSRFError)
def refused_token(error):
    if request.endpoint == "intake.report":
        return _refused_report(
            _(
                "The form had expired. Everything you typed and your photos are kept: "
                "check them and send the form again."
            ),
            400,
            stage_files=True,
        )
    if request.endpoint == "intake.followup":
        return _refused_followup(_("The form had expired. Your message is kept: send it again."))
    return csrf_refused(error)


def _coded_report(form) -> tuple[object | None, str]:
    """The report a form's tracking code opens (None without a code), and the code."""
    code = form.code.data or ""
    return (services.find_report_by_code(code) if code else None), code


def _refused_followup(message: str):
    """A follow-up refused before its view ran: the progress page again, with it."""
    form = FollowupForm(formdata=request.form)
    report, code = _coded_report(form)
    if report is None:
        return redirect(url_for(".track"))
    form.form_errors.append(message)
    return _progress(report, code, followup_form=form, status=400)


@bp.errorhandler(429)
def too_many_requests(error):
    if request.endpoint == "intake.report":
        return _refused_report(
            _(
                "Many reports were sent from this connection. Wait a minute, then send "
                "again: everything you typed and your photos are kept."
            ),
            429,
            stage_files=False,
        )
    if request.endpoint in ("intake.stage_photo", "intake.remove_photo"):
        return _json_refusal(_("Too many photos at once. Wait a minute, then retry."), 429)
    if request.endpoint == "intake.followup":
        return _refused_followup(
            _("Many messages were sent from this connection. Wait a while, then send again.")
        )
    return render_error(error)


@bp.errorhandler(413)
def too_large(error):
    if request.endpoint == "intake.report":
        form = TipForm(formdata=None)
        _fill_choices(form)
        form.form_errors.append(
            _(
                "The photos were too large to send (each may have up to %(limit)g MB). "
                "Choose smaller photos; if your text is gone, this browser may offer it back.",
                limit=MAX_PHOTO_MB,
            )
        )
        return _report_page(form, 413, [])
    return render_error(error)


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


def _progress(
    report,
    code: str,
    *,
    held=None,
    withdraw_form=None,
    followup_form=None,
    sent: bool = False,
    status: int = 200,
):
    """The progress page. The code rides along in hidden fields of its forms (never in
    an address or a cookie) so the reporter can open their data, withdraw it, add
    information and answer questions."""
    messages = channel.conversation([report])
    followup_form = followup_form or FollowupForm(formdata=None)
    key = _form_key(followup_form)
    tokens = _staged_tokens() if request.endpoint == "intake.followup" else []
    staged = staging.staged_thumbnails(get_storage(), tokens, key)
    page = render_template(
        "intake/progress.html",
        report=report,
        case=report.case,
        code=code,
        held=held,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        messages=messages,
        questions=channel.open_questions(messages),
        followup_form=followup_form,
        followup_staged=[(token, _data_uri(thumb)) for token, thumb in staged],
        sent=sent,
        next_step=services.next_step(report.case),
        max_photo_bytes=MAX_PHOTO_BYTES,
        max_photos=MAX_PHOTOS_PER_REPORT,
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
    report, code = _coded_report(form)
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


def _followup_limit() -> str:
    return current_app.config["FOLLOWUP_RATE_LIMIT"]


def _send_followup(report, form) -> str | None:
    """Add the reporter's message; the error to show, or None when it was sent (now
    or by an earlier sending of the same form)."""
    key = form.form_key.data if staging.is_bearer_token(form.form_key.data or "") else None
    try:
        photos = process_uploads(_uploaded_photos())
        tokens = [t for t in request.form.getlist("staged") if staging.is_bearer_token(t)]
        answers = form.answers.data
        channel.add_followup(
            report,
            form.code.data,
            body=form.body.data or "",
            storage=get_storage(),
            photos=photos,
            staged=tokens,
            form_key=form.form_key.data,
            retry_key=key,
            answers_id=int(answers) if answers and answers.isdigit() else None,
            now=utcnow(),
        )
    except IntegrityError:  # the same form sent twice at once: the first one counts
        db.session.rollback()
        if key is None or channel.sent_with(report, key) is None:
            raise
    except PhotoRejected as exc:
        return _photo_error(exc)
    except TooManyPhotos:
        return _("Send at most %(n)d photos.", n=MAX_PHOTOS_PER_REPORT)
    except staging.StagedPhotoMissing:
        return _("A photo had been waiting too long and was removed. Please choose it again.")
    except (services.IntakeError, SealingError) as exc:
        return str(exc)
    return None


@bp.route("/track/followup", methods=["POST"])
@limiter.limit(_followup_limit)
def followup():
    """The reporter adds information or answers a question, with the tracking code."""
    form = FollowupForm()
    report, code = _coded_report(form)
    if report is None:
        return redirect(url_for(".track")), 404 if code else 303
    error = _send_followup(report, form) if form.validate_on_submit() else None
    if error or form.errors:
        db.session.rollback()
        if error:
            form.form_errors.append(error)
        return _progress(report, code, followup_form=form, status=400)
    db.session.commit()
    flash(_("Your message was sent to the officers handling your report."), "success")
    return _progress(report, code, sent=True)


@bp.route("/cases/<id:case_id>/reports/<id:report_id>/question", methods=["POST"])
@require_permission(Permission.WORK_CASES)
def ask_reporter(case_id: int, report_id: int):
    """An officer's question to a report's reporter, from the case page."""
    case = get_case_or_404(current_user, case_id)
    report = db.session.get(Report, report_id)
    form = QuestionForm()
    if report is None or report.case_id != case.id:
        abort(404)
    if not form.validate_on_submit():
        flash(_("Write the question first."), "error")
        return redirect(url_for("cases.case_page", case_id=case.id, _anchor="channel"))
    try:
        channel.ask_reporter(current_user, case, report, form.body.data, now=utcnow())
    except services.IntakeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Question sent. The reporter sees it with their tracking code."), "success")
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="channel"))


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

"""The case page and its actions; the queue is in `queue_views.py` (same blueprint)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.accounts.services import AccountError
from inspect_app.audit.services import case_timeline
from inspect_app.cases import services, transitions
from inspect_app.cases.access import get_case_or_404
from inspect_app.cases.deadlines import (
    LOCAL_TZ,
    case_milestones,
    deadline_status,
    display_calendar,
)
from inspect_app.cases.duplicates import suggest_duplicates
from inspect_app.cases.forms import (
    AssignForm,
    AttachmentForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    RejectForm,
    ResolveForm,
    RouteForm,
    TransferForm,
)
from inspect_app.cases.models import (
    Case,
    CaseAttachment,
    CaseNote,
    Report,
)
from inspect_app.cases.officers import (
    assign_choices,
    officer_name,
    open_case_counts,
    team_officers,
)
from inspect_app.cases.workflow import Action, allowed_actions, can_transition, event_titles
from inspect_app.core.forms import BaseForm
from inspect_app.core.typed_work import take_kept_text
from inspect_app.core.web import format_date_vn
from inspect_app.evidence.images import REASONS, PhotoRejected
from inspect_app.evidence.services import get_storage, read_document
from inspect_app.evidence.views import private_response
from inspect_app.extensions import db
from inspect_app.intake.channel import conversation
from inspect_app.intake.forms import QuestionForm
from inspect_app.retention.forms import HoldForm
from inspect_app.retention.services import legal_hold_of
from inspect_app.sealing.forms import UnsealForm
from inspect_app.sealing.services import SealingError, can_open_originals

bp = Blueprint("cases", __name__, template_folder="templates")

ACTION_FORMS = {
    Action.REJECT: RejectForm,
    Action.ROUTE: RouteForm,
    Action.TRANSFER: TransferForm,
    Action.MERGE: MergeForm,
    Action.ASSIGN: AssignForm,
    Action.RESOLVE: ResolveForm,
    Action.REOPEN: ReasonForm,
    Action.EXTEND: ReasonForm,
}


def _form_for(action: Action, case, formdata=None):
    form_class = ACTION_FORMS.get(action, BaseForm)
    form = form_class(formdata=formdata, prefix=action.value)
    if action is Action.ASSIGN:
        officers = team_officers(case.team_id)
        form.assignee.choices = assign_choices(officers, open_case_counts([u.id for u in officers]))
    if action is Action.ROUTE:
        teams = db.session.scalars(select(Team).where(Team.active).order_by(Team.code))
        form.team.choices = [
            SelectChoice(t.id, f"{t.code} — {t.name}") for t in teams if t.id != case.team_id
        ]
    return form


# Everything the case page shows, in a handful of queries instead of a lazy load per
# report, photo list, ward, note author and uploader. The case's own relations are
# joined to its row; the others are read by key (`IN`): joined to a case's notes or
# reports, the estimate of rows per case can tip the planner into a parallel plan.
_PAGE_RELATIONS = (
    joinedload(Case.category),
    joinedload(Case.team),
    joinedload(Case.assignee),
    joinedload(Case.ward),
    joinedload(Case.province),
    joinedload(Case.merged_into),
    selectinload(Case.reports).options(
        selectinload(Report.photos),
        selectinload(Report.ward),
        selectinload(Report.association),
        selectinload(Report.sealed_keys),
    ),
    selectinload(Case.notes).selectinload(CaseNote.author),
    selectinload(Case.attachments).selectinload(CaseAttachment.uploaded_by),
)


def _load_page_relations(case: Case) -> None:
    """Load what the page shows of a case the user may see (after the access check,
    so a case out of reach costs what a missing one costs)."""
    db.session.scalars(select(Case).where(Case.id == case.id).options(*_PAGE_RELATIONS)).one()


def _actor_names(events) -> dict[int, str]:
    """The names of the people on the timeline (the audit log keeps their e-mail)."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name, User.email).where(User.id.in_(ids)))
    return {row.id: officer_name(row) for row in rows}


def _unseal_context(case: Case, failed: dict) -> dict:
    """The reveal and originals forms of every report (a failed one kept, with its
    errors, so it opens again), and which reports' originals the user may ask for."""
    unseal = {
        (report.id, kind): failed.get((report.id, kind)) or UnsealForm(formdata=None)
        for report in case.reports
        for kind in ("reveal", "originals")
    }
    allowed = {report.id: can_open_originals(current_user, report) for report in case.reports}
    return {"unseal": unseal, "unseal_errors": failed, "originals_allowed": allowed}


def _page(case, forms=None, status: int = 200):
    _load_page_relations(case)
    actions = allowed_actions(current_user, case)
    forms = forms or {}
    action_forms = {a: forms.get(a) or _form_for(a, case) for a in actions}
    show_duplicates = Action.MERGE in actions
    calendar = display_calendar()
    today = datetime.now(LOCAL_TZ).date()
    timeline = case_timeline(case.id)
    response = make_response(
        render_template(
            "cases/case.html",
            case=case,
            actions=actions,
            action_forms=action_forms,
            timeline=timeline,
            actor_names=_actor_names(timeline),
            event_titles=event_titles(),
            deadline=deadline_status(case, today, calendar),
            milestones=case_milestones(case, today, calendar),
            duplicates=suggest_duplicates(case) if show_duplicates else [],
            note_form=forms.get("note") or NoteForm(prefix="note"),
            attachment_form=forms.get("attachment") or AttachmentForm(prefix="attachment"),
            revealed=forms.get("revealed") or {},
            **_unseal_context(case, forms.get("unseal") or {}),
            legal_hold=legal_hold_of(case),
            hold_form=forms.get("hold") or HoldForm(prefix="hold"),
            restored=forms.get("restored", set()),
            confirm_form=BaseForm(),
            messages=conversation(case.reports),
            question_form=QuestionForm(formdata=None),
        ),
        status,
    )
    # A revealed identity must not stay in any cache (nor does the page need one).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<id:case_id>")
@require_permission(Permission.VIEW_CASES)
def case_page(case_id: int):
    case = get_case_or_404(current_user, case_id)
    kept = take_kept_text(request.path)
    if not kept:
        return _page(case)
    flash(_("What you typed before logging in again is back: check it and send it."), "info")
    return _page(case, _restored_forms(case, kept))


def _restored_forms(case: Case, kept: dict[str, str]) -> dict:
    """The page's forms filled with text kept from a refused POST (typed_work)."""
    formdata = MultiDict(kept)
    prefixes = {name.split("-", 1)[0] for name in kept if "-" in name}
    forms: dict = {"restored": set()}
    if "note" in prefixes:
        forms["note"] = NoteForm(formdata=formdata, prefix="note")
    if "attachment" in prefixes:
        forms["attachment"] = AttachmentForm(formdata=formdata, prefix="attachment")
    for action in allowed_actions(current_user, case):
        if action.value in prefixes:
            forms[action] = _form_for(action, case, formdata=formdata)
            forms["restored"].add(action)
    # The page opens at the text given back.
    restored = [f for key, f in forms.items() if key != "restored"]
    for field in (f for form in restored[:1] for f in form if f.type == "TextAreaField"):
        field.render_kw = {**(field.render_kw or {}), "autofocus": True}
        break
    return forms


def _run_action(action: Action, case, form) -> None:
    values = {name: field.data for name, field in form._fields.items()}
    transitions.run_action(current_user._get_current_object(), case, action, values)


def _check_not_stale(case) -> None:
    """The form carries the case version it was rendered with: acting on a page that
    someone else's change made stale is refused, even when the engine ran the two
    requests one after the other (SQLite) and both would be allowed."""
    rendered = request.form.get("version", type=int)
    if rendered is not None and rendered != case.version:
        raise transitions.ConcurrentChange()


@bp.route("/cases/<id:case_id>/actions/<action>", methods=["POST"])
@require_permission(Permission.VIEW_CASES)
def case_action(case_id: int, action: str):
    case = get_case_or_404(current_user, case_id)
    try:
        action = Action(action)
    except ValueError:
        abort(404)
    form = _form_for(action, case, formdata=request.form)
    if not form.validate():
        return _page(case, {action: form}, status=400)
    try:
        _check_not_stale(case)
        _run_action(action, case, form)
    except transitions.WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(current_user, case_id)
        flash(str(exc), "error")
        form = _form_for(action, case, formdata=request.form)
        return _page(case, {action: form}, status=exc.status_code)
    db.session.commit()
    flash(_done_message(action, case), "success")
    return redirect(url_for(".case_page", case_id=case.id))


def _done_message(action: Action, case: Case) -> str:
    """What happened, in a sentence (not "Done: Assign.")."""
    if action is Action.ACCEPT:
        return _("The case is accepted (thụ lý). Assign it to an inspector next.")
    if action is Action.ROUTE:
        return _("The case was sent to %(team)s.", team=case.team.name)
    if action is Action.REJECT:
        return _("The case is not accepted; the reporter will see the reason.")
    if action is Action.MERGE:
        return _("The case was merged into case #%(id)d.", id=case.merged_into_id)
    if action is Action.TRANSFER:
        return _("The case was transferred to %(agency)s.", agency=case.transfer_agency)
    if action is Action.ASSIGN:
        return _("The case is assigned to %(name)s.", name=str(case.assignee))
    if action is Action.CLAIM:
        return _("You took this case.")
    if action is Action.START:
        return _("Investigation started.")
    if action is Action.RESOLVE:
        return _("The outcome is recorded; it waits for the team lead's approval.")
    if action is Action.APPROVE:
        return _("Approved: the case is closed.")
    if action is Action.REOPEN:
        return _("The case is reopened for investigation.")
    return _("The deadline is extended to %(date)s.", date=format_date_vn(case.resolve_due))


@bp.route("/cases/<id:case_id>/merge/<id:target_id>")
@require_permission(Permission.TRIAGE_CASES)
def merge_confirm(case_id: int, target_id: int):
    """Merging by tapping a suggested duplicate: this page shows both cases side by
    side and asks once more, then posts the merge action."""
    case = get_case_or_404(current_user, case_id)
    target = get_case_or_404(current_user, target_id)
    if not can_transition(current_user, case, Action.MERGE) or target.id == case.id:
        return redirect(url_for(".case_page", case_id=case.id)), 303
    return render_template("cases/merge_confirm.html", case=case, target=target)


@bp.route("/cases/<id:case_id>/notes", methods=["POST"])
@require_permission(Permission.WORK_CASES)
def add_note(case_id: int):
    case = get_case_or_404(current_user, case_id)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return _page(case, {"note": form}, status=400)
    services.add_note(current_user, case, form.body.data)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for(".case_page", case_id=case.id, _anchor="notes"))


@bp.route("/cases/<id:case_id>/attachments", methods=["POST"])
@require_permission(Permission.WORK_CASES)
def add_attachment(case_id: int):
    case = get_case_or_404(current_user, case_id)
    form = AttachmentForm(prefix="attachment")
    upload = request.files.get("attachment-file")
    if form.validate_on_submit() and (upload is None or not upload.filename):
        form.file.errors = [_("Choose a file.")]
    elif form.validate_on_submit():
        try:
            services.add_attachment(
                current_user,
                case,
                title=form.title.data,
                filename=upload.filename,
                data=upload.read(),
                storage=get_storage(),
            )
        except PhotoRejected as exc:
            db.session.rollback()
            form.file.errors = [_(REASONS[exc.code], **exc.params)]
        else:
            db.session.commit()
            flash(_("Document added."), "success")
            return redirect(url_for(".case_page", case_id=case.id, _anchor="attachments"))
    return _page(get_case_or_404(current_user, case_id), {"attachment": form}, status=400)


@bp.route("/cases/<id:case_id>/attachments/<id:attachment_id>")
@require_permission(Permission.VIEW_CASES)
def attachment(case_id: int, attachment_id: int):
    """Images are shown as their clean derivative; PDFs download (originals are evidence)."""
    case = get_case_or_404(current_user, case_id)
    found = db.session.get(CaseAttachment, attachment_id)
    if found is None or found.case_id != case.id:
        abort(404)
    if found.is_image:
        return private_response(read_document(get_storage(), found, "display"), "image/jpeg")
    if not current_user.can(Permission.DOWNLOAD_ORIGINALS):
        abort(404)
    services.record_original_download(current_user, case, found.sha256, f"attachment {found.id}")
    db.session.commit()
    response = private_response(read_document(get_storage(), found, "original"), "application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="record-{found.id}.pdf"'
    return response


def _report_of(case: Case, report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None or report.case_id != case.id:
        abort(404)
    return report


def _unseal_refused(case: Case, report: Report, kind: str, form: UnsealForm, exc: Exception):
    """The case page again, the form kept and its error shown. A refusal to unseal
    is committed: a failed re-authentication counts, and both are in the audit log."""
    if isinstance(exc, AccountError):
        db.session.commit()
        form.password.errors = [str(exc)]
        status = 400
    else:
        if isinstance(exc, SealingError):
            db.session.commit()
        else:
            db.session.rollback()
        form.form_errors.append(str(exc))
        status = exc.status_code
    case = get_case_or_404(current_user, case.id)
    return _page(case, {"unseal": {(report.id, kind): form}}, status=status)


@bp.route("/cases/<id:case_id>/reports/<id:report_id>/reveal", methods=["POST"])
@require_permission(Permission.REVEAL_REPORTER)
def reveal(case_id: int, report_id: int):
    """The reporter's identity and identifying photo facts, shown once in this
    response: the officer's password unlocks their key for this request only."""
    case = get_case_or_404(current_user, case_id)
    report = _report_of(case, report_id)
    form = UnsealForm()
    if not form.validate_on_submit():
        return _page(case, {"unseal": {(report.id, "reveal"): form}}, status=400)
    try:
        revealed = services.reveal_reporter(
            current_user,
            report,
            password=form.password.data,
            code=form.code.data,
            reason=form.reason.data,
        )
    except (AccountError, SealingError, services.CaseInputError) as exc:
        return _unseal_refused(case, report, "reveal", form, exc)
    db.session.commit()
    return _page(case, {"revealed": {report.id: revealed}})


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@bp.route("/cases/<id:case_id>/reports/<id:report_id>/originals", methods=["POST"])
@require_permission(Permission.DOWNLOAD_ORIGINALS)
def originals(case_id: int, report_id: int):
    """A report's original photos as a ZIP, byte for byte (evidence), decrypted for
    this response only."""
    case = get_case_or_404(current_user, case_id)
    report = _report_of(case, report_id)
    form = UnsealForm()
    if not form.validate_on_submit():
        return _page(case, {"unseal": {(report.id, "originals"): form}}, status=400)
    try:
        files = services.open_originals(
            current_user,
            report,
            get_storage(),
            password=form.password.data,
            code=form.code.data,
            reason=form.reason.data,
        )
    except (AccountError, SealingError, services.CaseInputError) as exc:
        return _unseal_refused(case, report, "originals", form, exc)
    db.session.commit()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for photo, data in files:
            extension = _EXTENSIONS.get(photo.mime_type, "heic")
            archive.writestr(f"report-{report.id}-photo-{photo.position + 1}.{extension}", data)
    response = private_response(buffer.getvalue(), "application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="case-{case.id}-report-{report.id}-originals.zip"'
    )
    return response


from inspect_app.cases import queue_views  # noqa: E402,F401  (routes on this blueprint)

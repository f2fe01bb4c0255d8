"""The case page and its actions."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Row, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.models import Team, User, team_wards
from inspect_app.accounts.permissions import Permission, Role, require_permission
from inspect_app.accounts.services import AccountError
from inspect_app.audit.services import case_timeline
from inspect_app.cases import services, transitions
from inspect_app.cases.access import can_see_case, get_case_or_404
from inspect_app.cases.deadlines import (
    LOCAL_TZ,
    DeadlineStatus,
    deadline_status,
    display_calendar,
    due_statuses,
)
from inspect_app.cases.duplicates import suggest_duplicates
from inspect_app.cases.forms import (
    AssignForm,
    AttachmentForm,
    BulkAssignForm,
    MergeForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RejectForm,
    ResolveForm,
    RouteForm,
    TransferForm,
)
from inspect_app.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAttachment,
    CaseNote,
    Category,
    Report,
    ReportKind,
    ReportSource,
)
from inspect_app.cases.queue import InvalidCursor, QueueFilters, queue_page
from inspect_app.cases.workflow import Action, CaseStatus, allowed_actions, event_titles
from inspect_app.core.bounds import id_in_range
from inspect_app.core.forms import BaseForm
from inspect_app.core.web import format_date_vn
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.evidence.images import REASONS, PhotoRejected
from inspect_app.evidence.services import get_storage, read_document
from inspect_app.evidence.views import private_response
from inspect_app.extensions import db
from inspect_app.geo.cache import cached, clear, province_wards, watch
from inspect_app.geo.models import Ward
from inspect_app.retention.forms import HoldForm
from inspect_app.retention.services import legal_hold_of
from inspect_app.sealing.forms import UnsealForm
from inspect_app.sealing.services import SealingError, can_open_originals

bp = Blueprint("cases", __name__, template_folder="templates")

watch(Category, Team)  # the queue's category names and team wards are cached

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


def _team_officers(team_id: int | None) -> list[Row]:
    """(id, full_name, email) of the team's active inspectors and leads, by name."""
    return list(
        db.session.execute(
            select(User.id, User.full_name, User.email)
            .where(
                User.team_id == team_id,
                User.active,
                User.role.in_([Role.INSPECTOR.value, Role.TEAM_LEAD.value]),
            )
            .order_by(User.full_name)
        )
    )


def _form_for(action: Action, case, formdata=None):
    form_class = ACTION_FORMS.get(action, BaseForm)
    form = form_class(formdata=formdata, prefix=action.value)
    if action is Action.ASSIGN:
        form.assignee.choices = _officer_choices(_team_officers(case.team_id))
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
    response = make_response(
        render_template(
            "cases/case.html",
            case=case,
            actions=actions,
            action_forms=action_forms,
            timeline=case_timeline(case.id),
            event_titles=event_titles(),
            deadline=deadline_status(case, calendar=display_calendar()),
            duplicates=suggest_duplicates(case) if show_duplicates else [],
            note_form=forms.get("note") or NoteForm(prefix="note"),
            attachment_form=forms.get("attachment") or AttachmentForm(prefix="attachment"),
            revealed=forms.get("revealed") or {},
            **_unseal_context(case, forms.get("unseal") or {}),
            legal_hold=legal_hold_of(case),
            hold_form=forms.get("hold") or HoldForm(prefix="hold"),
            confirm_form=BaseForm(),
        ),
        status,
    )
    # A revealed identity must not stay in any cache (nor does the page need one).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<id:case_id>")
@require_permission(Permission.VIEW_CASES)
def case_page(case_id: int):
    return _page(get_case_or_404(current_user, case_id))


def _run_action(action: Action, case, form) -> None:
    user = current_user._get_current_object()
    if action is Action.ACCEPT:
        transitions.accept_case(user, case)
    elif action is Action.CLAIM:
        transitions.claim_case(user, case)
    elif action is Action.START:
        transitions.start_investigation(user, case)
    elif action is Action.APPROVE:
        transitions.approve_resolution(user, case)
    elif action is Action.REJECT:
        transitions.reject_case(
            user,
            case,
            reason=form.reason.data,
            public_reason=form.public_reason.data,
            internal_note=form.internal_note.data,
        )
    elif action is Action.ROUTE:
        transitions.route_case(
            user, case, team=db.session.get(Team, form.team.data), reason=form.reason.data
        )
    elif action is Action.TRANSFER:
        transitions.transfer_case(
            user,
            case,
            destination=form.destination.data,
            agency=form.agency.data,
            reason=form.reason.data,
        )
    elif action is Action.MERGE:
        target = (
            db.session.get(type(case), form.target.data) if id_in_range(form.target.data) else None
        )
        if target is None or not can_see_case(user, target):
            raise transitions.WorkflowError(_("No case with that number in your reach."))
        transitions.merge_case(user, case, target=target)
    elif action is Action.ASSIGN:
        transitions.assign_case(user, case, assignee=db.session.get(User, form.assignee.data))
    elif action is Action.RESOLVE:
        transitions.resolve_case(
            user,
            case,
            outcome=form.outcome.data,
            public_summary=form.public_summary.data,
            legal_basis=form.legal_basis.data,
            fine_amount=form.fine_amount.data,
            goods_description=form.goods_description.data,
            goods_value=form.goods_value.data,
        )
    elif action is Action.REOPEN:
        transitions.reopen_case(user, case, reason=form.reason.data)
    elif action is Action.EXTEND:
        transitions.extend_deadline(user, case, reason=form.reason.data)


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
    flash(_("Done: %(action)s.", action=action.title), "success")
    return redirect(url_for(".case_page", case_id=case.id))


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


class QueueRow(NamedTuple):
    """One line of the queue, every text already made."""

    id: int
    href: str
    title: str
    category: str
    status: str
    status_title: str
    deadline: DeadlineStatus
    next_due: str
    assignee: str
    received: str
    select_label: str


def _category_names(locale: str, needed: Iterable[int] = ()) -> dict[int, str]:
    """Category id → name, in the filter's order (reference data, cached; read again
    when a category in `needed` is not in it yet)."""

    def load() -> dict[int, str]:
        categories = db.session.scalars(select(Category).order_by(Category.sort_order))
        return {c.id: c.name_for(locale) for c in categories}

    names = cached(("category_names", locale), load)
    if not names.keys() >= set(needed):
        clear()
        names = cached(("category_names", locale), load)
    return names


@lru_cache(maxsize=8)
def _fixed_choices(locale: str) -> dict[str, tuple[SelectChoice, ...]]:
    """The choices that are the same for everyone, per locale (`locale` is the
    request's: gettext answers in it)."""
    everything = SelectChoice("", _("All"))
    return {
        "status": (
            SelectChoice("", _("Open cases")),
            SelectChoice("all", _("All states")),
            *[SelectChoice(s.value, s.title) for s in CaseStatus],
        ),
        "source": (everything, *[SelectChoice(s.value, s.title) for s in ReportSource]),
        "kind": (everything, *[SelectChoice(k.value, k.title) for k in ReportKind]),
        "assignee": (
            everything,
            SelectChoice("mine", _("Me")),
            SelectChoice("unassigned", _("Unassigned")),
        ),
        "due": (
            everything,
            SelectChoice("overdue", _("Overdue")),
            SelectChoice("3", _("Due within 3 working days")),
            SelectChoice("7", _("Due within 7 working days")),
        ),
        "sort": (
            SelectChoice("deadline", _("Deadline")),
            SelectChoice("age", _("Oldest first")),
            SelectChoice("activity", _("Last activity")),
        ),
    }


def _officer_choices(officers: list[Row]) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.full_name or u.email) for u in officers]


def _queue_choices(form: QueueFilterForm, user: User, officers: list[Row], locale: str) -> None:
    fixed = _fixed_choices(locale)
    for name in ("status", "source", "kind", "due", "sort"):
        form[name].choices = fixed[name]
    everything = SelectChoice(None, _("All"))
    categories = _category_names(locale)
    form.category.choices = [everything, *[SelectChoice(i, n) for i, n in categories.items()]]
    form.ward.choices = [everything, *[SelectChoice(c, n) for c, n in _scope_wards(user)]]
    form.assignee.choices = [
        *fixed["assignee"],
        *[SelectChoice(str(u.id), u.full_name or u.email) for u in officers],
    ]


def _scope_wards(user: User) -> list[tuple[int, str]]:
    """(code, name) of the wards the user's queue can be filtered by: the team's
    jurisdiction, or the province's for e-commerce teams and directors."""
    if user.team_id is not None:
        wards = _team_wards(user.team_id)
        if wards or not user.team.is_ecommerce:
            return wards
    office = user.office_of_scope
    return province_wards(office.province_code) if office else []


def _team_wards(team_id: int) -> list[tuple[int, str]]:
    """The jurisdiction of a team that is not an e-commerce team, by name (kept per
    process; a change of jurisdiction goes through `Team.wards`, which empties it)."""

    def load() -> list[tuple[int, str]]:
        rows = db.session.execute(
            select(Ward.code, Ward.name)
            .join(team_wards, team_wards.c.ward_code == Ward.code)
            .join(Team, Team.id == team_wards.c.team_id)
            .where(Team.id == team_id, Team.is_ecommerce.is_(False))
            .order_by(Ward.name)
        )
        return [(code, name) for code, name in rows]

    return cached(("team_wards", team_id), load)


def _filters(form: QueueFilterForm) -> QueueFilters:
    status = form.status.data or ""
    statuses = (
        [s.value for s in OPEN_STATUSES] if status == "" else ([] if status == "all" else [status])
    )
    due = form.due.data or ""
    return QueueFilters(
        statuses=statuses,
        category_id=form.category.data,
        ward_code=form.ward.data,
        source=form.source.data or None,
        kind=form.kind.data or None,
        assignee=form.assignee.data or None,
        overdue=due == "overdue",
        due_within=int(due) if due.isdigit() else None,
        received_from=form.received_from.data,
        received_to=form.received_to.data,
        search=form.q.data or "",
        sort=form.sort.data or "deadline",
    )


def _assignee_names(cases: list[Row], officers: list[Row]) -> dict[int, str]:
    """Assignee id → name; the team's officers are known already."""
    names = {u.id: u.full_name or u.email for u in officers}
    missing = {c.assignee_id for c in cases if c.assignee_id is not None} - names.keys()
    if missing:
        others = select(User.id, User.full_name, User.email).where(User.id.in_(missing))
        names.update({u.id: u.full_name or u.email for u in db.session.execute(others)})
    return names


def _queue_rows(
    cases: list[Row],
    officers: list[Row],
    today: date,
    calendar: WorkingCalendar,
    locale: str,
    bulk: bool,
) -> list[QueueRow]:
    deadlines = due_statuses((case.next_due for case in cases), today, calendar)
    assignees = _assignee_names(cases, officers)
    categories = _category_names(locale, {case.category_id for case in cases})
    status_titles = {s.value: s.title for s in CaseStatus}
    select_label = _("Select case %(id)d") if bulk else ""
    return [
        QueueRow(
            id=case.id,
            href=url_for(".case_page", case_id=case.id),
            title=case.title,
            category=categories[case.category_id],
            status=case.status,
            status_title=status_titles[case.status],
            deadline=deadlines[case.next_due],
            next_due=format_date_vn(case.next_due),
            assignee=assignees.get(case.assignee_id, "—"),
            received=format_date_vn(case.received_at),
            select_label=select_label % {"id": case.id},
        )
        for case in cases
    ]


@bp.route("/cases")
@require_permission(Permission.VIEW_CASES)
def queue():
    user = current_user._get_current_object()
    locale = str(get_locale())
    can_assign = user.can(Permission.ASSIGN_CASES)
    # The bulk form lists the officers of the lead's team (the filter: none without one).
    officers = _team_officers(user.team_id) if user.team_id or can_assign else []
    form = QueueFilterForm(request.args)
    _queue_choices(form, user, officers if user.team_id else [], locale)
    if request.args and not form.validate():
        return render_template("cases/queue.html", form=form, page=None, statuses=CaseStatus), 400
    today = datetime.now(LOCAL_TZ).date()
    calendar = display_calendar()
    try:
        page = queue_page(
            user, _filters(form), today=today, calendar=calendar, cursor=request.args.get("after")
        )
    except InvalidCursor:
        abort(400)
    bulk = None
    if can_assign:
        bulk = BulkAssignForm()
        bulk.assignee.choices = _officer_choices(officers)
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template(
        "cases/queue.html",
        form=form,
        page=page,
        rows=_queue_rows(page.cases, officers, today, calendar, locale, bulk is not None),
        statuses=CaseStatus,
        bulk=bulk,
        args=args,
    )


@bp.route("/cases/assign", methods=["POST"])
@require_permission(Permission.ASSIGN_CASES)
def bulk_assign():
    form = BulkAssignForm()
    form.assignee.choices = _officer_choices(_team_officers(current_user.team_id))
    if not form.validate_on_submit() or not form.case_ids.data:
        flash(_("Choose cases and an inspector."), "error")
        return redirect(url_for(".queue")), 303
    cases = [get_case_or_404(current_user, case_id) for case_id in form.case_ids.data]
    try:
        count = transitions.assign_cases(
            current_user, cases, assignee=db.session.get(User, form.assignee.data)
        )
    except transitions.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".queue")), 303
    db.session.commit()
    flash(_("%(n)d cases assigned.", n=count), "success")
    return redirect(url_for(".queue"))

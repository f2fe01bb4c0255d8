"""The case queue: saved views, search and filters, counts per state, pages of
cards (a table on wide screens), bulk actions and the export of what is listed.

The case page is in `views.py`; both are rooms of the `cases` blueprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Row, select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.models import Team, User, team_wards
from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.audit.services import record_event
from inspect_app.cases import exports, saved_views, transitions
from inspect_app.cases.access import get_case_or_404
from inspect_app.cases.deadlines import LOCAL_TZ, DeadlineStatus, display_calendar, due_statuses
from inspect_app.cases.forms import BulkForm, QueueFilterForm, SaveViewForm
from inspect_app.cases.models import OPEN_STATUSES, Case, Category, ReportKind, ReportSource
from inspect_app.cases.officers import assign_choices, open_case_counts, team_officers
from inspect_app.cases.queue import InvalidCursor, QueueFilters, QueuePage, queue_page
from inspect_app.cases.views import bp
from inspect_app.cases.workflow import Action, CaseStatus
from inspect_app.core.forms import BaseForm
from inspect_app.core.redirects import is_safe_path
from inspect_app.core.web import format_date_vn
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from inspect_app.geo.cache import cached, clear, province_wards, watch
from inspect_app.geo.models import Ward

watch(Category, Team)  # the queue's category names and team wards are cached

# Filters inside the "Filter" panel: how many are in use is shown on its button.
PANEL_FILTERS = tuple(key for key in saved_views.FILTER_KEYS if key not in ("q", "sort"))
BULK_ACTIONS = {"accept": Action.ACCEPT, "assign": Action.ASSIGN, "route": Action.ROUTE}


class QueueRow(NamedTuple):
    """One case of the queue (a card on phones, a row on wide screens), every text
    already made."""

    id: int
    href: str
    title: str
    category: str
    status: str
    status_title: str
    deadline: DeadlineStatus
    next_due: str
    assignee: str
    ward: str
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
    wards = _ward_names()
    unassigned = _("not assigned")
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
            assignee=assignees.get(case.assignee_id) or unassigned,
            ward=wards.get(case.ward_code, ""),
            received=format_date_vn(case.received_at),
            select_label=select_label % {"id": case.id},
        )
        for case in cases
    ]


def _ward_names() -> dict[int, str]:
    """Every ward's name by code (reference data, ~3,300 rows, kept per process)."""

    def load() -> dict[int, str]:
        return {code: name for code, name in db.session.execute(select(Ward.code, Ward.name))}

    return cached("ward_names", load)


def _active_filters(args) -> int:
    return sum(1 for key in PANEL_FILTERS if (args.get(key) or "").strip() not in ("", "None"))


def _queue_request(user: User, locale: str, officers: list[Row]):
    """The filter form for the request's query, with its choices; (form, valid)."""
    form = QueueFilterForm(request.args)
    _queue_choices(form, user, officers if user.team_id else [], locale)
    return form, not request.args or form.validate()


def _bulk_form(user: User, officers: list[Row], formdata=None) -> BulkForm | None:
    """The bulk actions a team lead may take on the queue (None for others)."""
    if not (user.can(Permission.TRIAGE_CASES) or user.can(Permission.ASSIGN_CASES)):
        return None
    if user.team_id is None:
        return None
    form = BulkForm(formdata=formdata, prefix="bulk")
    form.assignee.choices = assign_choices(officers, open_case_counts([u.id for u in officers]))
    teams = db.session.execute(
        select(Team.id, Team.code, Team.name)
        .where(Team.active, Team.id != user.team_id)
        .order_by(Team.code)
    )
    form.team.choices = [
        SelectChoice("", _("Choose a team…")),
        *[SelectChoice(t.id, f"{t.code} — {t.name}") for t in teams],
    ]
    return form


def _heading(view: saved_views.View | None) -> str:
    if view is None:
        return _("Case queue")
    if view.key == "mine":
        return _("My work")
    return view.name


@bp.route("/cases")
@require_permission(Permission.VIEW_CASES)
def queue():
    user = current_user._get_current_object()
    locale = str(get_locale())
    # The team's officers: the assignee filter and the bulk assign list.
    officers = team_officers(user.team_id)
    form, valid = _queue_request(user, locale, officers)
    views = saved_views.builtin_views(user) + saved_views.saved_views(user)
    args = {k: v for k, v in request.args.items() if k != "after"}
    context = {
        "form": form,
        "views": views,
        "current": saved_views.current_view(views, request.args),
        "active_filters": _active_filters(request.args),
        "statuses": CaseStatus,
        "args": args,
    }
    context["heading"] = _heading(context["current"])
    if not valid:
        return render_template("cases/queue.html", page=None, **context), 400
    today = datetime.now(LOCAL_TZ).date()
    calendar = display_calendar()
    try:
        page = queue_page(
            user, _filters(form), today=today, calendar=calendar, cursor=request.args.get("after")
        )
    except InvalidCursor:
        abort(400)
    bulk = _bulk_form(user, officers)
    rows = _queue_rows(page.cases, officers, today, calendar, locale, bulk is not None)
    if bulk is not None:
        bulk.page_ids.data = ",".join(str(row.id) for row in rows)
    save_form = SaveViewForm(formdata=None, prefix="view")
    save_form.query.data = urlencode(saved_views.canonical(request.args))
    return render_template(
        "cases/queue.html",
        page=page,
        rows=rows,
        bulk=bulk,
        save_form=save_form,
        total_text=_total_text(page),
        **context,
    )


def _total_text(page: QueuePage) -> str:
    if page.total_capped:
        return _("More than %(n)s cases", n=f"{page.total:,}".replace(",", "."))
    return ngettext("%(num)d case", "%(num)d cases", page.total)


# --- Export -----------------------------------------------------------------------


@bp.route("/cases/export.<any(csv, xlsx):fmt>")
@require_permission(Permission.VIEW_CASES)
def export_queue(fmt: str):
    """The listed cases (the same filters and scope as the queue), at most
    `exports.EXPORT_MAX`; an audit event records who exported what."""
    user = current_user._get_current_object()
    locale = str(get_locale())
    officers = team_officers(user.team_id)
    form, valid = _queue_request(user, locale, officers)
    if not valid:
        abort(400)
    today = datetime.now(LOCAL_TZ).date()
    calendar = display_calendar()
    filters, cursor, listed = _filters(form), None, []
    truncated = False
    while True:
        page = queue_page(
            user, filters, today=today, calendar=calendar, cursor=cursor, page_size=500
        )
        listed += _queue_rows(page.cases, officers, today, calendar, locale, False)
        cursor = page.next_cursor
        if cursor is None:
            break
        if len(listed) >= exports.EXPORT_MAX:
            truncated = True
            break
    listed = listed[: exports.EXPORT_MAX]
    table = [
        [
            row.id,
            row.title,
            row.category,
            row.status_title,
            row.next_due,
            row.deadline.label,
            row.assignee,
            row.ward,
            row.received,
        ]
        for row in listed
    ]
    record_event(
        actor=user,
        action="queue.export",
        data={
            "format": fmt,
            "filters": saved_views.canonical(request.args),
            "cases": len(table),
            "truncated": truncated,
        },
    )
    db.session.commit()
    stamp = today.strftime("%Y%m%d")
    if fmt == "csv":
        body, mimetype = exports.to_csv(table), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(table, _("Cases"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="vu-viec-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    if truncated:
        response.headers["X-Export-Truncated"] = str(exports.EXPORT_MAX)
    return response


# --- Saved views ------------------------------------------------------------------


@bp.route("/cases/views", methods=["POST"])
@require_permission(Permission.VIEW_CASES)
def save_view():
    form = SaveViewForm(prefix="view")
    filters = dict(parse_qsl(form.query.data or ""))
    back = url_for(".queue", **saved_views.canonical(filters))
    if not form.validate_on_submit():
        flash(_("Give the view a name."), "error")
        return redirect(back), 303
    try:
        view = saved_views.save_view(current_user, form.name.data, filters)
    except saved_views.ViewError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back), 303
    db.session.commit()
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return redirect(back), 303


@bp.route("/cases/views/<id:view_id>/delete", methods=["POST"])
@require_permission(Permission.VIEW_CASES)
def delete_view(view_id: int):
    if not BaseForm().validate_on_submit():
        abort(400)
    if not saved_views.delete_view(current_user, view_id):
        abort(404)
    db.session.commit()
    flash(_("View deleted."), "info")
    return redirect(url_for(".queue")), 303


# --- Bulk actions -----------------------------------------------------------------


@bp.route("/cases/bulk", methods=["POST"])
@require_permission(Permission.ASSIGN_CASES)
def bulk_action():
    """Accept, assign or send to another team each selected case, each in its own
    transaction with its own checks and audit event; then say what was done and
    what was refused, and why. A case out of the user's reach makes the whole
    request a 404 (nothing is done): the queue never lists such a case."""
    user = current_user._get_current_object()
    officers = team_officers(user.team_id)
    form = _bulk_form(user, officers, formdata=request.form)
    if form is None:
        abort(403)
    back = request.form.get("back")
    if not (is_safe_path(back) and back.startswith("/cases")):
        back = url_for(".queue")
    action = BULK_ACTIONS.get(request.form.get("bulk-action", ""))
    if action is None or not form.validate_on_submit():
        flash(_("Choose cases and an action."), "error")
        return redirect(back), 303
    ids = form.selected_ids()
    if not ids:
        flash(_("Select at least one case."), "error")
        return redirect(back), 303
    for case_id in ids:
        get_case_or_404(user, case_id)
    assignee = team = None
    if action is Action.ASSIGN:
        assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
        if assignee is None:
            flash(_("Choose the inspector to assign the cases to."), "error")
            return redirect(back), 303
    if action is Action.ROUTE:
        team = db.session.get(Team, form.team.data) if form.team.data else None
        if team is None or not (form.reason.data or "").strip():
            flash(_("Choose the team and give a reason."), "error")
            return redirect(back), 303
    done, refused = [], []
    for case_id in ids:
        case = db.session.get(Case, case_id)
        try:
            if action is Action.ACCEPT:
                transitions.accept_case(user, case)
            elif action is Action.ASSIGN:
                transitions.assign_case(user, case, assignee=assignee)
            else:
                transitions.route_case(user, case, team=team, reason=form.reason.data)
            db.session.commit()
        except transitions.WorkflowError as exc:
            db.session.rollback()
            refused.append((case_id, str(exc)))
        else:
            done.append(case_id)
    _flash_bulk_summary(action, done, refused, assignee, team)
    return redirect(back), 303


def _flash_bulk_summary(action: Action, done, refused, assignee, team) -> None:
    if done:
        if action is Action.ACCEPT:
            text = ngettext("%(num)d case accepted.", "%(num)d cases accepted.", len(done))
        elif action is Action.ASSIGN:
            text = ngettext(
                "%(num)d case assigned to %(name)s.",
                "%(num)d cases assigned to %(name)s.",
                len(done),
                name=str(assignee),
            )
        else:
            text = ngettext(
                "%(num)d case sent to %(team)s.",
                "%(num)d cases sent to %(team)s.",
                len(done),
                team=team.name,
            )
        flash(text, "success")
    if refused:
        lines = "; ".join(f"#{case_id}: {reason}" for case_id, reason in refused)
        flash(
            ngettext(
                "%(num)d case refused — %(why)s",
                "%(num)d cases refused — %(why)s",
                len(refused),
                why=lines,
            ),
            "error",
        )

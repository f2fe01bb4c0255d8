"""The case queue: filters, search, pages, counts per state, bulk assignment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Row, select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.models import Team, User, team_wards
from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases import transitions
from inspect_app.cases.access import get_case_or_404
from inspect_app.cases.deadlines import LOCAL_TZ, DeadlineStatus, display_calendar, due_statuses
from inspect_app.cases.forms import BulkAssignForm, QueueFilterForm
from inspect_app.cases.models import OPEN_STATUSES, Category, ReportKind, ReportSource
from inspect_app.cases.officers import team_officers as _team_officers
from inspect_app.cases.queue import QueueFilters, queue_page
from inspect_app.cases.views import bp
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.web import format_date_vn
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from inspect_app.geo.cache import cached, clear, province_wards, watch
from inspect_app.geo.models import Ward

watch(Category, Team)  # the queue's category names and team wards are cached


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
    page = queue_page(
        user, _filters(form), today=today, calendar=calendar, cursor=request.args.get("after")
    )
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

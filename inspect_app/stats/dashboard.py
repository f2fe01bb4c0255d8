"""Live dashboards of open work: per team, open cases by state, due soon, overdue,
each officer's workload and how long cases have waited in their state.

Every figure is a GROUP BY over the user's case scope (`cases.access.case_scope`),
served by the indexes `(team_id, status, next_due, id)`, `(province_code, status,
next_due, id)`, `(assignee_id, status)` and the audit log's `(case_id, seq)`; no
query walks the cases one by one in Python, so the cost grows with the number of
teams and officers, not of cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.cases.access import case_scope
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, local_day
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from inspect_app.stats.sqltime import EpochSeconds

OPEN = tuple(s.value for s in OPEN_STATUSES)
# The audit actions after which a case is in a (new) open state.
ENTRY_ACTIONS = tuple(
    f"case.{a}" for a in ("open", "route", "accept", "assign", "claim", "start", "reopen")
)
OVERDUE_LIST_LIMIT = 100
SECONDS_PER_DAY = 86_400


@dataclass
class Workload:
    name: str
    by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass
class TeamPanel:
    team_id: int | None
    name: str
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN, 0))
    due_soon: int = 0
    overdue: int = 0
    avg_days: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(OPEN))
    workload: dict[int | None, Workload] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return sum(self.by_state.values())


@dataclass
class Dashboard:
    today: date
    due_soon_until: date
    panels: list[TeamPanel]
    overdue_cases: list[Case] | None  # the overview (directors, admins) lists them


def _flag(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(sql_case((condition, 1), else_=0)), 0)


def _teams_in_scope(user: User) -> list[Team]:
    if user.team is not None:
        return [user.team]
    query = select(Team).where(Team.active).order_by(Team.code)
    if user.role_enum is not Role.ADMIN:
        office = user.office_of_scope
        query = query.where(Team.office_id == (office.id if office else None))
    return list(db.session.scalars(query))


def _officers(team_ids: list[int]) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.team_id.in_(team_ids),
                User.active,
                User.role.in_([Role.INSPECTOR.value, Role.TEAM_LEAD.value]),
            )
        )
    )


def _state_counts(panels, scope, overdue, due_soon) -> None:
    query = (
        select(Case.team_id, Case.status, func.count(), _flag(overdue), _flag(due_soon))
        .where(*scope)
        .group_by(Case.team_id, Case.status)
    )
    for team_id, status, count, late, soon in db.session.execute(query):
        panel = panels(team_id)
        panel.by_state[status] = count
        panel.overdue += late
        panel.due_soon += soon


def _workloads(panels, scope, overdue, officers: dict[int, User]) -> None:
    query = (
        select(Case.team_id, Case.assignee_id, Case.status, func.count(), _flag(overdue))
        .where(*scope)
        .group_by(Case.team_id, Case.assignee_id, Case.status)
    )
    for team_id, assignee_id, status, count, late in db.session.execute(query):
        workload = _workload(panels(team_id), assignee_id, officers)
        workload.by_state[status] = workload.by_state.get(status, 0) + count
        workload.overdue += late


def _workload(panel: TeamPanel, user_id: int | None, officers: dict[int, User]) -> Workload:
    if user_id not in panel.workload:
        user = officers.get(user_id) if user_id is not None else None
        if user is None and user_id is not None:
            user = db.session.get(User, user_id)
        panel.workload[user_id] = Workload(name=(user.full_name or user.email) if user else "")
    return panel.workload[user_id]


def _average_days(panels, scope, now: datetime) -> None:
    """Average days the open cases have been in their current state, per team and state.

    A state begins with the case's latest state-changing audit event, found for each
    case by walking its events backwards on the index `(case_id, seq)`.
    """
    entered = (
        select(AuditEvent.occurred_at)
        .where(AuditEvent.case_id == Case.id, AuditEvent.action.in_(ENTRY_ACTIONS))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    query = (
        select(Case.team_id, Case.status, func.avg(EpochSeconds(entered)))
        .where(*scope)
        .group_by(Case.team_id, Case.status)
    )
    for team_id, status, average in db.session.execute(query):
        if average is not None:
            days = (now.timestamp() - float(average)) / SECONDS_PER_DAY
            panels(team_id).avg_days[status] = max(days, 0.0)


def build_dashboard(user: User, *, now: datetime, calendar: WorkingCalendar) -> Dashboard:
    today = local_day(now)
    horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
    scope = [case_scope(user), Case.status.in_(OPEN)]
    overdue = Case.next_due < today
    due_soon = and_(Case.next_due >= today, Case.next_due <= horizon)
    teams = _teams_in_scope(user)
    by_team: dict[int | None, TeamPanel] = {t.id: TeamPanel(t.id, t.name) for t in teams}

    def panels(team_id: int | None) -> TeamPanel:
        if team_id not in by_team:  # no team (admins only) or an inactive one
            team = db.session.get(Team, team_id) if team_id is not None else None
            by_team[team_id] = TeamPanel(team_id, team.name if team else "")
        return by_team[team_id]

    officers = {u.id: u for u in _officers([t.id for t in teams])}
    for officer in officers.values():
        _workload(panels(officer.team_id), officer.id, officers)
    _state_counts(panels, scope, overdue, due_soon)
    _workloads(panels, scope, overdue, officers)
    _average_days(panels, scope, now)
    overview = user.team_id is None
    return Dashboard(
        today=today,
        due_soon_until=horizon,
        panels=list(by_team.values()),
        overdue_cases=_overdue_cases(scope, overdue) if overview else None,
    )


def _overdue_cases(scope, overdue) -> list[Case]:
    query = (
        select(Case)
        .where(*scope, overdue)
        .order_by(Case.next_due, Case.id)
        .limit(OVERDUE_LIST_LIMIT)
        .options(selectinload(Case.team), selectinload(Case.assignee))
    )
    return list(db.session.scalars(query))

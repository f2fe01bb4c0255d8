"""The officers a case can go to: a team's inspectors and leads, with how many open
cases each already has (shown in every assign list, so a lead spreads the work)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Row, func, select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.extensions import db

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


def team_officers(team_id: int | None) -> list[Row]:
    """(id, full_name, email) of the team's active inspectors and leads, by name."""
    if team_id is None:
        return []
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


def open_case_counts(officer_ids: list[int]) -> dict[int, int]:
    """Officer id → open cases assigned to them (read from the (assignee, status)
    index, not from the team's cases)."""
    if not officer_ids:
        return {}
    rows = db.session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(officer_ids), Case.status.in_(OPEN_VALUES))
        .group_by(Case.assignee_id)
    )
    return {assignee: n for assignee, n in rows}


def officer_name(officer: Row | User) -> str:
    return officer.full_name or officer.email


def assign_choices(officers: list[Row], counts: dict[int, int]) -> list[SelectChoice]:
    """ "Chọn kiểm soát viên…" first (nothing chosen by accident), then each officer
    with their open cases: "Lê Văn Minh — 3 vụ đang xử lý"."""
    label = _("%(name)s — %(n)d open")
    return [
        SelectChoice("", _("Choose an inspector…")),
        *[
            SelectChoice(u.id, label % {"name": officer_name(u), "n": counts.get(u.id, 0)})
            for u in officers
        ],
    ]

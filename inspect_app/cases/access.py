"""Which cases a user may reach. Every route that touches a case goes through here;
a case outside a user's reach is answered with 404, never 403, so its existence is
not revealed."""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, true

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Permission, Role
from inspect_app.cases.models import Case
from inspect_app.core.bounds import id_in_range
from inspect_app.extensions import db


def case_scope(
    user: User,
    province_code: ColumnElement[int] = Case.province_code,
    team_id: ColumnElement[int] = Case.team_id,
) -> ColumnElement[bool]:
    """SQL condition selecting the cases this user may see: on `Case`, or on another
    table's columns holding a case's province and team (the queue's counters)."""
    if not user.can(Permission.VIEW_CASES):
        return false()
    role = user.role_enum
    if role is Role.ADMIN:
        return true()
    if role is Role.DIRECTOR:
        office = user.office_of_scope
        return province_code == office.province_code if office else false()
    if user.team_id is None:
        return false()
    return team_id == user.team_id


def can_see_case(user: User, case: Case) -> bool:
    if not user.can(Permission.VIEW_CASES):
        return False
    role = user.role_enum
    if role is Role.ADMIN:
        return True
    if role is Role.DIRECTOR:
        office = user.office_of_scope
        return office is not None and case.province_code == office.province_code
    return user.team_id is not None and case.team_id == user.team_id


def get_case_or_404(user: User, case_id: int) -> Case:
    """404 unless the case exists and is in the user's reach. Ids from forms (bulk
    assignment) may be out of range: such a case exists nowhere either."""
    case = db.session.get(Case, case_id) if id_in_range(case_id) else None
    if case is None or not can_see_case(user, case):
        abort(404)
    return case

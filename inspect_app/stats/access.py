"""Who statistics reports belong to, and who may build, see and change them.

A report belongs to the association or the office of the staff member who built it
(a correction to the owner of the version it corrects). Its people — the staff of
that association, the directors of that office — see its drafts, edit, publish and
correct it; nobody else does: another province's drafts are a 404. They build
reports for their own province; a national association (one without a province)
for any province or for the whole country. Published reports are public.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Permission
from inspect_app.stats.models import StatsReport


@dataclass(frozen=True)
class Owner:
    association_id: int | None
    office_id: int | None
    province_code: int | None  # None: every province (a national association)


def owner_of(user: User) -> Owner | None:
    """The association or office `user` builds statistics for, if any."""
    if not user.can(Permission.BUILD_STATISTICS):
        return None
    if user.association is not None:
        return Owner(user.association.id, None, user.association.province_code)
    office = user.office_of_scope
    return Owner(None, office.id, office.province_code) if office is not None else None


def may_build(user: User, province_code: int | None) -> bool:
    """May `user` build a report for this scope (None: every province)?"""
    owner = owner_of(user)
    return owner is not None and owner.province_code in (None, province_code)


def owned_by(owner: Owner | None) -> ColumnElement[bool]:
    """SQL condition: the reports of this owner (none for no owner)."""
    if owner is None:
        return false()
    if owner.association_id is not None:
        return StatsReport.association_id == owner.association_id
    return StatsReport.office_id == owner.office_id


def may_manage(user: User, report: StatsReport) -> bool:
    """May `user` see this draft, edit, publish or correct this report?"""
    owner = owner_of(user)
    if owner is None:
        return False
    if owner.association_id is not None:
        return report.association_id == owner.association_id
    return report.office_id == owner.office_id

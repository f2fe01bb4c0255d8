"""Roles, named permissions, and the one guard every view uses."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from flask import abort, current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required


class Role(StrEnum):
    ASSOCIATION_STAFF = "association_staff"
    INSPECTOR = "inspector"
    TEAM_LEAD = "team_lead"
    DIRECTOR = "director"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])

    @property
    def needs_team(self) -> bool:
        return self in (Role.INSPECTOR, Role.TEAM_LEAD)

    @property
    def needs_office(self) -> bool:
        return self is Role.DIRECTOR

    @property
    def requires_totp(self) -> bool:
        """Admins and directors must always use a second factor."""
        return self in (Role.ADMIN, Role.DIRECTOR)


ROLE_TITLES = {
    Role.ASSOCIATION_STAFF: _l("Association staff"),
    Role.INSPECTOR: _l("Inspector"),
    Role.TEAM_LEAD: _l("Team lead"),
    Role.DIRECTOR: _l("Director / auditor"),
    Role.ADMIN: _l("Administrator"),
}


class Permission(StrEnum):
    FILE_INTAKE = "file_intake"
    VIEW_OWN_INTAKE = "view_own_intake"
    VIEW_CASES = "view_cases"
    WORK_CASES = "work_cases"
    TRIAGE_CASES = "triage_cases"
    ASSIGN_CASES = "assign_cases"
    APPROVE_RESOLUTIONS = "approve_resolutions"
    EXTEND_DEADLINES = "extend_deadlines"
    AUDIT_CASES = "audit_cases"
    REVEAL_REPORTER = "reveal_reporter"
    PLACE_LEGAL_HOLD = "place_legal_hold"
    DOWNLOAD_ORIGINALS = "download_originals"
    BUILD_STATISTICS = "build_statistics"
    PUBLISH_STATISTICS = "publish_statistics"
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_USERS = "manage_users"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_SECURITY_EVENTS = "view_security_events"


_OFFICER = {Permission.VIEW_CASES, Permission.WORK_CASES, Permission.DOWNLOAD_ORIGINALS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ASSOCIATION_STAFF: frozenset(
        {
            Permission.FILE_INTAKE,
            Permission.VIEW_OWN_INTAKE,
            Permission.BUILD_STATISTICS,
            Permission.PUBLISH_STATISTICS,
        }
    ),
    Role.INSPECTOR: frozenset(_OFFICER),
    Role.TEAM_LEAD: frozenset(
        _OFFICER
        | {
            Permission.TRIAGE_CASES,
            Permission.ASSIGN_CASES,
            Permission.APPROVE_RESOLUTIONS,
            Permission.EXTEND_DEADLINES,
            Permission.REVEAL_REPORTER,
            Permission.PLACE_LEGAL_HOLD,
            Permission.VIEW_DASHBOARD,
        }
    ),
    Role.DIRECTOR: frozenset(
        {
            Permission.VIEW_CASES,
            Permission.DOWNLOAD_ORIGINALS,
            Permission.AUDIT_CASES,
            Permission.REVEAL_REPORTER,
            Permission.PLACE_LEGAL_HOLD,
            Permission.VIEW_SECURITY_EVENTS,
            Permission.BUILD_STATISTICS,
            Permission.PUBLISH_STATISTICS,
            Permission.VIEW_DASHBOARD,
        }
    ),
    # Administrators run accounts, teams and settings; they do not read cases,
    # photos or identities (see ADMIN_CASE_READING for the one exception).
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_USERS,
            Permission.MANAGE_TEAMS,
            Permission.MANAGE_SETTINGS,
        }
    ),
}

# What administrators may also do where a deployment explicitly configures it
# (ADMINS_READ_CASES, e.g. a small office where one person does both): read cases
# and dashboards across the country — never reveal identities or open originals.
ADMIN_CASE_READING = frozenset({Permission.VIEW_CASES, Permission.VIEW_DASHBOARD})


def role_has(role: Role | str, permission: Permission) -> bool:
    role = Role(role)
    if permission in ROLE_PERMISSIONS[role]:
        return True
    return role is Role.ADMIN and permission in ADMIN_CASE_READING and _admins_read_cases()


def _admins_read_cases() -> bool:
    return has_app_context() and bool(current_app.config.get("ADMINS_READ_CASES"))


def roles_with(permission: Permission) -> list[Role]:
    """The roles whose permissions always include `permission`."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


def require_permission(permission: Permission) -> Callable:
    """View decorator: log in first, then 403 unless the user's role grants it."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator

"""Where each role starts after logging in: its work, not the citizens' home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from inspect_app.accounts.permissions import Role
from inspect_app.core.redirects import is_safe_path

# The built-in queue views each role starts from (see cases/saved_views.py).
INSPECTOR_START = {"assignee": "mine"}  # "Việc của tôi": my open cases, most urgent first
LEAD_START = {"status": "new"}  # the team's triage queue


def landing_url(user) -> str:
    """The page a user's work starts on.

    inspector → their own open cases; team lead → the team's new cases to triage;
    director → the dashboard; association staff → the complaints they filed;
    admin → the user list. Anyone else (no role that works here) → the home page.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return url_for("core.home")
    role = user.role_enum
    if role is Role.INSPECTOR:
        return url_for("cases.queue", **INSPECTOR_START)
    if role is Role.TEAM_LEAD:
        return url_for("cases.queue", **LEAD_START)
    if role is Role.DIRECTOR:
        return url_for("stats.dashboard")
    if role is Role.ASSOCIATION_STAFF:
        return url_for("intake.my_intake")
    if role is Role.ADMIN:
        return url_for("accounts.admin_users")
    return url_for("core.home")


def answers_get(target: str | None) -> bool:
    """Whether ``target`` is a local path some GET route answers — so that logging in
    never lands on a URL that only takes a POST (a 405 page)."""
    if not is_safe_path(target):
        return False
    parts = urlsplit(target)
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(parts.path, method="GET")
    except RequestRedirect:
        return True  # a trailing-slash redirect leads to a page
    except HTTPException:
        return False
    return True

"""Staff sessions on top of Flask-Login.

Flask's session is a signed cookie that would stay valid after logout, so the
Flask-Login identity carries the user's session version (see `User.get_id`);
logout, password change and deactivation bump it, which kills every copy of every
cookie of that user. Each session also has an inactivity timeout and an absolute
lifetime, checked on every request.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from inspect_app.accounts.models import User
from inspect_app.accounts.services import dummy_hash, end_all_sessions, record_login
from inspect_app.extensions import db, login_manager

PENDING_KEY = "pending_login"
PENDING_TTL_SECONDS = 300


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    user_id, _, version = identity.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def start_session(user: User, *, ip: str | None = None, method: str = "password") -> None:
    """Log the user in for real (after every factor was checked); an audit event."""
    session.clear()
    session.permanent = True
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now
    login_user(user)
    record_login(user, ip=ip, method=method)


def end_session(user: User | None) -> None:
    """Log out here and end this user's sessions everywhere else too."""
    if user is not None and user.is_authenticated:
        end_all_sessions(user)
    logout_user()
    session.clear()


def set_pending_login(user: User, stage: str) -> None:
    session.clear()
    session[PENDING_KEY] = {
        "uid": user.id,
        "ver": user.session_version,
        "at": int(time.time()),
        "stage": stage,
    }


def pending_login(stage: str) -> User | None:
    """The user half-way through logging in at `stage`, if still valid."""
    data = session.get(PENDING_KEY)
    if not data or data.get("stage") != stage:
        return None
    if time.time() - data.get("at", 0) > PENDING_TTL_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.active or user.session_version != data["ver"]:
        return None
    return user


def _enforce_session_limits() -> None:
    if not current_user.is_authenticated:
        return
    now = time.time()
    cfg = current_app.config
    idle_limit = cfg["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = cfg["PERMANENT_SESSION_LIFETIME"].total_seconds()
    login_at, seen_at = session.get("login_at", 0), session.get("seen_at", 0)
    if now - seen_at > idle_limit or now - login_at > absolute_limit:
        logout_user()
        session.clear()
        session["expired"] = True
        return
    session["seen_at"] = int(now)


_ENROLMENT_ENDPOINTS = {"accounts.enrol_totp", "accounts.logout", "core.set_language", "static"}


def _enforce_second_factor():
    """A logged-in user whose role (or the admin setting) requires TOTP but who has
    none yet is sent to enrol before anything else."""
    from inspect_app.accounts.services import totp_required

    if not current_user.is_authenticated or current_user.totp_enabled:
        return None
    if request.endpoint in _ENROLMENT_ENDPOINTS or not totp_required(current_user):
        return None
    return redirect(url_for("accounts.enrol_totp"))


def init_sessions(app: Flask) -> None:
    app.before_request(_enforce_session_limits)
    app.before_request(_enforce_second_factor)
    with app.app_context():
        # Made now, so the first login of an unknown e-mail costs one hash like any.
        dummy_hash()

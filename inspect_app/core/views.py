"""Home page, health check, language choice."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import text

from inspect_app.core.readiness import readiness
from inspect_app.core.redirects import redirect_next
from inspect_app.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")

LANG_COOKIE = "lang"


@bp.route("/")
def home():
    return render_template("core/home.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return current_app.send_static_file("favicon.ico")


@bp.route("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        current_app.logger.warning("health check: database unreachable: %s", type(exc).__name__)
        database = "unavailable"
        db.session.rollback()
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database}
    return jsonify(body), status


@bp.route("/readyz")
def readyz():
    """Readiness for a load balancer: 200 only when the database, the evidence
    storage and Redis (if configured) answer and the schema is at the code's
    migration head; else 503 naming what failed."""
    ready, checks = readiness()
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "failing": [name for name, result in checks.items() if result == "failed"],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


@bp.route("/lang/<any(vi,en):code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen interface language (cookie, and the account if logged in)."""
    response = redirect_next(request.form.get("next"))
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return response

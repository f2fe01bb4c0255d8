"""The officer's notification list and the administrators' outbox page."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify import services
from inspect_app.notify.models import OutboxStatus

bp = Blueprint("notify", __name__, template_folder="templates")


@bp.app_context_processor
def inject_unread_notifications() -> dict:
    """The unread count for the menu (one COUNT on the (user_id, read_at) index)."""
    if not (has_request_context() and current_user.is_authenticated):
        return {}
    return {"unread_notifications": services.unread_count(current_user.id)}


@bp.route("/notifications")
@login_required
def notifications():
    return render_template(
        "notify/notifications.html", notifications=services.notifications_for(current_user.id)
    )


@bp.route("/notifications/unread.json")
@login_required
def unread_count():
    """The unread count, for the menu to update itself without a reload (app.js asks
    every minute while the page is visible)."""
    response = jsonify(unread=services.unread_count(current_user.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user.id, utcnow())
    db.session.commit()
    return redirect(url_for(".notifications"))


@bp.route("/admin/outbox")
@require_permission(Permission.MANAGE_SETTINGS)
def admin_outbox():
    messages = services.latest_outbox()
    return render_template(
        "notify/admin_outbox.html",
        counts=services.outbox_counts(),
        statuses=list(OutboxStatus),
        rows=[(message, services.masked_recipient(message)) for message in messages],
        smtp_configured=bool(current_app.config.get("SMTP_HOST")),
    )

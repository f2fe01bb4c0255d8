"""The officer's notification list and the administrators' outbox page."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from inspect_app.accounts.permissions import Permission, Role, require_permission
from inspect_app.core.forms import BaseForm
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify import officer_events, services
from inspect_app.notify.models import (
    EVENT_KINDS,
    LEAD_ONLY_KINDS,
    Delivery,
    MessageKind,
    OutboxStatus,
)

bp = Blueprint("notify", __name__, template_folder="templates")

MAILBOX_FILE = re.compile(r"[0-9T]{21}-[0-9a-f]{12}\.eml")


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


def remember_last_activity() -> None:
    """Registered before the session checks (see create_app): the time of the
    officer's last real request, which the unread-count poll puts back."""
    g.last_activity = session.get("seen_at")


@bp.route("/notifications/unread.json")
@login_required
def unread_count():
    """The unread count, for the menu to update itself without a reload (app.js asks
    every minute while the page is visible). Asking is not activity: a page left
    open still ends its session after SESSION_IDLE_MINUTES."""
    if g.get("last_activity") is not None:
        session["seen_at"] = g.last_activity
    response = jsonify(unread=services.unread_count(current_user.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user.id, utcnow())
    db.session.commit()
    return redirect(url_for(".notifications"))


def _kinds_for(user) -> list[MessageKind]:
    """The notices that concern the user: the team lead's ones only for team leads."""
    lead = user.role_enum is Role.TEAM_LEAD
    return [k for k in EVENT_KINDS if lead or k not in LEAD_ONLY_KINDS]


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def preferences():
    """Per kind of notice: an e-mail at once, or in the daily e-mail. The notice in
    the app always comes at once."""
    user = current_user._get_current_object()
    kinds = _kinds_for(user)
    current = officer_events.preferences_of(user)
    form = BaseForm()
    errors = {}
    if request.method == "POST" and form.validate_on_submit():
        chosen = {}
        for kind in kinds:
            value = request.form.get(f"delivery-{kind.value}", "")
            try:
                chosen[kind] = Delivery(value)
            except ValueError:
                errors[kind.value] = _("Choose one.")
        if not errors:
            officer_events.set_preferences(user, chosen)
            db.session.commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for(".preferences")), 303
        current.update(chosen)
    status = 400 if errors or (request.method == "POST" and form.errors) else 200
    return (
        render_template(
            "notify/preferences.html",
            kinds=kinds,
            current=current,
            deliveries=list(Delivery),
            errors=errors,
            form=form,
            digest_hour=current_app.config["DIGEST_HOUR"],
        ),
        status,
    )


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


# --- The development mailbox (never in production) ---------------------------------


def _dev_mailbox() -> Path | None:
    folder = current_app.config.get("DEV_MAILBOX_DIR") or ""
    if not folder or current_app.config["ENV_NAME"] == "production":
        return None
    return Path(folder)


@bp.app_context_processor
def inject_dev_mailbox() -> dict:
    return {"dev_mailbox_enabled": _dev_mailbox() is not None}


def _my_messages(folder: Path, address: str) -> list[tuple[str, EmailMessage]]:
    """(file name, message) of the e-mails to this address, newest first (at most 100)."""
    found = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:2000]:
        message = email.message_from_bytes(path.read_bytes(), policy=email_policy)
        if address.lower() in str(message["To"]).lower():
            found.append((path.name, message))
        if len(found) == 100:
            break
    return found


@bp.route("/dev/mailbox")
@login_required
def dev_mailbox():
    """What the outbox "sent" while developing: each user reads only the e-mails
    addressed to them."""
    folder = _dev_mailbox()
    if folder is None or not folder.is_dir():
        abort(404)
    messages = _my_messages(folder, current_user.email)
    return render_template("notify/dev_mailbox.html", messages=messages, opened=None)


@bp.route("/dev/mailbox/<name>")
@login_required
def dev_mailbox_message(name: str):
    folder = _dev_mailbox()
    if folder is None or not MAILBOX_FILE.fullmatch(name):
        abort(404)
    path = folder / name
    if not path.is_file():
        abort(404)
    message = email.message_from_bytes(path.read_bytes(), policy=email_policy)
    if current_user.email.lower() not in str(message["To"]).lower():
        abort(404)
    text = message.get_body(("plain",)).get_content()
    return render_template(
        "notify/dev_mailbox.html",
        messages=_my_messages(folder, current_user.email),
        opened=(name, message, text),
    )

"""Typed work is never lost: text posted when the staff session has expired, or with
a stale CSRF token, is kept on the server and given back on the page it was typed
on, after logging in again.

How: the login redirect (the unauthorized handler) and the CSRF error handler call
`keep_posted_text`, which stores the posted text fields under a random token (only
its SHA-256 in the database) and sets a cookie holding the token; the login goes to
the page the form was on (`page_of`), never to the URL that only takes a POST. That
page takes the text back once (`take_kept_text`): the case page fills its forms
with it; any other page shows it in a box to copy. A kept text belongs to the
officer whose session ended (known from the session cookie that came with the
request) and to the browser holding the token's cookie; it lives `KEEP_HOURS` at
most. Nothing is kept for a request that names no officer (no session cookie at
all, as after the absolute lifetime): anyone could post that, and the browser's
own draft (app.js) covers the officer. The session itself cannot carry it: logging in starts a
fresh session.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, user_logged_out
from flask_wtf.csrf import CSRFError
from sqlalchemy import ForeignKey, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.core.landing import answers_get
from inspect_app.core.web import render_error
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db

COOKIE = "kept_text"
KEEP_HOURS = 12
MAX_FIELDS = 30
MAX_CHARS = 20_000  # per field; the forms allow far less
# Never kept: the token itself, and anything secret.
SKIPPED = ("csrf_token", "password", "code", "secret", "version")


class KeptText(db.Model):
    """Text fields of a refused POST, waiting to be given back after login."""

    __tablename__ = "kept_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(String(300))  # the GET page to give it back on
    fields_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def page_of(path: str, view_args: dict | None = None) -> str | None:
    """The page a POST to `path` came from: the path itself when it answers GET; else
    the Referer when it is a page of this site; else the nearest enclosing path that
    is a page (/cases/5/notes → /cases/5, /cases/bulk → /cases)."""
    if answers_get(path):
        return path
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc == request.host and answers_get(referer.path):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        if answers_get(candidate):
            return candidate
    return None


def _posted_text() -> dict[str, str]:
    fields = {}
    for name, value in request.form.items(multi=False):
        lowered = name.lower()
        if any(word in lowered for word in SKIPPED) or not value.strip():
            continue
        fields[name] = value[:MAX_CHARS]
        if len(fields) == MAX_FIELDS:
            break
    return fields


def keep_posted_text(user_id: int | None, page: str) -> str | None:
    """Store the request's text fields for `page`; the token for the cookie, or None
    when nothing was typed. Commits its own small transaction."""
    fields = _posted_text()
    if not fields:
        return None
    token = secrets.token_urlsafe(32)
    db.session.rollback()  # whatever the refused request began is not ours to keep
    db.session.execute(
        delete(KeptText).where(KeptText.created_at < utcnow() - timedelta(hours=KEEP_HOURS))
    )
    db.session.add(
        KeptText(
            token_hash=_hash(token),
            user_id=user_id,
            page=page[:300],
            fields_json=json.dumps(fields, ensure_ascii=False),
        )
    )
    db.session.commit()
    return token


def set_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        token,
        max_age=KEEP_HOURS * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def take_kept_text(page: str) -> dict[str, str] | None:
    """The text kept for `page` in this browser, for the logged-in officer, once."""
    if g.get("kept_text_taken"):
        return None
    token = request.cookies.get(COOKIE)
    if not token or not current_user.is_authenticated:
        return None
    kept = db.session.scalar(select(KeptText).where(KeptText.token_hash == _hash(token)))
    if kept is None or urlsplit(kept.page).path != page:
        return None
    g.kept_text_taken = True
    fresh = kept.created_at >= utcnow() - timedelta(hours=KEEP_HOURS)
    mine = kept.user_id is None or kept.user_id == current_user.id
    fields = json.loads(kept.fields_json) if fresh and mine else None
    db.session.delete(kept)
    db.session.commit()
    return fields


def _forget_cookie(response: Response) -> Response:
    if g.get("kept_text_taken"):
        response.delete_cookie(COOKIE, samesite="Lax")
    return response


def _remember_who_expired(_sender, user=None, **_extra) -> None:
    """Flask-Login reports the logout the session timeout makes: keep who it was,
    for the text that officer was sending."""
    if user is not None and getattr(user, "id", None) is not None:
        g.logged_out_user_id = user.id


def user_of_refused_request() -> int | None:
    if current_user.is_authenticated:
        return current_user.id
    return g.get("logged_out_user_id")


def login_redirect() -> Response:
    """Flask-Login's unauthorized handler: to the login page, then back to a page
    (never to a URL that answers only POST), with what a refused POST carried kept."""
    if request.method == "GET":
        page = request.full_path.rstrip("?")
    else:
        page = page_of(request.path, request.view_args)
    token = None
    user_id = user_of_refused_request()
    if request.method == "POST" and page and user_id is not None:
        token = keep_posted_text(user_id, page)
        if token:
            flash(_("What you typed is kept: it will be back after you log in."), "info")
    target = url_for("accounts.login", next=page) if page else url_for("accounts.login")
    response = redirect(target)
    return set_cookie(response, token) if token else response


def csrf_refused(error):
    """A stale or missing CSRF token: keep the text, then back to the page (or, when
    the session is gone, to the login and then the page)."""
    page = page_of(request.path, request.view_args) if request.method == "POST" else None
    user_id = user_of_refused_request()
    if page is None or user_id is None:
        return render_error(error)
    token = keep_posted_text(user_id, page)
    if current_user.is_authenticated:
        flash(
            _("The form had expired. What you typed is back: check it and send it again."), "info"
        )
        response = redirect(page, 303)
    else:
        flash(_("Your session ended. What you typed is kept: log in again to finish."), "info")
        response = redirect(url_for("accounts.login", next=page), 303)
    return set_cookie(response, token) if token else response


def inject_kept_text() -> dict:
    """Any page the text was typed on that did not put it back into its forms shows it
    in a box to copy (the case page fills its forms itself)."""
    if not has_request_context() or request.method != "GET" or g.get("kept_text_taken"):
        return {}
    if COOKIE not in request.cookies:
        return {}
    return {"kept_text": take_kept_text(request.path)}


def init_typed_work(app: Flask) -> None:
    user_logged_out.connect(_remember_who_expired, app)
    app.after_request(_forget_cookie)
    app.context_processor(inject_kept_text)
    app.register_error_handler(CSRFError, csrf_refused)

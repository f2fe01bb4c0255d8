"""Cross-cutting web concerns: locale, formatting filters, security headers, error pages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, has_request_context, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from inspect_app.core.bounds import IdConverter
from inspect_app.core.landing import landing_url
from inspect_app.extensions import db

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Machine interfaces: the JSON API and Open311 (inspect_app/api).
MACHINE_PREFIXES = ("/api/", "/open311/")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith(MACHINE_PREFIXES) and request.blueprint != "api_docs":
        # The API answers in the language asked for (Accept-Language), never by
        # a browser's cookie or session; its documentation page is a web page.
        return request.accept_languages.best_match(
            languages, default=current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_date_vn(value: date | datetime | None) -> str:
    """dd/mm/yyyy, in Vietnam's time zone for timestamps."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ) if value.tzinfo else value
    return value.strftime("%d/%m/%Y")


def format_datetime_vn(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


def format_vnd(amount: int | float | None) -> str:
    """1500000 -> '1.500.000 ₫' (Vietnamese grouping, no decimals)."""
    if amount is None:
        return ""
    return f"{round(amount):,}".replace(",", ".") + " ₫"


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    # Geolocation for "use my current location" on the public form (asked on a tap).
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["ENV_NAME"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 429, 500, 503)


def render_error(error: HTTPException | Exception):
    code = error.code if isinstance(error, HTTPException) else 500
    if code >= 500:
        db.session.rollback()
    wants_json = request.accept_mimetypes.best == "application/json"
    if wants_json:
        return {"error": code}, code
    return render_template("core/error.html", code=code), code


def refuse_nul_bytes() -> None:
    """No legitimate form or query value contains NUL, and PostgreSQL rejects it in
    text: answer 400 up front instead of failing deep in a transaction."""
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def init_web(app: Flask) -> None:
    """Before any blueprint is registered: routes use the `id` converter."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    app.add_template_filter(format_date_vn, "date_vn")
    app.add_template_filter(format_datetime_vn, "datetime_vn")
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_global(landing_url)
    for status in ERROR_STATUSES:
        app.register_error_handler(status, render_error)

    @app.context_processor
    def inject_locale() -> dict:
        return {"current_locale": str(get_locale())}

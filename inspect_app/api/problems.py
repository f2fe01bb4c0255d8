"""RFC 9457 problem details for every error of the API and of Open311, translated
by Accept-Language (Vietnamese by default)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, current_app, json, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from inspect_app.core.web import MACHINE_PREFIXES
from inspect_app.extensions import db

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    409: _l("Conflict"),
    412: _l("The resource has changed"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid request"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Service unavailable"),
}

DETAILS = {
    401: _l("Send a valid, unexpired key or token in the Authorization header (Bearer)."),
    403: _l("Your key, token or role does not allow this."),
    404: _l("Nothing here, or nothing you may see."),
    405: _l("This address does not answer that method."),
    413: _l("The request is larger than this API accepts."),
    429: _l("Too many requests: wait before trying again (see Retry-After)."),
    500: _l("Something went wrong on our side. Try again later."),
}

# marshmallow's and webargs' messages, so that validation errors are translated.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field cannot be empty."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid boolean.": _l("Enter true or false."),
    "Not a valid date.": _l("Enter a date as YYYY-MM-DD."),
    "Not a valid datetime.": _l("Enter a date and time (ISO 8601)."),
    "Not a valid list.": _l("Enter a list."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid email address.": _l("Enter a valid e-mail address."),
    "Not a valid URL.": _l("Enter a full link starting with https://"),
    "Unknown field.": _l("This field is not part of the request."),
    "Invalid input type.": _l("The value has the wrong type."),
    "Invalid value.": _l("The value is not valid."),
    "Must be one of: {choices}.": _l("Choose one of the listed values."),
    "Not a valid file.": _l("Send a file."),
}
_PATTERNS = (
    (re.compile(r"^Longer than maximum length (\d+)\.$"), _l("At most %(n)s characters.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), _l("At least %(n)s characters.")),
    (re.compile(r"^Must be one of: .*\.$"), _l("Choose one of the listed values.")),
    (re.compile(r"^Must be greater than or equal to (-?\d+)"), _l("At least %(n)s.")),
    (re.compile(r"^Must be less than or equal to (-?\d+)"), _l("At most %(n)s.")),
    (
        re.compile(r"^Must be greater than or equal to .* and less than or equal to (.*)\.$"),
        _l("Out of range (up to %(n)s)."),
    ),
)


def translate_message(message: Any) -> str:
    text = str(message)
    if text in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[text])
    for pattern, translated in _PATTERNS:
        found = pattern.match(text)
        if found:
            return str(translated) % {"n": found.group(1) if found.groups() else ""}
    return _(text) if text else text


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested messages as {"field" or "field.0.sub": [texts]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in _flatten(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        if all(not isinstance(m, dict | list) for m in messages):
            out[prefix or "_request"] = [translate_message(m) for m in messages]
        else:
            for value in messages:
                for field, texts in _flatten(value, prefix).items():
                    out.setdefault(field, []).extend(texts)
    else:
        out[prefix or "_request"] = [translate_message(messages)]
    return out


def field_errors(messages: Any) -> dict[str, list[str]]:
    """Locations (json, form, query, headers) left out: a field is named alone."""
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "form",
        "query",
        "headers",
        "files",
        "multipart",
        "view_args",
        "cookies",
    }:
        merged: dict[str, list[str]] = {}
        for value in messages.values():
            for field, texts in _flatten(value).items():
                merged.setdefault(field, []).extend(texts)
        return merged
    return _flatten(messages)


def problem(
    status: int,
    *,
    detail: str | None = None,
    kind: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """An application/problem+json response. `kind` names a problem type documented
    on the API page (`/api/v1/docs#problem-<kind>`); without it, about:blank."""
    body: dict[str, Any] = {
        "type": f"/api/v1/docs#problem-{kind}" if kind else "about:blank",
        "title": str(TITLES.get(status, _l("Error"))),
        "status": status,
    }
    text = detail if detail is not None else DETAILS.get(status)
    if text:
        body["detail"] = str(text)
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON
    )
    response.headers["Content-Language"] = str(get_locale())
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_request() -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def http_problem(error: HTTPException) -> Response:
    """Any HTTPException raised under /api or /open311, as a problem."""
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    # What the exception itself says: Allow (405), Retry-After (429, 503).
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            headers.setdefault(name, value)
    messages = data.get("messages") or data.get("errors")
    errors = field_errors(messages) if messages else None
    detail = data.get("message")
    if errors and detail is None:
        detail = _("Some fields are not valid: see errors.")
    return problem(code, detail=detail, errors=errors, headers=headers, kind=data.get("kind"))


def init_problems(app: Flask, web_handler) -> None:
    """Every HTTP error under /api and /open311 answered as a problem; the rest of
    the site keeps its error pages (`web_handler`)."""

    from inspect_app.api.open311 import error_response

    def dispatch(error: HTTPException):
        if request.path.startswith("/open311/"):
            return error_response(error)
        if is_api_request():
            return http_problem(error)
        return web_handler(error)

    app.register_error_handler(HTTPException, dispatch)
    for code in (*TITLES, 410, 414, 431):
        app.register_error_handler(code, dispatch)

"""Binding the API to the application: flask-smorest's Api (the OpenAPI 3.1
document at /api/v1/openapi.json), problem details for errors, request size
limits, RateLimit headers, and the blueprints."""

from __future__ import annotations

import http
import time

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_date

from inspect_app.api.problems import PROBLEM_JSON, init_problems, is_api_request
from inspect_app.api.schemas import Problem

API_PREFIX = "/api/v1"
# JSON bodies are small; a report with photos may be as large as the form's.
JSON_MAX_BYTES = 64 * 1024
LARGE_BODY_ENDPOINTS = {
    "api_public.submit_report",
    "api_public.stage",
    "api_public.follow_up",
    "open311.post_request",
}

DESCRIPTION = """\
The public and partner API of the market surveillance case system.

* Errors are RFC 9457 problem details (`application/problem+json`), in Vietnamese
  unless `Accept-Language` asks for English.
* Every POST accepts an `Idempotency-Key` header: a retry with the same key and
  body returns the first answer and creates nothing new (kept 24 hours); the same
  key with another body is refused with 422.
* Rate limits are announced in `RateLimit-Limit`, `RateLimit-Remaining` and
  `RateLimit-Reset`; a 429 carries `Retry-After`.
* Partners and officers authenticate with `Authorization: Bearer <key or token>`.
"""


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as problem details (only under the
    machine prefixes; the web pages keep theirs) and documenting them so."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self):
        from inspect_app.core.web import ERROR_STATUSES, render_error

        def web(error: HTTPException):
            return render_error(error) if error.code in ERROR_STATUSES else error

        init_problems(self._app, web)

    def _register_responses(self):
        """As flask-smorest's, with the problem media type."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _limit_body_size() -> None:
    if is_api_request() and request.endpoint not in LARGE_BODY_ENDPOINTS:
        request.max_content_length = JSON_MAX_BYTES


def _ratelimit_headers(response):
    """The IETF RateLimit fields beside Flask-Limiter's X-RateLimit ones, and
    Retry-After in seconds."""
    if is_api_request():
        retry = response.headers.get("Retry-After")
        when = parse_date(retry) if retry and not retry.isdigit() else None
        if when is not None:
            response.headers["Retry-After"] = str(max(1, int(when.timestamp() - time.time())))
        for name in ("Limit", "Remaining"):
            value = response.headers.get(f"X-RateLimit-{name}")
            if value is not None:
                response.headers[f"RateLimit-{name}"] = value
        reset = response.headers.get("X-RateLimit-Reset")  # a time; the IETF field wants seconds
        if reset is not None:
            response.headers["RateLimit-Reset"] = str(max(0, int(float(reset) - time.time())))
    return response


api = ProblemApi()


def init_api(app: Flask) -> None:
    from inspect_app.api import admin_views, docs_views, open311, staff_views, views
    from inspect_app.extensions import csrf

    app.config.setdefault("API_TITLE", "inspect_app API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": DESCRIPTION, "license": {"name": "AGPL-3.0-or-later"}},
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api.init_app(app)
    for blueprint in (views.bp, staff_views.bp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    csrf.exempt(open311.bp)
    for blueprint in (open311.bp, docs_views.bp, admin_views.bp):
        app.register_blueprint(blueprint)
    # First of all: another hook reading the form would fix the stream's limit.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_body_size)
    # Last of all (after-request hooks run in reverse): after Flask-Limiter's.
    app.after_request_funcs.setdefault(None, []).insert(0, _ratelimit_headers)

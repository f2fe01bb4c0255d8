"""Request ids and structured logs.

Every request gets an id: the X-Request-ID a proxy sent, when well-formed, else a
new one. It is returned in the response's X-Request-ID, put on every log record,
and stored with the e-mails and audit events the request writes (the e-mail carries
it as its own X-Request-ID header).

With LOG_FORMAT=json, log records go to stderr as one JSON object a line, plus one
access line per request: method, endpoint (the route's name: never the path or the
query string, which may hold a tracking code), status, duration and request id —
no client address, no user, no form data.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask, current_app, g, request

from inspect_app.observability.context import (
    accepted_request_id,
    bind_request_id,
    current_request_id,
    unbind_request_id,
)
from inspect_app.observability.counters import observe_request

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "inspect_app.access"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the
    fields an access line carries."""

    FIELDS = ("method", "endpoint", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(stream: TextIO | None = None) -> None:
    """Route the root logger to ``stream`` (stderr) as JSON, replacing its handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def init_logs(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") == "json":
        configure_json_logging()

    @app.before_request
    def _start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_id_token = bind_request_id(g.request_id)

    @app.after_request
    def _finish_request(response):
        request_id = g.get("request_id")
        if request_id is None:
            return response
        response.headers[REQUEST_ID_HEADER] = request_id
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        seconds = time.perf_counter() - g.request_started
        observe_request(endpoint, request.method, response.status_code, seconds)
        if current_app.config.get("LOG_FORMAT") == "json":
            logging.getLogger(ACCESS_LOGGER).info(
                "request",
                extra={
                    "method": request.method,
                    "endpoint": endpoint,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def _end_request(_exc) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            unbind_request_id(token)

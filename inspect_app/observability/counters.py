"""The metrics each process counts itself (no database, no Flask: storage code
imports this)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_LATENCY = Histogram(
    "inspect_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's name, never its URL).",
    ["endpoint", "method", "status"],
)
STORAGE_ERRORS = Counter(
    "inspect_storage_errors",
    "Evidence storage operations that failed (a missing file is no error).",
    ["backend", "operation"],
)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(endpoint, method, str(status)).observe(seconds)


def count_storage_error(backend: str, operation: str) -> None:
    STORAGE_ERRORS.labels(backend, operation).inc()

"""Behind a reverse proxy: the client's address comes from the proxies we trust, and
only theirs; the production session cookie is a "__Host-" cookie."""

from __future__ import annotations

import pytest

from config import ProductionConfig, TestingConfig, check_workers
from inspect_app import create_app

SECRETS = {
    "SECRET_KEY": "s" * 40,
    "INSPECT_DATA_KEY": "bm90LXRoZS1kZWZhdWx0LWtleS1qdXN0LWZvci10ZXM=",
}
PROXY = "10.0.0.5"


def _app(proxies: int):
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TRUSTED_PROXIES": proxies,
            "LOGIN_RATE_LIMIT": "2 per minute",
        },
    )
    return app.test_client()


def _login_attempts(client, forwarded_for: str | None, n: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [
        client.post(
            "/login", data={}, headers=headers, environ_base={"REMOTE_ADDR": PROXY}
        ).status_code
        for _ in range(n)
    ]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit():
    client = _app(proxies=1)
    assert _login_attempts(client, "203.0.113.7", 3) == [200, 200, 429]
    # Another citizen behind the same proxy is not blocked by the first one.
    assert _login_attempts(client, "203.0.113.8", 2) == [200, 200]
    # What a client writes itself is the leftmost entry; the proxy appends the
    # address it saw, and that is the one counted.
    assert _login_attempts(client, "198.51.100.1, 203.0.113.7", 1) == [429]


def test_without_trusted_proxies_a_forwarded_header_changes_nothing():
    client = _app(proxies=0)
    statuses = [_login_attempts(client, f"203.0.113.{i}", 1)[0] for i in range(1, 4)]
    assert statuses == [200, 200, 429]


def test_production_session_cookie_is_a_host_cookie():
    app = create_app(ProductionConfig, {**SECRETS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-inspect_session"
    response = app.test_client().get("/login", base_url="https://inspect.example.vn")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-inspect_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "path", "httponly"} <= attributes
    assert "domain" not in attributes
    assert "Path=/;" in cookie or cookie.endswith("Path=/")


@pytest.mark.parametrize(
    "overrides",
    [{"SESSION_COOKIE_SECURE": False}, {"SESSION_COOKIE_DOMAIN": "example.vn"}],
)
def test_production_refuses_a_host_cookie_that_browsers_would_drop(overrides):
    with pytest.raises(RuntimeError, match="__Host-"):
        create_app(ProductionConfig, {**SECRETS, **overrides})


def test_production_refuses_several_workers_with_in_memory_limits():
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        check_workers("production", 2, "memory://")
    check_workers("production", 1, "memory://")
    check_workers("production", 4, "redis://127.0.0.1:6379/0")
    check_workers("development", 4, "memory://")

"""Rate limits per key or token and per address, announced in RateLimit headers;
over the limit, a 429 problem with Retry-After."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer


@pytest.fixture
def three_per_minute(app):
    before = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["API_RATE_LIMIT"] = before


def test_limits_per_address_and_per_token(client, org, token_of, three_per_minute):
    answers = [client.get("/api/v1/categories") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert 0 <= int(answers[0].headers["RateLimit-Reset"]) <= 60
    refused = client.get("/api/v1/categories", headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["title"] == "Too many requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # A token counts on its own, not on the address it comes from.
    secret = token_of(org.lead)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    # Another address still has its own allowance.
    other = client.get("/api/v1/categories", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200


def test_open311_is_limited_too(client, org, three_per_minute):
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]

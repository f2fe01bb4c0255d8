"""App factory, configuration, health, headers, languages, error pages."""

from __future__ import annotations

import pytest

from config import DEFAULT_SECRET_KEY, DevelopmentConfig, ProductionConfig
from inspect_app import create_app
from inspect_app.core.web import format_date_vn, format_vnd


def test_production_refuses_default_or_missing_secret_key():
    for secret in (DEFAULT_SECRET_KEY, "", "short"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(ProductionConfig, {"SECRET_KEY": secret, "INSPECT_DATA_KEY": "k" * 44})


def test_production_refuses_default_data_key():
    with pytest.raises(RuntimeError, match="INSPECT_DATA_KEY"):
        create_app(ProductionConfig, {"SECRET_KEY": "s" * 40})


def test_production_starts_with_real_secrets_and_secure_cookies():
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "s" * 40,
            "INSPECT_DATA_KEY": "bm90LXRoZS1kZWZhdWx0LWtleS1qdXN0LWZvci10ZXM=",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_config_needs_nothing():
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "vi"


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app(
        DevelopmentConfig,
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_vietnamese_by_default_and_english_on_request(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html and "Đăng nhập cán bộ" in html
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html and "Staff login" in html


def test_friendly_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_assets_are_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/js/app.js").status_code == 200


def test_formats():
    from datetime import UTC, date, datetime

    assert format_vnd(1500000) == "1.500.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_date_vn(date(2026, 1, 2)) == "02/01/2026"
    # 20:00 UTC on 31 Dec is already 1 January in Vietnam.
    assert format_date_vn(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == "01/01/2027"


def test_nul_bytes_in_any_form_or_query_are_refused_not_a_500(client):
    assert client.get("/track?x=a%00b").status_code == 400
    assert client.post("/track", data={"code": "ABCD\x00"}).status_code == 400

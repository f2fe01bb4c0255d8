"""API fixtures: the cases' small organisation, a partner key and staff tokens."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from inspect_app.api import services
from inspect_app.cases.models import Case, Report
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db, limiter
from tests import imaging
from tests.cases.conftest import Org, make_case, org  # noqa: F401

PHONE = "0912345678"
NAME = "Nguyễn Văn An"


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Report)),
        db.session.scalar(select(func.count()).select_from(Case)),
    )


def report_form(org: Org, **overrides) -> dict:  # noqa: F811
    ward = org.team.wards[0]
    data = {
        "category": "counterfeit",
        "product": "Sữa bột Similac 900g",
        "description": "Tem chống giả bị mờ, hộp móp.",
        "location_type": "physical",
        "province": str(ward.province_code),
        "ward": str(ward.code),
        "street_address": "12 Phố Huế",
        "seller_name": "Cửa hàng Minh Anh",
    }
    data.update(overrides)
    return data


def with_photo(data: dict, seed: str = "a") -> dict:
    return {**data, "photos": [(BytesIO(imaging.jpeg(seed=seed)), "p.jpg")]}


@pytest.fixture
def partner(app_ctx, org):  # noqa: F811
    return services.create_partner_key(
        org.admin,
        name="Tổng đài 1800",
        scopes=["reports:write", "reports:read"],
        channel="hotline",
        expires_at=utcnow() + timedelta(days=30),
    )


@pytest.fixture
def token_of(app_ctx):
    def make(user, scopes=("cases:read", "cases:write"), days: int = 30):
        issued = services.create_staff_token(
            user, name="laptop", scopes=list(scopes), expires_at=utcnow() + timedelta(days=days)
        )
        db.session.commit()
        return issued.secret

    return make


@pytest.fixture
def server(app):
    """The app behind a real threaded HTTP server: (host, port)."""
    limiter.enabled = False
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield ("127.0.0.1", httpd.server_port)
    httpd.shutdown()
    thread.join()
    limiter.enabled = True


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}

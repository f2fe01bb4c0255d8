"""The pages for API credentials and the documentation page."""

from __future__ import annotations

import re

from sqlalchemy import select

from inspect_app.api.models import ApiCredential
from inspect_app.api.services import hash_secret
from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from tests.api.conftest import bearer
from tests.helpers import log_in_fully

SECRET = re.compile(r'data-testid="secret">([^<]+)<')


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(client, org):
    log_in_fully(client, org.admin)
    page = client.post(
        "/admin/api-keys",
        data={"name": "Zalo mini app", "scopes": ["reports:write"], "channel": "zalo"},
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(page.get_data(as_text=True)).group(1)
    stored = db.session.scalars(select(ApiCredential)).one()
    assert stored.secret_hash == hash_secret(secret)
    assert secret not in client.get("/admin/api-keys").get_data(as_text=True)
    client.post(f"/admin/api-keys/{stored.id}/revoke")
    db.session.refresh(stored)
    assert stored.revoked_at is not None
    events = {e.action: e.actor_id for e in db.session.scalars(select(AuditEvent))}
    assert events["api.key_created"] == org.admin.id
    assert events["api.key_revoked"] == org.admin.id


def test_only_admins_manage_partner_keys(client, org):
    log_in_fully(client, org.lead)
    assert client.get("/admin/api-keys").status_code == 403


def test_an_officer_creates_and_revokes_a_personal_token(client, org):
    log_in_fully(client, org.lead)
    assert client.get("/account/api-tokens").status_code == 200
    page = client.post(
        "/account/api-tokens", data={"name": "script", "scopes": ["cases:read"], "days": "7"}
    )
    secret = SECRET.search(page.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    token = db.session.scalars(select(ApiCredential)).one()
    client.post(f"/account/api-tokens/{token.id}/revoke")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_another_officers_token_cannot_be_revoked(client, org, token_of):
    secret = token_of(org.inspector)
    token = db.session.scalars(select(ApiCredential)).one()
    log_in_fully(client, org.lead)
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_the_documentation_page_is_rendered_from_the_served_document(client, org):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method in set(item) & {"get", "post"}:
            assert f"{method.upper()} {path}" in page
    assert "cdn" not in page.lower()
    assert all("/static/" in tag for tag in re.findall(r"<script[^>]*>", page))

"""Partner keys and staff tokens: only a hash stored, every creation, use and
revocation audited with its actor; revoked or expired → 401 at once; the staff API
goes through the same access checks and workflow as the case page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.api import services
from inspect_app.api.models import ApiCredential
from inspect_app.audit.models import AuditEvent
from inspect_app.cases.models import Report
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.sealing.services import reporter_view
from tests.api.conftest import NAME, PHONE, bearer, report_form


def _actions() -> list[tuple[str, str]]:
    return [(e.action, e.actor_label) for e in db.session.scalars(select(AuditEvent))]


def test_a_partner_key_is_shown_once_and_stored_as_a_hash(org, partner, app_ctx):
    db.session.commit()
    stored = db.session.get(ApiCredential, partner.credential.id)
    assert partner.secret.startswith("ipk_")
    assert stored.secret_hash == services.hash_secret(partner.secret)
    assert partner.secret not in {stored.secret_hash, stored.prefix, stored.name}
    assert ("api.key_created", org.admin.email) in _actions()


def test_a_hotline_submission_records_the_channel_and_seals_the_complainant(client, org, partner):
    db.session.commit()
    data = report_form(org, name=NAME, phone=PHONE, consent="true")
    response = client.post(
        "/api/v1/reports",
        data=data,
        content_type="multipart/form-data",
        headers=bearer(partner.secret),
    )
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["tracking_code"]
    report = db.session.scalars(select(Report)).one()
    assert report.channel == "hotline"
    assert report.api_credential_id == partner.credential.id
    assert report.reporter_named and report.identity_sealed
    assert NAME not in report.identity_sealed
    # The complainant's identity opens with the tracking code, as any sealed one.
    assert reporter_view(report, code).identity["name"] == NAME
    used = [(a, label) for a, label in _actions() if a == "api.key_used"]
    assert used == [("api.key_used", partner.credential.label)]


def test_a_province_bound_key_submits_only_for_its_province(client, org, app_ctx):
    issued = services.create_partner_key(
        org.admin, name="App HCM", scopes=["reports:write"], channel="app", province_code=79
    )
    db.session.commit()
    response = client.post(
        "/api/v1/reports",
        data=report_form(org),
        content_type="multipart/form-data",
        headers=bearer(issued.secret),
    )
    assert response.status_code == 422


def test_revoked_and_expired_credentials_get_401_at_once(client, org, partner, token_of):
    db.session.commit()
    secret = token_of(org.lead)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    credential = db.session.scalar(
        select(ApiCredential).where(ApiCredential.secret_hash == services.hash_secret(secret))
    )
    services.revoke_credential(org.lead, credential)
    services.revoke_credential(org.admin, db.session.get(ApiCredential, partner.credential.id))
    db.session.commit()
    refused = client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.mimetype == "application/problem+json"
    partner_refused = client.post(
        "/api/v1/reports",
        data=report_form(org),
        content_type="multipart/form-data",
        headers=bearer(partner.secret),
    )
    assert partner_refused.status_code == 401
    expired = token_of(org.inspector)
    credential = db.session.scalar(
        select(ApiCredential).where(ApiCredential.secret_hash == services.hash_secret(expired))
    )
    credential.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(expired)).status_code == 401
    actions = [a for a, _ in _actions()]
    assert "api.token_revoked" in actions and "api.key_revoked" in actions


def test_a_browser_session_never_authenticates_the_api(client, org):
    from tests.helpers import log_in_fully

    log_in_fully(client, org.lead)
    assert client.get("/cases").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/cases").status_code == 401


def test_tokens_are_scoped_expiring_and_for_officers_only(org, app_ctx):
    with pytest.raises(services.CredentialError):
        services.create_staff_token(
            org.association, name="x", scopes=["cases:read"], expires_at=utcnow() + timedelta(1)
        )
    with pytest.raises(services.CredentialError):
        services.create_staff_token(
            org.lead, name="x", scopes=["cases:read"], expires_at=utcnow() + timedelta(days=91)
        )
    with pytest.raises(services.CredentialError):
        services.create_staff_token(
            org.lead, name="x", scopes=["reports:write"], expires_at=utcnow() + timedelta(1)
        )


def test_queue_pages_by_keyset_with_next_links(client, org, make_case, token_of):
    made = [make_case(CaseStatus.NEW, seed=str(i)) for i in range(5)]
    secret = token_of(org.lead)
    seen, url = [], "/api/v1/cases?limit=2"
    while url:
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 200
        body = response.get_json()
        seen += [c["id"] for c in body["items"]]
        url = body["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
    assert seen == sorted((c.id for c in made), reverse=True)


def test_actions_need_a_fresh_etag_and_use_the_workflow(client, org, make_case, token_of):
    case = make_case(CaseStatus.NEW)
    secret = token_of(org.lead)
    read = client.get(f"/api/v1/cases/{case.id}", headers=bearer(secret))
    assert read.status_code == 200 and "accept" in read.get_json()["allowed_actions"]
    tag = read.headers["ETag"]
    url = f"/api/v1/cases/{case.id}/actions/accept"
    assert client.post(url, json={}, headers=bearer(secret)).status_code == 428
    stale = client.post(url, json={}, headers={**bearer(secret), "If-Match": '"case-1-v0"'})
    assert stale.status_code == 412
    done = client.post(url, json={}, headers={**bearer(secret), "If-Match": tag})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "accepted"
    # The old tag is stale now.
    again = client.post(url, json={}, headers={**bearer(secret), "If-Match": tag})
    assert again.status_code == 412
    events = [e for e in db.session.scalars(select(AuditEvent)) if e.action == "case.accept"]
    assert len(events) == 1 and events[0].actor_id == org.lead.id
    # Assigning: the same rules as the page (an officer of the case's team).
    tag = done.headers["ETag"]
    wrong = client.post(
        f"/api/v1/cases/{case.id}/actions/assign",
        json={"assignee": org.other_inspector.id},
        headers={**bearer(secret), "If-Match": tag},
    )
    assert wrong.status_code == 422
    right = client.post(
        f"/api/v1/cases/{case.id}/actions/assign",
        json={"assignee": org.inspector.id},
        headers={**bearer(secret), "If-Match": tag},
    )
    assert right.status_code == 200 and right.get_json()["assignee_id"] == org.inspector.id


def test_an_inspector_cannot_accept(client, org, make_case, token_of):
    case = make_case(CaseStatus.NEW)
    secret = token_of(org.inspector)
    tag = client.get(f"/api/v1/cases/{case.id}", headers=bearer(secret)).headers["ETag"]
    response = client.post(
        f"/api/v1/cases/{case.id}/actions/accept",
        json={},
        headers={**bearer(secret), "If-Match": tag},
    )
    assert response.status_code == 409
    assert db.session.get(type(case), case.id).status == "new"


def test_read_only_token_cannot_act(client, org, make_case, token_of):
    case = make_case(CaseStatus.NEW)
    secret = token_of(org.lead, scopes=("cases:read",))
    response = client.post(
        f"/api/v1/cases/{case.id}/actions/accept",
        json={},
        headers={**bearer(secret), "If-Match": "*"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.ASSOCIATION_STAFF, Role.ADMIN])
def test_outsiders_and_roles_without_permission(client, org, make_case, token_of, role):
    """Another team's lead gets 404 for our case exactly as for a missing one; a
    role that does not read cases gets 403 for both; no token at all, 401."""
    case = make_case(CaseStatus.NEW)
    missing = case.id + 10_000
    outsider = token_of(org.other_lead)
    for path in (f"/api/v1/cases/{case.id}", f"/api/v1/cases/{missing}"):
        response = client.get(path, headers=bearer(outsider))
        assert response.status_code == 404
        body = response.get_json()
        assert body["title"] and "instance" in body
    bodies = set()
    for ident in (case.id, missing):
        for method, path in (
            ("get", f"/api/v1/cases/{ident}"),
            ("post", f"/api/v1/cases/{ident}/actions/accept"),
        ):
            response = getattr(client, method)(path, headers={**bearer(outsider), "If-Match": "*"})
            assert response.status_code == 404
            bodies.add(response.get_json()["detail"])
    assert len(bodies) == 1
    user = org.association if role is Role.ASSOCIATION_STAFF else org.admin
    credential = ApiCredential(
        kind="staff",
        name="t",
        prefix="x",
        secret_hash=services.hash_secret("ist_forbidden" + role.value),
        scopes="cases:read cases:write",
        user_id=user.id,
        created_by_id=user.id,
    )
    db.session.add(credential)
    db.session.commit()
    for ident in (case.id, missing):
        response = client.get(
            f"/api/v1/cases/{ident}", headers=bearer("ist_forbidden" + role.value)
        )
        assert response.status_code == 403
    for ident in (case.id, missing):
        assert client.get(f"/api/v1/cases/{ident}").status_code == 401


def test_no_staff_response_contains_reporter_identity(client, org, make_case, token_of):
    case = make_case(CaseStatus.NEW, named=True)
    secret = token_of(org.lead)
    for path in (f"/api/v1/cases/{case.id}", "/api/v1/cases"):
        text = client.get(path, headers=bearer(secret)).get_data(as_text=True)
        assert "Nguyễn Văn An" not in text and "0912345678" not in text
        assert "an@example.vn" not in text


def test_a_partner_looks_up_progress_with_reports_read(client, org, partner, app_ctx):
    writer = services.create_partner_key(
        org.admin, name="Sàn TMĐT", scopes=["reports:write"], channel="ecommerce"
    )
    db.session.commit()
    code = client.post(
        "/api/v1/reports", data=report_form(org), content_type="multipart/form-data"
    ).get_json()["tracking_code"]
    body = {"tracking_code": code}
    looked_up = client.post("/api/v1/reports/progress", json=body, headers=bearer(partner.secret))
    assert looked_up.status_code == 200
    refused = client.post("/api/v1/reports/progress", json=body, headers=bearer(writer.secret))
    assert refused.status_code == 403

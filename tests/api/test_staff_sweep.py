"""Every staff route of the API, swept like the web routes (tests/cases/test_access):
for an existing case and a missing one, an outsider (another team's lead) gets the
same 404 with the same body; roles that do not work on cases get 403 for both; no
token or a revoked one, 401. Routes are read from the URL map, so a new one is swept
without being listed here."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.api import services
from inspect_app.api.models import ApiCredential
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from tests.api.conftest import bearer


def _staff_requests(app, case_id: int) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "api_staff" or "case_id" not in rule.arguments:
            continue
        path = rule.rule.replace("<int:case_id>", str(case_id)).replace("<action>", "accept")
        found += [(method, path) for method in ("GET", "POST") if method in rule.methods]
    return found


def _forged_token(user, name: str) -> str:
    """A live token for a role that may not create one (the services refuse it), to
    show the API refuses such a role on its own."""
    secret = f"ist_{name}-sweep"
    db.session.add(
        ApiCredential(
            kind="staff",
            name=name,
            prefix=name[:8],
            secret_hash=services.hash_secret(secret),
            scopes="cases:read cases:write",
            user_id=user.id,
            created_by_id=user.id,
        )
    )
    db.session.commit()
    return secret


@pytest.fixture
def case_ids(org, make_case):
    case = make_case(CaseStatus.NEW)
    return case.id, case.id + 100_000


def _send(client, method: str, path: str, secret: str | None):
    headers = {"If-Match": "*", **(bearer(secret) if secret else {})}
    return client.open(path, method=method, json={}, headers=headers)


def test_outsiders_get_the_same_404_for_existing_and_missing(app, client, org, case_ids, token_of):
    outsider = token_of(org.other_lead)
    existing, missing = case_ids
    routes = _staff_requests(app, existing)
    assert len(routes) >= 2
    for (method, path), (_, missing_path) in zip(
        routes, _staff_requests(app, missing), strict=True
    ):
        a, b = _send(client, method, path, outsider), _send(client, method, missing_path, outsider)
        assert a.status_code == b.status_code == 404, (method, path)
        body_a, body_b = a.get_json(), b.get_json()
        assert {k: v for k, v in body_a.items() if k != "instance"} == {
            k: v for k, v in body_b.items() if k != "instance"
        }


@pytest.mark.parametrize("person", ["association", "admin"])
def test_roles_without_the_permission_get_403_for_both(app, client, org, case_ids, person):
    secret = _forged_token(getattr(org, person), person)
    for case_id in case_ids:
        for method, path in _staff_requests(app, case_id):
            assert _send(client, method, path, secret).status_code == 403, (method, path)


def test_no_or_revoked_token_gets_401_for_both(app, client, org, case_ids, token_of):
    secret = token_of(org.lead)
    credential = db.session.scalars(select(ApiCredential)).one()
    services.revoke_credential(org.lead, credential)
    db.session.commit()
    for case_id in case_ids:
        for method, path in _staff_requests(app, case_id):
            assert _send(client, method, path, None).status_code == 401
            assert _send(client, method, path, secret).status_code == 401

"""schemathesis against the OpenAPI document the app serves: every operation gets
generated requests (valid and invalid), anonymously and with an officer's token.
No answer may be a server error; every answer must match the document (status
codes, media types, headers, bodies).

Bounded (SCHEMATHESIS_EXAMPLES per operation and identity, fixed seed) so the run
takes about a minute. A stateful run follows the document's links (a submission's
tracking code into its progress and follow-ups; the queue's first case into the
case; the case's ETag into an action). The fuzz harness (tests/fuzz) sweeps the
same routes with form-shaped hostile input."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db, limiter
from inspect_app.stats import services as stats
from inspect_app.stats.periods import Period

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def world(app, org, make_case, token_of):
    """Something real for generated requests to name now and then: cases, a
    province with wards, a published statistics report."""
    limiter.enabled = False
    new = make_case(CaseStatus.NEW)
    investigating = make_case(CaseStatus.INVESTIGATING, seed="i")
    now = utcnow()
    published = stats.create_draft(org.association, Period.year(date.today().year - 1), 1, now=now)
    stats.publish_report(published, org.association, now=now)
    db.session.commit()
    yield {
        "lead": token_of(org.lead),
        "report": {
            "category": "counterfeit",
            "product": "Nước mắm",
            "description": "Nhãn giả",
            "province": org.team.office.province_code,
            "ward": org.team.wards[0].code,
        },
        "real": {
            "case_id": [new.id, investigating.id],
            "code": [org.team.office.province_code],
            "report_id": [published.id],
            "action": ["accept", "start", "reject", "assign"],
        },
    }
    limiter.enabled = True


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13  # every operation of the document
    return operations


@pytest.mark.parametrize("identity", ["anonymous", "lead"])
def test_every_operation_answers_as_documented(app, world, identity):
    headers = {} if identity == "anonymous" else {"Authorization": f"Bearer {world[identity]}"}
    failures, statuses = [], Counter()
    for operation in _operations(app):

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), picks=st.lists(st.integers(0, 3), min_size=4))
        def run(case, picks):
            # Now and then, a real id in the path (found nowhere by chance).
            for (name, values), pick in zip(world["real"].items(), picks, strict=False):
                if name in (case.path_parameters or {}) and pick:
                    case.path_parameters[name] = values[pick % len(values)]
            response = case.call(headers=headers)
            statuses[(case.operation.label, response.status_code // 100)] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - every operation runs, then all are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    # Real answers, not only refusals: every operation was reached.
    assert {label for label, _ in statuses} == {op.label for op in _operations(app)}


def test_stateful_sequences_follow_the_documents_links(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {world['lead']}"}
    report = world["report"]
    links = [
        name
        for item in schema.raw_schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for name in response.get("links", {})
    ]
    assert {"progress", "followUp", "firstCase", "act"} <= set(links)

    class Machine(schema.as_state_machine()):
        def before_call(self, case):
            # The officer's token on staff calls; a valid report where one is sent,
            # so that the links from its answer (its tracking code) are followed.
            if "/cases" in case.operation.path:
                case.headers = {**(case.headers or {}), **headers}
            if case.operation.label == "POST /api/v1/reports":
                case.body = report

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token is added to every staff call, so a generated "missing
            # Authorization" is not sent as such: negative data is the other test's.
            checks = [check for check in CHECKS if check is not negative_data_rejection]
            case.validate_response(response, checks=checks, headers=case.headers)

    Machine.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )

"""Idempotency-Key: a retry returns the first answer and creates nothing; another
body with the same key is refused; 20 concurrent retries against a real server
create one report."""

from __future__ import annotations

import http.client
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from inspect_app.api.models import IdempotentRequest
from inspect_app.api.services import purge_idempotent_requests
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from tests import imaging
from tests.api.conftest import counts, report_form, with_photo


def _post(client, data, key, **headers):
    return client.post(
        "/api/v1/reports",
        data=data,
        content_type="multipart/form-data",
        headers={"Idempotency-Key": key, **headers},
    )


def test_a_retry_returns_the_first_answer_and_creates_nothing(client, org):
    key = str(uuid.uuid4())
    first = _post(client, with_photo(report_form(org)), key)
    assert first.status_code == 201
    # Another multipart boundary, the same content: the same request.
    again = _post(client, with_photo(report_form(org)), key)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts() == (1, 1)


def test_the_same_key_with_another_body_is_refused(client, org):
    key = str(uuid.uuid4())
    assert _post(client, report_form(org), key).status_code == 201
    other = _post(client, report_form(org, product="Nước mắm"), key)
    assert other.status_code == 422
    assert other.get_json()["type"].endswith("#problem-idempotency-mismatch")
    assert counts() == (1, 1)


def test_a_refused_request_releases_its_key(client, org):
    key = str(uuid.uuid4())
    refused = _post(client, report_form(org, product=""), key)
    assert refused.status_code == 422
    assert db.session.query(IdempotentRequest).count() == 0
    assert counts() == (0, 0)


def test_the_stored_answer_is_not_readable_from_the_database(client, org):
    key = str(uuid.uuid4())
    code = _post(client, report_form(org), key).get_json()["tracking_code"]
    stored = db.session.query(IdempotentRequest).one()
    assert code not in stored.response_enc and key not in stored.key_hash
    assert stored.expires_at >= utcnow() + timedelta(hours=23, minutes=59)


def test_answers_are_purged_after_24_hours(client, org, app_ctx):
    _post(client, report_form(org), str(uuid.uuid4()))
    assert purge_idempotent_requests(utcnow()) == 0
    assert purge_idempotent_requests(utcnow() + timedelta(hours=25)) == 1
    db.session.commit()
    assert db.session.query(IdempotentRequest).count() == 0


def _multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    lines = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        lines.append(f"{head}{value}\r\n".encode())
    lines.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    lines.append(f"--{boundary}--\r\n".encode())
    return b"".join(lines), f"multipart/form-data; boundary={boundary}"


def test_twenty_concurrent_retries_create_one_report(server, org):
    body, content_type = _multipart(report_form(org), imaging.jpeg(seed="c"))
    key = str(uuid.uuid4())

    def send(_):
        connection = http.client.HTTPConnection(*server, timeout=60)
        try:
            connection.request(
                "POST",
                "/api/v1/reports",
                body=body,
                headers={"Content-Type": content_type, "Idempotency-Key": key},
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, statuses
    created = {answer for status, answer in results if status == 201}
    assert len(created) == 1  # every 201 is the same answer
    assert counts() == (1, 1)


def test_the_daily_retention_job_purges_old_answers(client, org, app_ctx):
    from inspect_app.scheduler.jobs import run_retention

    _post(client, report_form(org), str(uuid.uuid4()))
    summary = run_retention(utcnow() + timedelta(days=2))
    assert summary.endswith("1 API answers past 24 hours purged")
    db.session.commit()
    assert db.session.query(IdempotentRequest).count() == 0

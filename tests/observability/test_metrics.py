"""`/metrics`: closed to the public; request latency by endpoint, storage errors, and
the database's view of the outbox, alerts and scheduler."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inspect_app.dbtypes import utcnow
from inspect_app.evidence.storage import S3Storage, StorageError, original_key
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.notify.services import insert_message
from inspect_app.scheduler.jobs import tick
from inspect_app.scheduler.lock import SchedulerLock
from tests import s3server

TOKEN = "scrape-token-0123456789"


def _scrape(client, token: str | None = TOKEN, remote: str = "127.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    match = re.search(pattern, text, re.M)
    assert match, f"{name} {labels} not in the scrape"
    return float(match.group(1))


@pytest.fixture
def scraping(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", "")
    return app.test_client()


def test_closed_to_everyone_without_settings(client):
    assert _scrape(client).status_code == 404
    assert _scrape(client, token=None).status_code == 404


def test_the_token_or_an_allowed_network_opens_it(app, scraping, monkeypatch):
    assert _scrape(scraping).status_code == 200
    assert _scrape(scraping, token="wrong").status_code == 404
    assert _scrape(scraping, token=None).status_code == 404

    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, ::1")
    assert _scrape(scraping, token=None, remote="10.1.2.3").status_code == 200
    assert _scrape(scraping, token=None, remote="192.0.2.7").status_code == 404


def test_request_latency_is_counted_by_endpoint_never_by_path(scraping):
    scraping.get("/login")
    scraping.post("/track", data={"code": "K7M2-9QXD-4HTR-B8NC"})

    text = _scrape(scraping).get_data(as_text=True)

    assert (
        _value(
            text,
            "inspect_http_request_duration_seconds_count",
            endpoint="accounts.login",
            method="GET",
            status="200",
        )
        >= 1
    )
    assert 'endpoint="intake.track"' in text
    assert "K7M2" not in text and "/track" not in text


def test_outbox_depth_and_age_alerts_sent_and_scheduler(app, app_ctx, scraping):
    for key, kind in (("a", "reminder"), ("b", "overdue"), ("c", "account")):
        insert_message(
            key=f"metrics-{key}",
            recipient="officer@example.vn",
            kind=kind,
            subject="s",
            text="t",
            html="<p>t</p>",
            now=utcnow() - timedelta(hours=2),
        )
    db.session.commit()
    sent = db.session.scalars(select(OutboxMessage).filter_by(key="metrics-a")).one()
    sent.status, sent.sent_at = "sent", utcnow()
    db.session.commit()

    text = _scrape(scraping).get_data(as_text=True)
    assert _value(text, "inspect_outbox_messages", status="pending") == 2
    assert _value(text, "inspect_outbox_messages", status="sent") == 1
    assert _value(text, "inspect_outbox_oldest_unsent_age_seconds") >= 3600
    assert _value(text, "inspect_alert_emails_sent", kind="reminder") == 1
    assert _value(text, "inspect_alert_emails_sent", kind="overdue") == 0
    assert _value(text, "inspect_scheduler_leader") == 0
    assert "inspect_scheduler_job_last_success_timestamp_seconds{" not in text

    lock = SchedulerLock(db.engine, lease_seconds=60)
    assert lock.acquire(wait=False)
    try:
        tick(utcnow())
        text = _scrape(scraping).get_data(as_text=True)
        assert _value(text, "inspect_scheduler_leader") == 1
        assert (
            _value(text, "inspect_scheduler_job_last_success_timestamp_seconds", job="outbox")
            > (utcnow() - timedelta(hours=1)).timestamp()
        )
    finally:
        lock.release()
    assert _value(_scrape(scraping).get_data(as_text=True), "inspect_scheduler_leader") == 0


def test_storage_errors_are_counted(scraping, s3_endpoint):
    def errors() -> float:
        text = _scrape(scraping).get_data(as_text=True)
        match = re.search(
            r'^inspect_storage_errors_total\{backend="s3",operation="put_object"\} (\S+)$',
            text,
            re.M,
        )
        return float(match.group(1)) if match else 0.0

    before = errors()
    broken = S3Storage(s3server.client(s3_endpoint), "no-such-bucket-for-metrics")
    with pytest.raises(StorageError):
        broken.put(original_key("0" * 64), b"x")
    assert errors() == before + 1

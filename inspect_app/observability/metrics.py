"""Prometheus metrics (prometheus-client).

Kept in each process: request latency by endpoint and storage errors. Read from the
database when scraped, so any host's `/metrics` tells the same story: the outbox's
depth and oldest pending message, the deadline alerts e-mailed, whether a scheduler
holds the lock, and each scheduler job's last success.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder
(prometheus-client's multiprocess mode) so a scrape sums every worker's counts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.models import AlertKind, OutboxMessage, OutboxStatus
from inspect_app.scheduler.lock import ADVISORY_KEY, LOCK_NAME
from inspect_app.scheduler.models import SchedulerJobRun, SchedulerLockRow

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Gauges read from the shared database at scrape time (app context)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        try:
            families = [
                _outbox_depth(),
                _oldest_pending_age(now),
                _alerts_sent(),
                _scheduler_lock_held(now),
                *_job_successes(),
            ]
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("metrics: database unreadable: %s", type(exc).__name__)
            families = []
        yield GaugeMetricFamily(
            "inspect_database_up",
            "1 when this scrape could read the database's gauges, else 0.",
            value=1 if families else 0,
        )
        yield from families


def _outbox_depth() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "inspect_outbox_messages", "E-mails in the outbox, by status.", labels=["status"]
    )
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    for status in OutboxStatus:
        family.add_metric([status.value], counts.get(status.value, 0))
    return family


def _oldest_pending_age(now: datetime) -> GaugeMetricFamily:
    oldest = db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
        )
    )
    age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    return GaugeMetricFamily(
        "inspect_outbox_oldest_unsent_age_seconds",
        "Age of the oldest e-mail still waiting to be sent (0 when none waits).",
        value=age,
    )


def _alerts_sent() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "inspect_alert_emails_sent",
        "Deadline alert e-mails delivered (reminders, overdue notices, escalations).",
        labels=["kind"],
    )
    counts = dict(
        db.session.execute(
            select(OutboxMessage.kind, func.count())
            .where(
                OutboxMessage.status == OutboxStatus.SENT.value,
                OutboxMessage.kind.in_([kind.value for kind in AlertKind]),
            )
            .group_by(OutboxMessage.kind)
        ).all()
    )
    for kind in AlertKind:
        family.add_metric([kind.value], counts.get(kind.value, 0))
    return family


def _scheduler_lock_held(now: datetime) -> GaugeMetricFamily:
    if db.session.get_bind().dialect.name == "postgresql":
        held = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": ADVISORY_KEY},
        )
    else:
        expires = db.session.scalar(
            select(SchedulerLockRow.expires_at).where(SchedulerLockRow.name == LOCK_NAME)
        )
        held = int(expires is not None and expires > now)
    return GaugeMetricFamily(
        "inspect_scheduler_leader",
        "1 when a scheduler process holds the lock (is the leader), else 0.",
        value=min(int(held or 0), 1),
    )


def _job_successes() -> Iterator[GaugeMetricFamily]:
    runs = db.session.scalars(select(SchedulerJobRun)).all()
    success = GaugeMetricFamily(
        "inspect_scheduler_job_last_success_timestamp_seconds",
        "When each scheduler job last finished without error (Unix time).",
        labels=["job"],
    )
    failure = GaugeMetricFamily(
        "inspect_scheduler_job_last_failure_timestamp_seconds",
        "When each scheduler job last failed (Unix time).",
        labels=["job"],
    )
    for run in runs:
        if run.last_success_at is not None:
            success.add_metric([run.name], run.last_success_at.timestamp())
        if run.last_failure_at is not None:
            failure.add_metric([run.name], run.last_failure_at.timestamp())
    yield success
    yield failure


def exposition() -> bytes:
    """The text a scrape returns: this process's (or every worker's) metrics and the
    database's gauges."""
    process = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(process)
    else:
        process = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(process) + generate_latest(database)

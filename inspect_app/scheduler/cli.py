"""`flask scheduler run`: the one scheduler process; `flask scheduler tick`: one pass.

Web workers never start jobs: nothing in `create_app` starts a scheduler. `run`
first takes the scheduler lock (a second process waits there), then runs `tick`
every SCHEDULER_TICK_SECONDS and renews the lock's lease in APScheduler threads.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup

from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.scheduler.jobs import tick
from inspect_app.scheduler.lock import SchedulerLock

log = logging.getLogger(__name__)

scheduler_cli = AppGroup(
    "scheduler", help="Reminders, escalations, digests, the evidence sweep and the e-mail outbox."
)


def parse_instant(_ctx, _param, value: str | None) -> datetime | None:
    """ISO 8601; without an offset it is Vietnam time. Returned in UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2027-02-15T08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


@scheduler_cli.command("tick")
@click.option(
    "--now",
    callback=parse_instant,
    metavar="ISO-TIME",
    help="Run as if it were this instant (Vietnam time unless an offset is given).",
)
def tick_command(now: datetime | None) -> None:
    """Run every job that is due, once, now or as of --now (tests, catching up)."""
    now = now or utcnow()
    summary = tick(now)
    click.echo(f"tick at {now.astimezone(LOCAL_TZ).isoformat(timespec='minutes')}")
    for name, outcome in summary.items():
        click.echo(f"{name}: {outcome}")


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler until SIGTERM or Ctrl-C (one process per installation)."""
    _configure_logging()
    app = current_app._get_current_object()
    lock = SchedulerLock(db.engine, lease_seconds=app.config["SCHEDULER_LOCK_LEASE_SECONDS"])
    runner = SchedulerRunner(app, lock, tick_seconds=app.config["SCHEDULER_TICK_SECONDS"])
    sys.exit(runner.run())


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


class SchedulerRunner:
    """Waits for the lock, then runs the jobs until stopped or the lock is lost."""

    def __init__(self, app: Flask, lock: SchedulerLock, tick_seconds: int) -> None:
        self.app = app
        self.lock = lock
        self.tick_seconds = tick_seconds
        self.stop = threading.Event()
        self.lost = False
        self.executor = ThreadPoolExecutor(max_workers=2)
        self.scheduler = BlockingScheduler(
            timezone=LOCAL_TZ.key, executors={"default": self.executor}
        )

    def run(self) -> int:
        """The exit status: 0 when stopped by a signal, 1 when the lock was lost."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            if not self.lock.acquire(wait=True, stop=self.stop):
                return 0
            try:
                self._add_jobs()
                if not self.stop.is_set():
                    self.scheduler.start()
                self.executor.shutdown(wait=True)  # let a running tick finish first
            finally:
                self.lock.release()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("scheduler stopped")
        return 1 if self.lost else 0

    def _add_jobs(self) -> None:
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.tick_seconds,
            id="tick",
            next_run_time=datetime.now(LOCAL_TZ),
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self._renew,
            "interval",
            seconds=self.lock.renew_seconds,
            id="renew-lock",
            max_instances=1,
            coalesce=True,
        )

    def _tick(self) -> None:
        with self.app.app_context():
            summary = tick(utcnow())
        log.debug("tick: %s", summary)

    def _renew(self) -> None:
        if self.stop.is_set():
            self._shutdown()
            return
        try:
            renewed = self.lock.renew()
        except Exception:  # a busy database: the lease still runs, retry soon
            log.warning("could not renew the scheduler lock; retrying", exc_info=True)
            return
        if not renewed:
            log.error("lost the scheduler lock (another process took it over); stopping")
            self.lost = True
            self._shutdown()

    def _on_signal(self, signum: int, _frame) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        self.stop.set()
        self._shutdown()

    def _shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

"""Two real `flask --app wsgi scheduler run` processes against the test database and
a real SMTP server: one runs, the other waits; every message arrives exactly once;
when the running one is killed, the waiting one takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.notify.services import queue_message
from tests.notify.conftest import MAIL_FROM, delivered_keys

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3
TIMEOUT = 30.0
ACQUIRED = "scheduler lock acquired by"
WAITING = "waiting for the scheduler lock held by"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _queue(prefix: str, n: int) -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(n)]
    for key in keys:
        queue_message(
            key=key,
            recipient=f"{key.replace(':', '-')}@demo.inspect.vn",
            subject=key,
            text=key,
            html=f"<p>{key}</p>",
            kind="reminder",
            now=utcnow(),
        )
    db.session.commit()
    return keys


def _all_sent() -> bool:
    db.session.rollback()  # a fresh look at what the scheduler processes committed
    pending = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
    )
    return pending == 0


class Scheduler:
    """One `scheduler run` process, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        finally:
            self._out.close()


@pytest.fixture
def scheduler_env(app, mailbox) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update(
        INSPECT_ENV="development",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        INSPECT_DATA_KEY=app.config["INSPECT_DATA_KEY"],
        UPLOAD_ROOT=app.config["UPLOAD_ROOT"],  # the sweep must look at the test's files
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SMTP_SECURITY="none",
        MAIL_FROM=MAIL_FROM,
        SCHEDULER_TICK_SECONDS="1",
        SCHEDULER_LOCK_LEASE_SECONDS=str(LEASE_SECONDS),
        PYTHONUNBUFFERED="1",
    )
    return env


def test_two_scheduler_processes_send_each_message_once_and_take_over(
    app_ctx, mailbox, scheduler_env, tmp_path
):
    keys = _queue("before", 6)
    schedulers = [Scheduler(scheduler_env, tmp_path / f"scheduler{i}.log") for i in range(2)]
    try:
        _wait_for(_all_sent, "the first messages to be sent")
        _wait_for(
            lambda: any(WAITING in s.output() for s in schedulers), "the second process to wait"
        )
        holders = [s for s in schedulers if ACQUIRED in s.output()]
        assert len(holders) == 1, [s.output() for s in schedulers]
        (holder,) = holders
        (waiter,) = [s for s in schedulers if s is not holder]
        assert delivered_keys(mailbox) == {key: 1 for key in keys}

        holder.stop(signal.SIGKILL)  # dies without releasing anything
        keys += _queue("after", 3)
        _wait_for(_all_sent, "the waiting process to take over and send")
        assert ACQUIRED in waiter.output()
        assert delivered_keys(mailbox) == {key: 1 for key in keys}
        assert set(mailbox.message_ids().values()) == {1}

        assert waiter.stop() == 0
        assert "scheduler stopped" in waiter.output()
    finally:
        for scheduler in schedulers:
            scheduler.stop(signal.SIGKILL)

"""The scheduler lock: one holder at a time; taken over when the holder dies."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.scheduler.lock import SchedulerLock


@pytest.fixture
def locks(app_ctx):
    made: list[SchedulerLock] = []

    def make(lease_seconds: int = 60) -> SchedulerLock:
        lock = SchedulerLock(db.engine, lease_seconds=lease_seconds)
        made.append(lock)
        return lock

    yield make
    for lock in made:
        lock.release()


def test_one_holder_at_a_time_and_the_waiter_knows_who(locks):
    first, second = locks(), locks()
    assert first.try_acquire()
    assert not second.try_acquire()
    assert first.holder in (second.current_holder() or "")
    assert first.renew()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()


def test_acquire_without_waiting_or_when_told_to_stop(locks):
    first, second = locks(), locks()
    assert first.acquire(wait=False)
    assert second.acquire(wait=False) is False
    stop = threading.Event()
    stop.set()
    assert second.acquire(wait=True, stop=stop) is False


def test_a_dead_holder_is_taken_over(locks):
    first, second = locks(lease_seconds=60), locks(lease_seconds=60)
    now = utcnow()
    assert first.try_acquire(now)
    if first.advisory:
        first._close_advisory()  # the process died: PostgreSQL ends its session and lock
        assert second.try_acquire()
        assert not first.renew()
        return
    # SQLite: nobody renews the lease; once it has run out the lock is free.
    assert not second.try_acquire(now + timedelta(seconds=59))
    assert second.try_acquire(now + timedelta(seconds=61))
    assert not first.renew(now + timedelta(seconds=62))  # the old holder learns it lost it

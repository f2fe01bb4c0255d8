"""A change of jurisdiction made through the admin page reaches the reference-data
cache of another process at once, through Redis (REDIS_URL), not after the TTL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from inspect_app.geo import cache
from tests.helpers import log_in_fully

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30.0


@pytest.fixture
def redis_app(app, monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_PREFIX", f"inspect-test-{uuid.uuid4().hex}")
    return app


class Child:
    """The other process; `wards(team_id)` asks it for a team's cached wards."""

    def __init__(self, app) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.cases.reference_child",
                app.config["SQLALCHEMY_DATABASE_URI"],
                app.config["REDIS_URL"],
                app.config["RATELIMIT_KEY_PREFIX"],
                app.config["UPLOAD_ROOT"],
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def wards(self, team_id: int) -> set[int]:
        self.process.stdin.write(f"{team_id}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the other process ended ({self.process.poll()})"
        return set(json.loads(line))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def test_the_other_process_sees_a_new_jurisdiction_at_once(redis_app, org, make_user):
    team_id = org.team.id
    before = {ward.code for ward in org.team.wards}
    kept = sorted(before)[:2]
    child = Child(redis_app)
    try:
        assert child.wards(team_id) == before

        # Written behind the app's back (no announcement): the other process keeps
        # its copy, as its cache never expires by age.
        db.session.execute(
            text("DELETE FROM team_wards WHERE team_id = :team AND ward_code = :ward"),
            {"team": team_id, "ward": max(before)},
        )
        db.session.commit()
        assert child.wards(team_id) == before

        admin = redis_app.test_client()
        log_in_fully(admin, make_user(Role.ADMIN))
        response = admin.post(f"/admin/teams/{team_id}", data={"j-wards": kept, "j-submit": "1"})
        assert response.status_code == 302

        deadline = time.monotonic() + WAIT_SECONDS
        while (seen := child.wards(team_id)) != set(kept) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == set(kept)
    finally:
        child.close()


def test_a_commit_without_reference_changes_announces_nothing(redis_app, app_ctx):
    subscriber = redis.Redis.from_url(REDIS_URL).pubsub()
    subscriber.subscribe(cache.channel_name())
    subscriber.get_message(timeout=5)  # the subscription's confirmation

    db.session.execute(text("SELECT 1"))
    db.session.commit()
    assert subscriber.get_message(timeout=0.5) is None

    cache.announce_change()
    message = subscriber.get_message(timeout=5)
    assert message is not None and message["type"] == "message"
    subscriber.close()


def test_an_unreachable_redis_does_not_undo_the_commit(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    cache.announce_change()  # logged, not raised

"""Real gunicorn processes: production refuses several workers with in-memory rate
limits; two workers with Redis-backed limits share one limit (and, as a control,
two workers with in-memory limits do not); with PROMETHEUS_MULTIPROC_DIR, one
scrape counts every worker's requests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# A database of its own on the local Redis, and a key prefix per run, removed after.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
LIMIT = 5
MAX_REQUESTS = 80  # bounded: stop once both workers have answered, or after this many
SECRETS = {
    "SECRET_KEY": "s" * 40,
    "INSPECT_DATA_KEY": "bm90LXRoZS1kZWZhdWx0LWtleS1qdXN0LWZvci10ZXM=",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "UPLOAD_ROOT": str(tmp_path / "uploads"),
        **settings,
    }


def test_production_refuses_two_workers_with_in_memory_limits(tmp_path):
    env = _env(tmp_path, INSPECT_ENV="production", RATELIMIT_STORAGE_URI="memory://", **SECRETS)
    result = subprocess.run(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{_free_port()}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "RATELIMIT_STORAGE_URI" in result.stderr


class _Gunicorn:
    """Two sync workers on a free loopback port; the access log names the worker."""

    def __init__(self, tmp_path: Path, storage: str, prefix: str, **settings: str) -> None:
        self.port = _free_port()
        self.log = tmp_path / f"access-{prefix}.log"
        env = _env(
            tmp_path,
            INSPECT_ENV="testing",  # no CSRF: the limit is the only thing answering
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_KEY_PREFIX=prefix,
            LOGIN_RATE_LIMIT=f"{LIMIT} per hour",
            **settings,
        )
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                str(self.log),
                "--access-logformat",
                "%(p)s %(s)s %(r)s %(h)s",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> _Gunicorn:
        """Wait until *both* workers answer: on a busy machine the second one can take
        seconds to import the app, and the first would then take every request."""
        deadline = time.monotonic() + 90
        with ThreadPoolExecutor(max_workers=4) as pool:
            while time.monotonic() < deadline:
                list(pool.map(lambda _: self._health(), range(4)))
                if len(self.workers_that_answered("/healthz")) == 2:
                    return self
                time.sleep(0.2)
        self.__exit__()
        raise AssertionError("gunicorn's two workers did not both start")

    def _health(self) -> None:
        try:
            urllib.request.urlopen(self.url("/healthz"), timeout=2).read()  # noqa: S310
        except OSError:
            time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def post_login(self, forwarded_for: str | None = None) -> int:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        request = urllib.request.Request(  # noqa: S310 - http on loopback
            self.url("/login"), data=b"email=x", method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def addresses_logged(self) -> set[str]:
        return {line.split()[-1] for line in self.log.read_text().splitlines() if "/login" in line}

    def workers_that_answered(self, path: str = "/login") -> Counter:
        if not self.log.exists():
            return Counter()
        lines = [line.split() for line in self.log.read_text().splitlines()]
        return Counter(pid for pid, _status, _method, logged, *_ in lines if logged == path)


def _hammer(server: _Gunicorn) -> tuple[Counter, Counter]:
    """Logins, four at a time (each on its own connection), until both workers have
    answered at least twice the limit's worth between them: (statuses, workers)."""
    statuses: Counter = Counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        while sum(statuses.values()) < MAX_REQUESTS:
            statuses.update(pool.map(lambda _: server.post_login(), range(4)))
            workers = server.workers_that_answered()
            if len(workers) == 2 and sum(statuses.values()) >= 2 * LIMIT + 2:
                break
    return statuses, server.workers_that_answered()


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    prefix = f"inspect-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    assert not list(client.scan_iter(f"*{prefix}*"))


def test_two_workers_with_redis_limits_share_one_limit(tmp_path, redis_prefix):
    with _Gunicorn(tmp_path, REDIS_URL, redis_prefix) as server:
        statuses, workers = _hammer(server)
    assert len(workers) == 2, workers  # both processes answered
    assert statuses[429] == sum(statuses.values()) - LIMIT
    assert sum(statuses.values()) - statuses[429] == LIMIT


def test_control_two_workers_with_in_memory_limits_each_count_their_own(tmp_path):
    with _Gunicorn(tmp_path, "memory://", "control") as server:
        statuses, workers = _hammer(server)
    assert len(workers) == 2, workers
    allowed = sum(statuses.values()) - statuses[429]
    assert allowed > LIMIT  # what the Redis test proves does not happen there


def test_behind_a_trusted_proxy_the_access_log_shows_the_client(tmp_path):
    with _Gunicorn(tmp_path, "memory://", "proxy", TRUSTED_PROXIES="1") as server:
        assert server.post_login("198.51.100.1, 203.0.113.9") == 200
    # The address the proxy appended, not the proxy (127.0.0.1), not what the client wrote.
    assert server.addresses_logged() == {"203.0.113.9"}


def test_one_scrape_counts_the_requests_of_both_workers(tmp_path):
    """Requests made one at a time, each answered before the next, until both workers
    have answered some: every scrape, whichever worker answers it, counts all."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    prefix = f"inspect-test-{uuid.uuid4().hex}"
    settings = {
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    with _Gunicorn(tmp_path, "memory://", prefix, **settings) as server:
        sent = 0
        while sent < MAX_REQUESTS and len(server.workers_that_answered("/favicon.ico")) < 2:
            with urllib.request.urlopen(server.url("/favicon.ico"), timeout=30) as response:  # noqa: S310
                response.read()
            sent += 1
        assert len(server.workers_that_answered("/favicon.ico")) == 2
        for _ in range(4):
            with urllib.request.urlopen(server.url("/metrics"), timeout=30) as response:  # noqa: S310
                text = response.read().decode()
            line = next(
                line
                for line in text.splitlines()
                if line.startswith("inspect_http_request_duration_seconds_count{")
                and 'endpoint="core.favicon"' in line
            )
            # Counted before the response left (the access log is written after).
            assert float(line.split()[-1]) == sent
        assert "inspect_database_up 0.0" in text  # this database has no tables

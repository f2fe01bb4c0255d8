"""An S3-compatible server for tests: moto's standalone server, as a child process.

It speaks the S3 REST protocol over HTTP on a loopback port, so the app's boto3
client goes through the network stack, signing and XML parsing as in production.
What it does not prove: a real store's durability, consistency under concurrent
writers across nodes, multipart uploads, server-side encryption, bucket policies
and TLS (see docs/operations.md § Evidence storage).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

from inspect_app.evidence.storage import S3Storage, make_s3_client

ACCESS_KEY = "testing"
SECRET_KEY = "testing-secret"
REGION = "us-east-1"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"moto_server exited with {process.returncode}"
            raise RuntimeError(msg)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    msg = f"moto_server did not listen on port {port} within {START_TIMEOUT:.0f} s"
    raise RuntimeError(msg)


@contextlib.contextmanager
def running_s3_server() -> Iterator[str]:
    """Start a server process on a free loopback port; yield its endpoint URL."""
    port = _free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(endpoint: str):
    return make_s3_client(
        endpoint_url=endpoint,
        region=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        addressing_style="path",
    )


def new_bucket(endpoint: str) -> str:
    """Create a fresh, empty bucket and return its name."""
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def new_storage(endpoint: str, prefix: str = "") -> S3Storage:
    return S3Storage(client(endpoint), new_bucket(endpoint), prefix)


def app_settings(endpoint: str, bucket: str) -> dict[str, str]:
    """The configuration that points the app at ``bucket`` on the test server."""
    return {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_ADDRESSING_STYLE": "path",
        "S3_VERIFY": "true",
    }

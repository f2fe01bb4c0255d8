"""The tracking code never reaches an access log line: real gunicorn with its
default access-log format (which this project does not change: gunicorn.conf.py
sets none), a report submitted through the API, its progress looked up through the
API (body and header) and through /track."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
import urllib.parse

from tests.api.conftest import report_form
from tests.test_gunicorn import GUNICORN, ROOT, _env, _free_port

FLASK = ROOT / ".venv" / "bin" / "flask"


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait(port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not start")


def test_the_tracking_code_is_in_no_access_log_line(tmp_path, org):
    env = _env(tmp_path, INSPECT_ENV="testing", RATELIMIT_ENABLED="false")
    for command in (["db", "upgrade"], ["refdata", "load"]):
        subprocess.run(
            [str(FLASK), "--app", "wsgi", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    assert "access_log_format" not in (ROOT / "gunicorn.conf.py").read_text()
    port, log = _free_port(), tmp_path / "access.log"
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env | {"GUNICORN_CMD_ARGS": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        boundary = "b0undary"
        parts = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in report_form(org).items()
        )
        status, body = _request(
            port,
            "POST",
            "/api/v1/reports",
            f"{parts}--{boundary}--\r\n".encode(),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert status == 201, body
        code = json.loads(body)["tracking_code"]
        json_body = json.dumps({"tracking_code": code}).encode()
        assert (
            _request(
                port,
                "POST",
                "/api/v1/reports/progress",
                json_body,
                {"Content-Type": "application/json", "Referer": "https://partner.example/app"},
            )[0]
            == 200
        )
        assert (
            _request(
                port,
                "POST",
                "/api/v1/reports/progress",
                b"{}",
                {"Content-Type": "application/json", "X-Tracking-Code": code},
            )[0]
            == 200
        )
        assert (
            _request(
                port,
                "POST",
                "/track",
                urllib.parse.urlencode({"code": code}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )[0]
            == 200
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = log.read_text().splitlines()
    assert any("/api/v1/reports/progress" in line for line in lines)
    compact = code.replace("-", "")
    for line in lines:
        assert code not in line and compact not in line, line
    assert os.path.getsize(log) > 0

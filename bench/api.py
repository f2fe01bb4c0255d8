"""The API beside the form, through gunicorn on loopback (`--only api`).

Measured one request at a time, with the same report and the same 12-megapixel
photo: a submission through POST /api/v1/reports and through the /report form; and
the public progress lookup through POST /api/v1/reports/progress (code in a header)
and through the /track form. Each row's note holds the other's p95.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request

import psycopg

from bench.run import Result, summarise, timed
from bench.tips import CSRF, _form_fields, _multipart, _photo, _Server, _submit

SUBMISSIONS = 15
LOOKUPS = 40


def run(url: str) -> list[Result]:
    photos = [_photo(0)]
    with _Server(url) as server:
        form = _form_fields(url)
        api_fields = _api_fields(url, form)
        codes = [_api_submit(server.base, api_fields, photos) for _ in range(2)]  # warm-up
        _submit(server.base, form, photos)
        api = timed(lambda: _api_submit(server.base, api_fields, photos), SUBMISSIONS, 0, 180)
        web = timed(lambda: _submit(server.base, form, photos), SUBMISSIONS, 0, 180)
        api_lookup = timed(lambda: _api_progress(server.base, codes[0]), LOOKUPS, 2, 60)
        web_lookup = timed(lambda: _track(server.base, codes[0]), LOOKUPS, 2, 60)
    results = [
        summarise("API submission (POST /api/v1/reports), 1 × 12 MP JPEG", api),
        summarise("form submission (/report, page + POST), 1 × 12 MP JPEG", web),
        summarise("API progress lookup (POST, code in a header)", api_lookup),
        summarise("/track progress lookup (page + POST)", web_lookup),
    ]
    for result in results:
        result.status = "INFO"
    results[0].note = f"the form's p95 beside it: {results[1].p95_ms} ms"
    results[2].note = f"/track's p95 beside it: {results[3].p95_ms} ms"
    return results


def _api_fields(url: str, form: dict[str, str]) -> dict[str, str]:
    with psycopg.connect(url) as connection:
        code = connection.execute(
            "SELECT code FROM categories WHERE id = %s", (int(form["category"]),)
        ).fetchone()[0]
    fields = {k: v for k, v in form.items() if k != "identity"}
    return fields | {"category": code}


def _api_submit(base: str, fields: dict[str, str], photos: list[bytes]) -> str:
    body, content_type = _multipart(fields, photos)
    request = urllib.request.Request(  # noqa: S310 - our loopback server
        f"{base}/api/v1/reports", data=body, headers={"Content-Type": content_type}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.loads(response.read())["tracking_code"]


def _api_progress(base: str, code: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - our loopback server
        f"{base}/api/v1/reports/progress",
        data=b"{}",
        headers={"Content-Type": "application/json", "X-Tracking-Code": code},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()


def _track(base: str, code: str) -> None:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/track", timeout=30).read().decode()
    token = CSRF.search(page).group(1)
    data = urllib.parse.urlencode({"code": code, "csrf_token": token}).encode()
    try:
        opener.open(f"{base}/track", data=data, timeout=30).read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"/track answered {error.code}") from None

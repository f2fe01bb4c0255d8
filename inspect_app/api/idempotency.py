"""The Idempotency-Key header on every POST of the API and of Open311.

The first request with a key claims it (a row, committed at once); it runs, and its
answer is stored with what it created, in the same commit. A retry with the same
key and body gets that answer back; with another body, 422. A retry that arrives
while the first is still running waits for its answer a little, then gets 409 with
Retry-After. A request that fails (an error, a 4xx) releases its claim, so a retry
runs it again — a refused request created nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, g, request
from flask_babel import lazy_gettext as _l

from inspect_app.api import services
from inspect_app.api.auth import bearer_secret
from inspect_app.api.problems import problem
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Any unique string (a UUID): a retry with the same key and body "
    "returns the first answer and creates nothing new.",
}


def _scope() -> str:
    """Keys are per credential (a partner's keys cannot meet another's), or shared
    by anonymous callers: a random key is as hard to guess as a tracking code."""
    secret = bearer_secret()
    if secret:
        return "cred:" + services.hash_secret(secret)[:32]
    return "public"


def _body_fingerprint() -> str:
    """The request's content: the raw body, or for multipart/form-data its fields
    and files' digests (a client's retry may choose another boundary)."""
    if request.mimetype != "multipart/form-data":
        return services.request_hash(request.method, request.path, request.get_data(cache=True))
    parts = [f"f:{name}={value}" for name, value in request.form.items(multi=True)]
    for name, upload in request.files.items(multi=True):
        digest = hashlib.sha256()
        while chunk := upload.stream.read(65536):
            digest.update(chunk)
        upload.stream.seek(0)
        parts.append(f"u:{name}={upload.filename}:{digest.hexdigest()}")
    canonical = "\n".join(sorted(parts)).encode()
    return services.request_hash(request.method, request.path, canonical)


def idempotent(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return _run_once(view, args, kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            return problem(
                400,
                detail=str(_l("The Idempotency-Key must be 1 to 255 characters.")),
                kind="idempotency-key",
            )
        scope, fingerprint = _scope(), _body_fingerprint()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                claimed = services.claim_key(scope, key, fingerprint, utcnow())
            except services.IdempotencyMismatch:
                db.session.rollback()
                return problem(
                    422,
                    detail=str(_l("This Idempotency-Key was used with another request.")),
                    kind="idempotency-mismatch",
                )
            except services.IdempotencyInProgress:
                db.session.rollback()
                if time.monotonic() >= deadline:
                    return problem(
                        409,
                        detail=str(_l("The first request with this key is still running.")),
                        kind="idempotency-in-progress",
                        headers={"Retry-After": "1"},
                        extra={"retry_after": 1},
                    )
                time.sleep(POLL_SECONDS)
                continue
            if isinstance(claimed, services.Replay):
                db.session.rollback()
                return _replayed(claimed)
            claim_id = claimed.id
            db.session.commit()
            break
        return _run(view, args, kwargs, scope, key, claim_id)

    return wrapped


def _run_once(view, args, kwargs) -> Response:
    """Without a key: the view's changes are committed when it succeeds."""
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except BaseException:
        db.session.rollback()
        raise
    if response.status_code >= 300:
        db.session.rollback()
    else:
        db.session.commit()
    return response


def _run(view, args, kwargs, scope: str, key: str, claim_id: int) -> Response:
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except BaseException:
        _release(scope, key)
        raise
    if response.status_code >= 300:
        _release(scope, key)
        return response
    claim = db.session.get(services.IdempotentRequest, claim_id)
    headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
    services.complete_claim(
        claim,
        scope,
        key,
        services.Replay(response.status_code, headers, response.get_data(as_text=True)),
    )
    db.session.commit()
    return response


def _release(scope: str, key: str) -> None:
    db.session.rollback()
    services.release_claim(scope, key)
    db.session.commit()


def _replayed(replay: services.Replay) -> Response:
    response = current_app.response_class(replay.body, status=replay.status)
    for name, value in replay.headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Cache-Control"] = "no-store"
    g.idempotent_replay = True
    return response

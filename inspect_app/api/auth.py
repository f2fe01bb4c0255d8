"""Who calls the API: a partner key or a staff token in `Authorization: Bearer …`,
checked on every request (a revoked or expired one is refused at once). A browser's
session cookie never authenticates the API."""

from __future__ import annotations

import hashlib

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_smorest import abort

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Permission
from inspect_app.api.models import ApiCredential, CredentialKind, Scope
from inspect_app.api.services import find_live_credential, record_use
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="inspect_app"'}


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def rate_key() -> str:
    """Rate limits count per key or token when one is sent, else per address."""
    secret = bearer_secret()
    if secret:
        return "api-key:" + hashlib.sha256(secret.encode()).hexdigest()[:24]
    return "api-addr:" + (get_remote_address() or "")


def _unauthorized() -> None:
    abort(401, headers=CHALLENGE)


def _authenticate(secret: str | None) -> ApiCredential:
    """The live credential for this request (cached on `g`), or 401."""
    if "api_credential" in g:
        return g.api_credential
    credential = find_live_credential(secret or "") if secret else None
    if credential is None:
        _unauthorized()
    record_use(credential, method=request.method, endpoint=request.path, now=utcnow())
    # Committed now: the use is on record whatever the request's outcome, and the
    # audit chain's lock is not held while the request runs.
    db.session.commit()
    g.api_credential = credential
    return credential


def partner_or_none(scope: Scope) -> ApiCredential | None:
    """For public operations: nobody, or a live partner key with `scope`."""
    secret = bearer_secret()
    if secret is None:
        return None
    credential = _authenticate(secret)
    if credential.kind != CredentialKind.PARTNER or scope not in credential.scope_set:
        abort(403, message=str(_l("This key does not allow this operation.")))
    return credential


def partner_by_key(secret: str | None, scope: Scope) -> ApiCredential:
    """Open311's `api_key` parameter: a live partner key with `scope`, or 401/403."""
    credential = _authenticate(secret)
    if credential.kind != CredentialKind.PARTNER or scope not in credential.scope_set:
        abort(403, message=str(_l("This key does not allow this operation.")))
    return credential


def staff_user(scope: Scope, permission: Permission = Permission.VIEW_CASES) -> User:
    """The officer behind a live staff token with `scope` whose role grants
    `permission`; 401 without one, 403 when the token or the role falls short."""
    credential = _authenticate(bearer_secret())
    if credential.kind != CredentialKind.STAFF:
        abort(403, message=str(_l("This operation needs a staff token.")))
    if scope not in credential.scope_set:
        abort(403, message=str(_l("This token does not allow this operation.")))
    user = credential.user
    if not user.can(permission):
        abort(403)
    return user

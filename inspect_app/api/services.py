"""API credentials and idempotent requests: the rules, as plain functions.

Partner keys and staff tokens are random secrets shown once; only their SHA-256 is
stored. Every creation, revocation and use is an audit event naming its actor.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Permission
from inspect_app.api.models import (
    PARTNER_SCOPES,
    STAFF_SCOPES,
    ApiCredential,
    CredentialKind,
    IdempotentRequest,
    PartnerChannel,
    Scope,
)
from inspect_app.audit.services import record_event
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.geo.models import Province
from inspect_app.text import normalize_text

TOKEN_PREFIXES = {CredentialKind.PARTNER: "ipk_", CredentialKind.STAFF: "ist_"}
MAX_STAFF_TOKEN_DAYS = 90
IDEMPOTENCY_HOURS = 24


class CredentialError(ValueError):
    """A refused credential change; the message is user-facing."""


@dataclass
class Issued:
    credential: ApiCredential
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(kind: CredentialKind) -> str:
    return TOKEN_PREFIXES[kind] + secrets.token_urlsafe(32)


def _scopes(chosen: Iterable[str], allowed: tuple[Scope, ...]) -> str:
    picked = []
    for value in chosen:
        try:
            scope = Scope(value)
        except ValueError:
            raise CredentialError(_l("Choose scopes from the list.")) from None
        if scope not in allowed:
            raise CredentialError(_l("Choose scopes from the list."))
        if scope not in picked:
            picked.append(scope)
    if not picked:
        raise CredentialError(_l("Choose at least one scope."))
    return " ".join(s.value for s in picked)


def _expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise CredentialError(_l("The expiry must be in the future."))


def _issue(credential: ApiCredential, kind: CredentialKind) -> Issued:
    secret = _new_secret(kind)
    credential.kind = kind.value
    credential.secret_hash = hash_secret(secret)
    credential.prefix = secret[len(TOKEN_PREFIXES[kind]) :][:8]
    db.session.add(credential)
    db.session.flush()
    return Issued(credential=credential, secret=secret)


def create_partner_key(
    admin: User,
    *,
    name: str,
    scopes: Iterable[str],
    channel: str,
    province_code: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Issued:
    """A key for a partner's system (hotline, app, platform); audited."""
    now = now or utcnow()
    if not admin.can(Permission.MANAGE_SETTINGS):
        raise CredentialError(_l("Only administrators create partner keys."))
    name = normalize_text(name)
    if not name or len(name) > 120:
        raise CredentialError(_l("Give the partner's name (up to 120 characters)."))
    try:
        channel = PartnerChannel(channel).value
    except ValueError:
        raise CredentialError(_l("Choose a channel from the list.")) from None
    if province_code is not None and db.session.get(Province, province_code) is None:
        raise CredentialError(_l("Choose a province or city from the list."))
    _expiry(expires_at, now)
    issued = _issue(
        ApiCredential(
            name=name,
            scopes=_scopes(scopes, PARTNER_SCOPES),
            channel=channel,
            province_code=province_code,
            created_by_id=admin.id,
            created_at=now,
            expires_at=expires_at,
        ),
        CredentialKind.PARTNER,
    )
    _audit("api.key_created", admin, issued.credential, now)
    return issued


def create_staff_token(
    user: User,
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    now: datetime | None = None,
) -> Issued:
    """An officer's personal token: scoped, expiring (at most 90 days), revocable."""
    now = now or utcnow()
    if not user.can(Permission.VIEW_CASES):
        raise CredentialError(_l("Only officers who work on cases can create API tokens."))
    name = normalize_text(name)
    if not name or len(name) > 120:
        raise CredentialError(_l("Give the token a name (up to 120 characters)."))
    _expiry(expires_at, now)
    if expires_at > now + timedelta(days=MAX_STAFF_TOKEN_DAYS):
        raise CredentialError(_l("A token lasts at most %(n)d days.", n=MAX_STAFF_TOKEN_DAYS))
    issued = _issue(
        ApiCredential(
            name=name,
            scopes=_scopes(scopes, STAFF_SCOPES),
            user_id=user.id,
            created_by_id=user.id,
            created_at=now,
            expires_at=expires_at,
        ),
        CredentialKind.STAFF,
    )
    _audit("api.token_created", user, issued.credential, now)
    return issued


def revoke_credential(actor: User, credential: ApiCredential, *, now: datetime | None = None):
    """Revoke at once: the next request with it gets 401. Audited; a second
    revocation changes nothing."""
    now = now or utcnow()
    if credential.revoked_at is not None:
        return
    credential.revoked_at = now
    credential.revoked_by_id = actor.id
    action = "api.key_revoked" if credential.kind == CredentialKind.PARTNER else "api.token_revoked"
    _audit(action, actor, credential, now)


def _audit(action: str, actor: User, credential: ApiCredential, now: datetime) -> None:
    record_event(
        actor=actor,
        action=action,
        data={
            "credential": credential.id,
            "label": credential.label,
            "name": credential.name,
            "scopes": credential.scopes,
            "channel": credential.channel,
            "province": credential.province_code,
            "expires_at": credential.expires_at.isoformat() if credential.expires_at else None,
        },
        at=now,
    )


def _credentials(kind: CredentialKind, *conditions) -> list[ApiCredential]:
    """Credentials of one kind, newest first."""
    statement = (
        select(ApiCredential)
        .where(ApiCredential.kind == kind.value, *conditions)
        .order_by(ApiCredential.created_at.desc(), ApiCredential.id.desc())
    )
    return list(db.session.scalars(statement))


def partner_keys() -> list[ApiCredential]:
    return _credentials(CredentialKind.PARTNER)


def staff_tokens(user: User) -> list[ApiCredential]:
    return _credentials(CredentialKind.STAFF, ApiCredential.user_id == user.id)


def find_live_credential(secret: str, now: datetime | None = None) -> ApiCredential | None:
    """The credential this secret opens, if it is neither revoked nor expired (and,
    for a staff token, its officer is still active)."""
    now = now or utcnow()
    if not secret or len(secret) > 200:
        return None
    credential = db.session.scalar(
        select(ApiCredential).where(ApiCredential.secret_hash == hash_secret(secret))
    )
    if credential is None or not credential.is_live(now):
        return None
    if credential.kind == CredentialKind.STAFF and not (
        credential.user is not None and credential.user.active
    ):
        return None
    return credential


def record_use(credential: ApiCredential, *, method: str, endpoint: str, now: datetime) -> None:
    """Every use of a key or token, in the audit log under the credential's name
    (a staff token under its officer)."""
    credential.last_used_at = now
    staff = credential.kind == CredentialKind.STAFF
    record_event(
        actor=credential.user if staff else None,
        actor_label=None if staff else credential.label,
        action="api.token_used" if staff else "api.key_used",
        data={"credential": credential.id, "method": method, "endpoint": endpoint},
        at=now,
    )


# Idempotency-Key


class IdempotencyMismatch(Exception):
    """The key was used before with another request."""


class IdempotencyInProgress(Exception):
    """The first request with this key is still running."""


@dataclass
class Replay:
    status: int
    headers: dict[str, str]
    body: str


def key_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"idempotency|{scope}|{key}".encode()).hexdigest()


def _cipher(scope: str, key: str) -> Fernet:
    """The key that encrypts a stored answer, derived from the Idempotency-Key the
    client holds (a different derivation from the lookup hash)."""
    digest = hashlib.sha256(f"idempotency-answer|{scope}|{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def request_hash(method: str, path: str, body: bytes) -> str:
    hasher = hashlib.sha256(f"{method} {path}\n".encode())
    hasher.update(body)
    return hasher.hexdigest()


def claim_key(scope: str, key: str, fingerprint: str, now: datetime) -> IdempotentRequest | Replay:
    """Claim the key for this request (a row with no answer yet), or return the
    first request's answer. The unique (scope, key) constraint decides between
    concurrent claims: INSERT … ON CONFLICT DO NOTHING on both engines.

    Raises IdempotencyMismatch when the key came with another request, and
    IdempotencyInProgress when its first request has not finished."""
    digest = key_hash(scope, key)
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(IdempotentRequest)
        .values(
            scope=scope,
            key_hash=digest,
            request_hash=fingerprint,
            created_at=now,
            expires_at=now + timedelta(hours=IDEMPOTENCY_HOURS),
        )
        .on_conflict_do_nothing(index_elements=["scope", "key_hash"])
        .returning(IdempotentRequest.id)
    )
    claimed = db.session.scalar(statement)
    if claimed is not None:
        return db.session.get(IdempotentRequest, claimed)
    existing = db.session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.scope == scope, IdempotentRequest.key_hash == digest
        )
    )
    if existing is None:  # purged between the two statements: a fresh start
        raise IdempotencyInProgress()
    if existing.request_hash != fingerprint:
        raise IdempotencyMismatch()
    if existing.status is None or existing.response_enc is None:
        raise IdempotencyInProgress()
    try:
        stored = json.loads(_cipher(scope, key).decrypt(existing.response_enc.encode()))
    except InvalidToken:
        raise IdempotencyMismatch() from None
    return Replay(status=existing.status, headers=stored["headers"], body=stored["body"])


def complete_claim(claim: IdempotentRequest, scope: str, key: str, replay: Replay) -> None:
    """Store the answer with the claim; flushed with what the request created."""
    payload = json.dumps({"headers": replay.headers, "body": replay.body})
    claim.status = replay.status
    claim.response_enc = _cipher(scope, key).encrypt(payload.encode()).decode()
    db.session.flush()


def release_claim(scope: str, key: str) -> None:
    """Forget an unanswered claim (the request failed): a retry runs it again."""
    db.session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.scope == scope,
            IdempotentRequest.key_hash == key_hash(scope, key),
            IdempotentRequest.status.is_(None),
        )
    )


def purge_idempotent_requests(now: datetime | None = None) -> int:
    """Delete the answers kept past their 24 hours."""
    now = now or utcnow()
    result = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.expires_at < now))
    return result.rowcount or 0

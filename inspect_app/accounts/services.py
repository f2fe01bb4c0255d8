"""Account rules: creating users, logging in, lockout, sessions, TOTP, one-time
password links. Every security-relevant change is an audit event with its actor,
and the person whose account changed is told by e-mail."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from inspect_app.accounts import throttle
from inspect_app.accounts.models import (
    UNUSABLE_PASSWORD_PREFIX,
    Association,
    Office,
    PasswordLink,
    PasswordLinkPurpose,
    RecoveryCode,
    Team,
    User,
    team_wards,
)
from inspect_app.accounts.permissions import Role
from inspect_app.audit.services import record_event
from inspect_app.core.settings import REQUIRE_TOTP_FOR_ALL_STAFF, get_flag, set_flag
from inspect_app.core.web import format_datetime_vn
from inspect_app.crypto import decrypt_text, encrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.geo.models import Ward
from inspect_app.notify.emails import account_change_email, password_link_email
from inspect_app.notify.services import queue_account_message
from inspect_app.sealing.services import (
    create_officer_key,
    drop_officer_key,
    ensure_officer_key,
    may_hold_keys,
    relock_officer_key,
    revoke_unentitled,
)
from inspect_app.text import fold

MIN_PASSWORD_LENGTH = 10
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "inspect_app"
# What a person is told by e-mail when their account changes.
CHANGE_TITLES = {
    "created": _l("Your account was created"),
    "password_changed": _l("Your password was changed"),
    "password_reset": _l("Your password was reset by an administrator"),
    "password_set": _l("You set your password with a one-time link"),
    "totp_enabled": _l("Two-step verification was turned on"),
    "totp_disabled": _l("Two-step verification was turned off"),
    "totp_reset": _l("Two-step verification was reset by an administrator"),
    "recovery_codes": _l("New recovery codes were made"),
    "role": _l("Your role, team or office changed"),
    "deactivated": _l("Your account was deactivated"),
    "activated": _l("Your account was reactivated"),
    "unlocked": _l("Your account was unlocked"),
    "locked": _l("Your account was locked after too many failed logins"),
    "access_granted": _l("You were given access to sealed reporter data"),
}


class AccountError(ValueError):
    """A request about an account that breaks a rule; the message is user-facing."""


class LoginFailed(AccountError):
    pass


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _password_matches(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


MIN_PASSWORD_SCORE = 3  # zxcvbn: "safely unguessable"


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Long enough, not built on the user's own name or e-mail, and not a common or
    breached password or a simple pattern (zxcvbn's dictionaries and estimator)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    compact = _compact(password)
    local = email.split("@", 1)[0]
    whole = {part for part in (_compact(local), _compact(name)) if len(part) >= 4}
    if any(part in compact for part in whole):
        raise AccountError(_l("The password must not contain your name or e-mail address."))
    # Single syllables of a Vietnamese name ("lan", "tran") are everyday words: they
    # only weigh in zxcvbn's estimate, as dictionary words of the user's own.
    personal = [*whole, *fold(name).split(), *local.replace("_", ".").split(".")]
    if zxcvbn(password[:100], user_inputs=personal)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            _l(
                "This password is too easy to guess: it is a common password or a simple "
                "pattern. A few unrelated words make a strong one."
            )
        )


def _compact(text: str) -> str:
    """Accent-folded, lower case, letters and digits only: "Trần.Lan" → "tranlan"."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(_l("That is not a valid e-mail address.")) from None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


# --- audit and notices --------------------------------------------------------------


def _audit(action: str, actor: User | None, subject: User | None = None, **data) -> None:
    """A security event: who acted, on whose account."""
    if subject is not None:
        data |= {"subject": subject.id, "subject_email": subject.email}
    record_event(actor=actor, action=action, data=data)


def tell_user(user: User, change: str, *, by: User | None, now: datetime | None = None) -> None:
    """E-mail the owner of an account about a change to it (in the same transaction)."""
    now = now or utcnow()
    email = account_change_email(user, CHANGE_TITLES[change], by, format_datetime_vn(now))
    queue_account_message(user, change, email, now)


def _check_role_placement(
    role: Role, team: Team | None, office: Office | None, association: Association | None
) -> None:
    if role.needs_team and team is None:
        raise AccountError(_l("Inspectors and team leads must belong to a team."))
    if role.needs_office and office is None and team is None:
        raise AccountError(_l("A director must belong to an office."))
    if role is Role.ASSOCIATION_STAFF and team is not None:
        raise AccountError(_l("Association staff do not belong to a team."))


def create_user(
    *,
    email: str,
    role: Role | str,
    password: str | None = None,
    full_name: str = "",
    team: Team | None = None,
    office: Office | None = None,
    association: Association | None = None,
    actor: User | None = None,
) -> User:
    """Create a staff account, checking e-mail, password and the role's placement.

    Without a password (an administrator's page: they never choose one) the account
    waits for its owner to set one through an invitation link
    (`create_password_link`). With one (the `users create` command) the officer's
    key pair is made at once.
    """
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(_l("Unknown role.")) from None
    email = normalize_email(email)
    if find_user_by_email(email):
        raise AccountError(_l("A user with this e-mail address already exists."))
    if password is not None:
        check_password_strength(password, email=email, name=full_name)
    _check_role_placement(role, team, office, association)
    if role is Role.DIRECTOR and office is None and team is not None:
        office, team = team.office, None
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else UNUSABLE_PASSWORD_PREFIX,
        role=role.value,
        team=team,
        office=office,
        association=association,
        session_version=0,
        active=True,
        totp_enabled=False,
    )
    db.session.add(user)
    db.session.flush()
    _audit("account.created", actor, user, role=role.value, team=_code(team), office=_code(office))
    if password is not None and may_hold_keys(user):
        create_officer_key(user, password)
    return user


def _code(place: Team | Office | None) -> str | None:
    return place.code if place is not None else None


def update_user(
    user: User,
    *,
    role: Role | str,
    full_name: str,
    team: Team | None,
    office: Office | None,
    association: Association | None,
    actor: User | None = None,
) -> None:
    """Change a user's role and placement. A new scope ends their sessions and drops
    the sealed keys they are no longer entitled to; they are told by e-mail."""
    role = Role(role)
    _check_role_placement(role, team, office, association)
    before = {"role": user.role, "team": _code(user.team), "office": _code(user.office)}
    changed_scope = role.value != user.role or team != user.team or office != user.office
    changed_scope |= association != user.association
    user.role, user.full_name = role.value, full_name.strip()
    user.team, user.office, user.association = team, office, association
    db.session.flush()
    if not changed_scope:
        return
    end_all_sessions(user)
    after = {"role": user.role, "team": _code(team), "office": _code(office)}
    revoke_unentitled(user, actor=actor)
    if not may_hold_keys(user):
        drop_officer_key(user, actor=actor)
    _audit("account.updated", actor, user, before=before, after=after)
    tell_user(user, "role", by=actor)


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie this user holds, everywhere."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


_UNKNOWN_USER_HASH: dict[tuple[int, int], str] = {}


def dummy_hash() -> str:
    """A real hash of a random password, made once per process and cost setting, so
    an unknown e-mail costs exactly one verification, like a known one (warmed when
    the app starts: see `create_app`)."""
    cfg = current_app.config
    cost = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    if cost not in _UNKNOWN_USER_HASH:
        _UNKNOWN_USER_HASH[cost] = hash_password(secrets.token_urlsafe(16))
    return _UNKNOWN_USER_HASH[cost]


class Throttled(LoginFailed):
    """Too many failures: wait. The same answer whether the e-mail has an account."""

    def __init__(self, until: datetime, now: datetime) -> None:
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        super().__init__(_l("Too many failed attempts. Try again in %(n)d minutes.", n=minutes))


def _verify_once(user: User | None, password: str) -> bool:
    """One Argon2 verification whatever the case: against the user's hash, or a dummy
    one for an unknown e-mail or an account waiting for its first password."""
    usable = user is not None and user.has_usable_password
    try:
        matched = _hasher().verify(user.password_hash if usable else dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and usable


def _login_block(email: str, user: User | None, ip: str | None, now: datetime):
    """When this attempt may be made, if not now: the address's own block, or the
    account's — which an address the user logged in from before does not feel."""
    until = throttle.blocked_until(throttle.pair_key(email, ip), now)
    if until is not None:
        return until
    until = throttle.blocked_until(throttle.account_key(email), now)
    if until is not None and user is not None and throttle.is_known_address(user.id, ip, now):
        return None
    return until


def authenticate(
    email: str, password: str, *, ip: str | None = None, now: datetime | None = None
) -> User:
    """Check a password login, one Argon2 verification on every path.

    Every failure gives the same message, and the throttle counts per e-mail typed,
    so the answers do not reveal which addresses have accounts. Failures are audit
    events; a successful password check also makes sure an officer has a key pair
    (their password is known only now).
    """
    now = now or utcnow()
    user = find_user_by_email(email)
    matched = _verify_once(user, password)
    until = _login_block(email, user, ip, now)
    if until is not None:
        _audit("account.login_failed", None, user, reason="throttled", ip=ip)
        raise Throttled(until, now)
    if not matched:
        _record_login_failure(email, user, ip, now)
        raise LoginFailed(_l("Wrong e-mail address or password."))
    if not user.active:
        _audit("account.login_failed", None, user, reason="inactive", ip=ip)
        raise LoginFailed(_l("This account has been deactivated."))
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    throttle.clear(throttle.pair_key(email, ip), throttle.account_key(email))
    throttle.remember_address(user.id, ip, now)
    ensure_officer_key(user, password)
    return user


def _record_login_failure(email: str, user: User | None, ip: str | None, now: datetime) -> None:
    cfg = current_app.config
    account = throttle.account_key(email)
    reason = "unknown" if user is None else "password"
    _audit("account.login_failed", None, user, reason=reason, ip=ip)
    throttle.record_failure(
        throttle.pair_key(email, ip), now, cfg["LOGIN_MAX_FAILURES"], account=account
    )
    blocked = throttle.record_failure(account, now, cfg["LOGIN_ACCOUNT_MAX_FAILURES"])
    if blocked is not None and user is not None:
        _audit("account.locked", None, user, until=blocked.isoformat())
        tell_user(user, "locked", by=None, now=now)


def record_second_factor_failure(user: User, ip: str | None) -> None:
    _audit("account.login_failed", None, user, reason="second_factor", ip=ip)


def record_login(user: User, *, ip: str | None = None, method: str = "password") -> None:
    user.last_login_at = utcnow()
    db.session.flush()
    _audit("account.login", user, ip=ip, method=method)


def _reauth_key(user: User) -> str:
    return throttle.account_key(f"reauth:{user.id}")


def reauthenticate(user: User, password: str, code: str | None, *, purpose: str) -> None:
    """Ask again for what proves it is this user, before an action that needs it: the
    password and, where enrolled, a two-step code. Failures are throttled like
    logins and audited (the caller commits them)."""
    now = utcnow()
    key = _reauth_key(user)
    matched = _verify_once(user, password)
    until = throttle.blocked_until(key, now)
    if until is not None:
        raise Throttled(until, now)
    if matched and user.totp_enabled:
        matched = verify_second_factor(user, code or "")
    if not matched:
        _audit("account.reauth_failed", user, user, purpose=purpose)
        throttle.record_failure(key, now, current_app.config["LOGIN_MAX_FAILURES"])
        raise AccountError(_l("The password or the two-step code is wrong."))
    throttle.clear(key)


def unlock_user(user: User, *, actor: User | None = None) -> None:
    """Lift the blocks failed attempts put on an account (they also expire alone)."""
    throttle.clear_account(user.email, user.id)
    throttle.clear(_reauth_key(user))
    db.session.flush()
    _audit("account.unlocked", actor, user)
    tell_user(user, "unlocked", by=actor)


def set_user_active(user: User, active: bool, *, actor: User | None = None) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all_sessions(user)
    db.session.flush()
    change = "activated" if active else "deactivated"
    _audit(f"account.{change}", actor, user)
    tell_user(user, change, by=actor)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The user changes their own password: their key pair stays theirs (locked
    anew), every other session ends."""
    if not _password_matches(user, current_password):
        _audit("account.reauth_failed", user, user, purpose="password_change")
        raise AccountError(_l("The current password is wrong."))
    check_password_strength(new_password, email=user.email, name=user.full_name)
    relock_officer_key(user, current_password, new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    _audit("account.password_changed", user, user)
    tell_user(user, "password_changed", by=user)


# --- one-time password links ---------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_password_link(
    user: User,
    purpose: PasswordLinkPurpose,
    *,
    actor: User | None,
    base_url: str,
    now: datetime | None = None,
) -> str:
    """A one-time link with which `user` sets their own password; it is e-mailed to
    them and returned so an administrator can hand it over in person. Earlier
    unused links of the user stop working."""
    now = now or utcnow()
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    for link in db.session.scalars(
        select(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
    ):
        link.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordLink(
            user_id=user.id,
            token_hash=_hash_token(token),
            purpose=purpose.value,
            created_by_id=actor.id if actor else None,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    url = f"{base_url.rstrip('/')}/account/set-password/{token}"
    invitation = purpose is PasswordLinkPurpose.INVITATION
    queue_account_message(
        user, f"link:{purpose.value}", password_link_email(user, url, invitation, hours), now
    )
    db.session.flush()
    return url


def find_password_link(token: str, *, now: datetime | None = None) -> PasswordLink | None:
    """The valid (unused, unexpired) link for `token`, if any."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        select(PasswordLink).where(PasswordLink.token_hash == _hash_token(token))
    )
    now = now or utcnow()
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.active:
        return None
    return link


def set_password_by_link(
    link: PasswordLink, new_password: str, *, now: datetime | None = None
) -> User:
    """The user chose their password: a fresh key pair (no access to anything sealed
    before until it is granted), the account unlocked, every session ended."""
    now = now or utcnow()
    user = link.user
    check_password_strength(new_password, email=user.email, name=user.full_name)
    link.used_at = now
    drop_officer_key(user, actor=user)
    user.password_hash = hash_password(new_password)
    throttle.clear_account(user.email, user.id)
    end_all_sessions(user)
    if may_hold_keys(user):
        create_officer_key(user, new_password, now=now)
    _audit("account.password_set", user, user, via=link.purpose)
    tell_user(user, "password_set", by=user, now=now)
    return user


def reset_password(user: User, *, actor: User, base_url: str) -> str:
    """An administrator resets a password without choosing one: the old password
    stops working, the key pair and every sealed key wrapped to it are dropped (an
    administrator who takes over the account learns nothing), and the user gets a
    one-time link to choose a new password."""
    user.password_hash = UNUSABLE_PASSWORD_PREFIX
    end_all_sessions(user)
    dropped = drop_officer_key(user, actor=actor)
    url = create_password_link(user, PasswordLinkPurpose.RESET, actor=actor, base_url=base_url)
    _audit("account.password_reset", actor, user, keys_dropped=dropped)
    tell_user(user, "password_reset", by=actor)
    return url


def invite_user(user: User, *, actor: User, base_url: str) -> str:
    return create_password_link(
        user, PasswordLinkPurpose.INVITATION, actor=actor, base_url=base_url
    )


# --- Two-factor authentication -------------------------------------------------


def totp_required(user: User) -> bool:
    """Whether this user must have a second factor before using the app."""
    return user.role_enum.requires_totp or get_flag(REQUIRE_TOTP_FOR_ALL_STAFF)


def start_totp_enrolment(user: User) -> str:
    """Give the user a new (not yet active) TOTP secret and return it."""
    secret = pyotp.random_base32()
    user.totp_secret_enc = encrypt_text(secret)
    user.totp_enabled = False
    user.totp_last_step = None
    db.session.flush()
    return secret


def totp_secret(user: User) -> str | None:
    return decrypt_text(user.totp_secret_enc)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _accept_totp_code(user: User, code: str, at: float | None = None) -> bool:
    """Accept a 6-digit code once: the step it matched must be newer than the last one."""
    secret = totp_secret(user)
    code = "".join(code.split())
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current_step = int(now // totp.interval)
    for step in (current_step - 1, current_step, current_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            db.session.flush()
            return True
    return False


def confirm_totp_enrolment(user: User, code: str, at: float | None = None) -> list[str]:
    """Activate TOTP after the first valid code; returns fresh recovery codes."""
    if not _accept_totp_code(user, code, at):
        raise AccountError(_l("That code is not valid. Check the time on your phone and retry."))
    user.totp_enabled = True
    codes = _new_recovery_codes(user)
    _audit("account.totp_enabled", user, user)
    tell_user(user, "totp_enabled", by=user)
    return codes


def verify_second_factor(user: User, code: str, at: float | None = None) -> bool:
    """A TOTP code or an unused recovery code; either works once. Failures are
    counted per account, whatever the address or the half-finished login they come
    from: past LOGIN_MAX_FAILURES the account waits (Throttled), growing delays."""
    if not user.totp_enabled:
        return False
    now = utcnow()
    key = throttle.second_factor_key(user.id)
    until = throttle.blocked_until(key, now)
    if until is not None:
        raise Throttled(until, now)
    if _accept_totp_code(user, code, at) or _use_recovery_code(user, code):
        throttle.clear(key)
        return True
    throttle.record_failure(key, now, current_app.config["LOGIN_MAX_FAILURES"])
    return False


def _clear_totp(user: User) -> None:
    user.totp_enabled = False
    user.totp_secret_enc = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    db.session.flush()


def disable_totp(user: User) -> None:
    """The user turns two-step verification off (where it is not mandatory)."""
    _clear_totp(user)
    _audit("account.totp_disabled", user, user)
    tell_user(user, "totp_disabled", by=user)


def reset_totp(user: User, *, actor: User) -> None:
    """An administrator resets a lost second factor. As with a password reset, the
    user's key pair is dropped: whoever enrols the new factor gains nothing sealed."""
    _clear_totp(user)
    end_all_sessions(user)
    dropped = drop_officer_key(user, actor=actor)
    _audit("account.totp_reset", actor, user, keys_dropped=dropped)
    tell_user(user, "totp_reset", by=actor)


def _hash_recovery_code(code: str) -> str:
    canonical = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(canonical.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes.clear()
    db.session.flush()
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash_recovery_code(c)) for c in codes)
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    _audit("account.recovery_codes", user, user)
    tell_user(user, "recovery_codes", by=user)
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    wanted = _hash_recovery_code(code)
    for rc in user.recovery_codes:
        if rc.used_at is None and secrets.compare_digest(rc.code_hash, wanted):
            rc.used_at = utcnow()
            db.session.flush()
            return True
    return False


# --- Settings ------------------------------------------------------------------------


def change_setting(name: str, enabled: bool, *, actor: User) -> bool:
    """Change a run-time flag; audited when it really changes."""
    before = get_flag(name)
    if before == enabled:
        return False
    set_flag(name, enabled)
    _audit("settings.changed", actor, setting=name, before=before, after=enabled)
    return True


# --- Teams ---------------------------------------------------------------------


def create_team(
    *,
    code: str,
    name: str,
    office: Office,
    is_ecommerce: bool = False,
    is_default: bool = False,
    actor: User | None = None,
) -> Team:
    code = code.strip().upper()
    if not code or not name.strip():
        raise AccountError(_l("A team needs a code and a name."))
    if db.session.scalar(select(Team).where(Team.code == code)):
        raise AccountError(_l("A team with this code already exists."))
    team = Team(
        code=code,
        name=name.strip(),
        office=office,
        is_ecommerce=is_ecommerce,
        is_default=is_default,
        active=True,
    )
    db.session.add(team)
    db.session.flush()
    if is_default:
        _make_only_default(team)
    _audit("team.created", actor, team=code, office=office.code)
    return team


def _make_only_default(team: Team) -> None:
    for other in team.office.teams:
        if other is not team:
            other.is_default = False
    db.session.flush()


def update_team(
    team: Team, *, name: str, is_ecommerce: bool, is_default: bool, actor: User | None = None
) -> None:
    if not name.strip():
        raise AccountError(_l("A team needs a code and a name."))
    team.name, team.is_ecommerce, team.is_default = name.strip(), is_ecommerce, is_default
    if is_default:
        _make_only_default(team)
    db.session.flush()
    _audit("team.updated", actor, team=team.code, ecommerce=is_ecommerce, default=is_default)


def set_team_jurisdiction(
    team: Team, ward_codes: Iterable[int], *, actor: User | None = None
) -> None:
    """Replace the team's wards. Wards must lie in the office's province and may not
    already belong to another team (a ward routes to exactly one team)."""
    codes = set(ward_codes)
    wards = db.session.scalars(select(Ward).where(Ward.code.in_(codes))).all() if codes else []
    if len(wards) != len(codes):
        raise AccountError(_l("Unknown commune or ward."))
    if any(w.province_code != team.office.province_code for w in wards):
        raise AccountError(_l("A team's wards must lie in its office's province."))
    taken = db.session.execute(
        select(team_wards.c.ward_code, Team.name)
        .join(Team, Team.id == team_wards.c.team_id)
        .where(team_wards.c.ward_code.in_(codes), team_wards.c.team_id != team.id)
    ).first()
    if taken:
        raise AccountError(
            _l(
                "A ward already belongs to team %(team)s (code %(code)s).",
                team=taken[1],
                code=taken[0],
            )
        )
    team.wards = sorted(wards, key=lambda w: w.name)
    db.session.flush()
    _audit("team.jurisdiction", actor, team=team.code, wards=sorted(codes))

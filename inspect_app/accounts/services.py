"""Account rules: creating users, logging in, lockout, sessions, TOTP."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from collections.abc import Iterable

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from inspect_app.accounts.models import Association, Office, RecoveryCode, Team, User, team_wards
from inspect_app.accounts.permissions import Role
from inspect_app.core.settings import REQUIRE_TOTP_FOR_ALL_STAFF, get_flag
from inspect_app.crypto import decrypt_text, encrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.geo.models import Ward

MIN_PASSWORD_LENGTH = 10
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "inspect_app"


class AccountError(ValueError):
    """A request about an account that breaks a rule; the message is user-facing."""


class LoginFailed(AccountError):
    pass


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(_l("That is not a valid e-mail address.")) from None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


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
    password: str,
    role: Role | str,
    full_name: str = "",
    team: Team | None = None,
    office: Office | None = None,
    association: Association | None = None,
) -> User:
    """Create a staff account, checking e-mail, password and the role's placement."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(_l("Unknown role.")) from None
    email = normalize_email(email)
    if find_user_by_email(email):
        raise AccountError(_l("A user with this e-mail address already exists."))
    check_password_strength(password)
    _check_role_placement(role, team, office, association)
    if role is Role.DIRECTOR and office is None and team is not None:
        office, team = team.office, None
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role.value,
        team=team,
        office=office,
        association=association,
        session_version=0,
        failed_logins=0,
        active=True,
        totp_enabled=False,
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    role: Role | str,
    full_name: str,
    team: Team | None,
    office: Office | None,
    association: Association | None,
) -> None:
    role = Role(role)
    _check_role_placement(role, team, office, association)
    changed_scope = role.value != user.role or team != user.team or office != user.office
    user.role, user.full_name = role.value, full_name.strip()
    user.team, user.office, user.association = team, office, association
    if changed_scope:
        end_all_sessions(user)
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie this user holds, everywhere."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def authenticate(email: str, password: str) -> User:
    """Check a password login. Counts failures and locks the account after too many.

    Every failure gives the same message, so the form does not reveal which
    e-mail addresses have accounts; a locked account says so only when the
    password was right.
    """
    user = find_user_by_email(email)
    hasher = _hasher()
    if user is None:
        # Spend the same time as a real check.
        with contextlib.suppress(VerificationError):
            hasher.verify(hasher.hash("x" * MIN_PASSWORD_LENGTH), password + "!")
        raise LoginFailed(_l("Wrong e-mail address or password."))
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _record_failure(user)
        raise LoginFailed(_l("Wrong e-mail address or password.")) from None
    if user.is_locked:
        raise LoginFailed(
            _l("This account is locked after too many failed logins. Ask an administrator.")
        )
    if not user.active:
        raise LoginFailed(_l("This account has been deactivated."))
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    db.session.flush()
    return user


def _record_failure(user: User) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"] and not user.is_locked:
        user.locked_at = utcnow()
    db.session.flush()


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


def unlock_user(user: User) -> None:
    user.locked_at = None
    user.failed_logins = 0
    db.session.flush()


def set_user_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_all_sessions(user)
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> None:
    try:
        _hasher().verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AccountError(_l("The current password is wrong.")) from None
    set_password(user, new_password)


def set_password(user: User, new_password: str) -> None:
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


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
    return regenerate_recovery_codes(user)


def verify_second_factor(user: User, code: str, at: float | None = None) -> bool:
    """A TOTP code or an unused recovery code; either works once."""
    if not user.totp_enabled:
        return False
    if _accept_totp_code(user, code, at):
        return True
    return _use_recovery_code(user, code)


def disable_totp(user: User) -> None:
    user.totp_enabled = False
    user.totp_secret_enc = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    db.session.flush()


def _hash_recovery_code(code: str) -> str:
    canonical = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(canonical.encode()).hexdigest()


def regenerate_recovery_codes(user: User) -> list[str]:
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


def _use_recovery_code(user: User, code: str) -> bool:
    wanted = _hash_recovery_code(code)
    for rc in user.recovery_codes:
        if rc.used_at is None and secrets.compare_digest(rc.code_hash, wanted):
            rc.used_at = utcnow()
            db.session.flush()
            return True
    return False


# --- Teams ---------------------------------------------------------------------


def create_team(
    *, code: str, name: str, office: Office, is_ecommerce: bool = False, is_default: bool = False
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
    return team


def _make_only_default(team: Team) -> None:
    for other in team.office.teams:
        if other is not team:
            other.is_default = False
    db.session.flush()


def update_team(team: Team, *, name: str, is_ecommerce: bool, is_default: bool) -> None:
    if not name.strip():
        raise AccountError(_l("A team needs a code and a name."))
    team.name, team.is_ecommerce, team.is_default = name.strip(), is_ecommerce, is_default
    if is_default:
        _make_only_default(team)
    db.session.flush()


def set_team_jurisdiction(team: Team, ward_codes: Iterable[int]) -> None:
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

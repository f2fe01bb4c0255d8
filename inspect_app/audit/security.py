"""Security events: logins, account and setting changes, keys, reveals, exports —
the part of the audit log that directors watch over their office's people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from inspect_app.accounts.models import Team, User
from inspect_app.audit.models import AuditEvent
from inspect_app.cases.models import Case
from inspect_app.extensions import db

SCAN_LIMIT = 5_000
PAGE_SIZE = 50

SECURITY_TITLES = {
    "account.login": _l("Logged in"),
    "account.login_failed": _l("Failed login"),
    "account.locked": _l("Account locked"),
    "account.reauth_failed": _l("Wrong password or code when asked again"),
    "account.unlocked": _l("Account unlocked"),
    "account.created": _l("Account created"),
    "account.updated": _l("Role, team or office changed"),
    "account.activated": _l("Account reactivated"),
    "account.deactivated": _l("Account deactivated"),
    "account.password_changed": _l("Password changed"),
    "account.password_reset": _l("Password reset by an administrator"),
    "account.password_set": _l("Password set with a one-time link"),
    "account.totp_enabled": _l("Two-step verification turned on"),
    "account.totp_disabled": _l("Two-step verification turned off"),
    "account.totp_reset": _l("Two-step verification reset"),
    "account.recovery_codes": _l("Recovery codes replaced"),
    "settings.changed": _l("Setting changed"),
    "team.created": _l("Team created"),
    "team.updated": _l("Team changed"),
    "team.jurisdiction": _l("Team jurisdiction changed"),
    "keys.officer_key_created": _l("Key pair created"),
    "keys.officer_key_dropped": _l("Key pair dropped"),
    "keys.grant": _l("Access to sealed data given"),
    "keys.revoked": _l("Access to sealed data taken away"),
    "keys.recovery_created": _l("Recovery key created"),
    "keys.recovery_rotated": _l("Recovery key replaced"),
    "identity.reveal": _l("Reporter identity viewed"),
    "identity.reveal_refused": _l("Reporter identity refused"),
    "identity.withdrawn": _l("Reporter withdrew contact details"),
    "identity.viewed_by_reporter": _l("Reporter viewed their own data"),
    "evidence.download_original": _l("Original evidence downloaded"),
    "evidence.download_original_refused": _l("Original evidence refused"),
    "retention.destroyed": _l("Personal data destroyed (retention)"),
    "retention.rule_changed": _l("Retention period changed"),
    "case.legal_hold": _l("Legal hold placed"),
    "case.legal_hold_released": _l("Legal hold released"),
}


def _starting(*prefixes: str) -> tuple[str, ...]:
    return tuple(action for action in SECURITY_TITLES if action.startswith(prefixes))


GROUPS = {
    "logins": (
        "account.login",
        "account.login_failed",
        "account.locked",
        "account.unlocked",
        "account.reauth_failed",
    ),
    "accounts": _starting("account.", "team.", "settings."),
    "keys": _starting("keys."),
    "identity": _starting("identity.", "evidence.", "retention.", "case.legal_hold"),
}


@dataclass(frozen=True)
class SecurityFilter:
    group: str = ""
    person: str = ""  # part of an e-mail address, actor or subject
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None


def _people_of(director: User) -> set[int]:
    office = director.office_of_scope
    if office is None:
        return set()
    teams = select(Team.id).where(Team.office_id == office.id)
    query = select(User.id).where(or_(User.office_id == office.id, User.team_id.in_(teams)))
    return set(db.session.scalars(query))


def _visible(event: AuditEvent, province: int | None, people: set[int], case_province) -> bool:
    """A director sees events about their office's people and cases, and events that
    name nobody (failed logins of unknown addresses, recovery keys, settings)."""
    if event.case_id is not None:
        return case_province == province
    subject = event.data.get("subject")
    if event.actor_id in people or subject in people:
        return True
    names_nobody = event.actor_id is None and subject is None
    return names_nobody or event.action.startswith(("settings.", "retention."))


def security_events(viewer: User, wanted: SecurityFilter) -> list[tuple[AuditEvent, str]]:
    """Up to PAGE_SIZE security events the viewer may see, newest first, with the
    subject's e-mail (scanning at most SCAN_LIMIT events per page)."""
    actions = GROUPS.get(wanted.group) or tuple(SECURITY_TITLES)
    query = (
        select(AuditEvent, Case.province_code)
        .outerjoin(Case, Case.id == AuditEvent.case_id)
        .where(AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq.desc())
        .limit(SCAN_LIMIT)
    )
    if wanted.before_seq is not None:
        query = query.where(AuditEvent.seq < wanted.before_seq)
    if wanted.since is not None:
        query = query.where(AuditEvent.occurred_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.occurred_at < wanted.until)
    office = viewer.office_of_scope
    province = office.province_code if office else None
    people = _people_of(viewer)
    person = wanted.person.strip().lower()
    found = []
    for event, case_province in db.session.execute(query):
        if not _visible(event, province, people, case_province):
            continue
        subject = str(event.data.get("subject_email") or "")
        if person and person not in event.actor_label.lower() and person not in subject.lower():
            continue
        found.append((event, subject))
        if len(found) == PAGE_SIZE:
            break
    return found

"""Work that arrives, announced: an in-app notice at once and an e-mail — at once or
in the officer's daily digest, as each officer chose per kind.

Called in the transaction that changes the case (`cases.transitions._finish`,
`cases.services.open_case`, and `reporter_added_information` for issue 14's
citizen follow-up), before the case is flushed, so the notice exists exactly when
the change does. Every notice and e-mail has a key naming the event (case, the
case's version before the change, kind, officer), inserted with ON CONFLICT DO
NOTHING: deciding twice adds nothing; the outbox sends it once, and keeps it
while SMTP is down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import func, select, update

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import Case
from inspect_app.extensions import db
from inspect_app.notify.emails import event_email, notice_digest_email
from inspect_app.notify.models import (
    Delivery,
    MessageKind,
    Notification,
    NotificationPreference,
)
from inspect_app.notify.services import (
    OfficerMessage,
    dialect_insert,
    insert_officer_messages,
    queued_keys,
)

DIGEST_LISTED = 25


@dataclass(frozen=True)
class Notice:
    """One officer to tell about one event."""

    user: User
    kind: MessageKind
    key: str


def deliveries(user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(officer id, kind) → the chosen delivery, for those who chose."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.kind,
            NotificationPreference.delivery,
        ).where(NotificationPreference.user_id.in_(ids))
    )
    return {(user_id, kind): delivery for user_id, kind, delivery in rows}


def preferences_of(user: User) -> dict[MessageKind, Delivery]:
    chosen = deliveries([user.id])
    return {
        kind: Delivery(chosen.get((user.id, kind.value), Delivery.IMMEDIATE.value))
        for kind in MessageKind
    }


def set_preferences(user: User, choices: dict[MessageKind, Delivery]) -> None:
    """Store the officer's choice per kind (an immediate e-mail needs no row)."""
    existing = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, delivery in choices.items():
        row = existing.get(kind.value)
        if delivery is Delivery.IMMEDIATE:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=kind.value, delivery=delivery.value)
            )
        else:
            row.delivery = delivery.value
    db.session.flush()


def team_leads(team_id: int | None) -> list[User]:
    if team_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == team_id, User.active, User.role == Role.TEAM_LEAD.value)
            .order_by(User.id)
        )
    )


def _send(
    notices: Sequence[Notice],
    case: Case,
    now: datetime,
    *,
    actor: User | None = None,
    **details,
) -> int:
    """Queue each notice: the in-app notice, and the e-mail now or for the digest.
    Returns how many were new."""
    notices = [n for n in notices if n.user.active and (actor is None or n.user.id != actor.id)]
    if not notices:
        return 0
    chosen = deliveries(n.user.id for n in notices)
    by = str(actor) if actor is not None else ""
    immediate, digest = [], []
    for notice in notices:
        delivery = chosen.get((notice.user.id, notice.kind.value), Delivery.IMMEDIATE.value)
        (digest if delivery == Delivery.DIGEST.value else immediate).append(notice)
    known = queued_keys(notice.key for notice in immediate)
    messages = [
        OfficerMessage(
            key=notice.key,
            kind=notice.kind,
            user=notice.user,
            case_id=case.id,
            build=partial(event_email, notice.user, notice.kind, case, by=by, **details),
        )
        for notice in immediate
        if notice.key not in known
    ]
    new = len(insert_officer_messages(messages, now)) if messages else 0
    for notice in digest:
        email = event_email(notice.user, notice.kind, case, by=by, **details)
        inserted = db.session.execute(
            dialect_insert()(Notification)
            .values(
                user_id=notice.user.id,
                case_id=case.id,
                kind=notice.kind.value,
                message=email.subject,
                created_at=now,
                event_key=notice.key,
                digest_pending=True,
            )
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(Notification.id)
        ).first()
        new += inserted is not None
    return new


def _key(kind: MessageKind, case: Case, user: User, version: int | None) -> str:
    step = f":v={version}" if version is not None else ""
    return f"{kind.value}:case={case.id}{step}:user={user.id}"


# --- the events -------------------------------------------------------------------


def case_assigned(
    case: Case, assignee: User, actor: User, now: datetime, *, reassigned: bool
) -> int:
    kind = MessageKind.ASSIGNED
    notice = Notice(assignee, kind, _key(kind, case, assignee, case.version))
    return _send([notice], case, now, actor=actor, reassigned=reassigned)


def case_reopened(case: Case, actor: User, now: datetime, *, reason: str, by_audit: bool) -> int:
    people = [case.assignee] if case.assignee is not None else []
    if by_audit or case.assignee is None:
        people += team_leads(case.team_id)
    kind = MessageKind.REOPENED
    notices = [Notice(u, kind, _key(kind, case, u, case.version)) for u in _unique(people)]
    return _send(notices, case, now, actor=actor, reason=reason)


def lead_needed(case: Case, kind: MessageKind, now: datetime, *, actor: User | None) -> int:
    """A team lead is needed: a new case to triage (TRIAGE) or a resolution to
    approve (APPROVAL); every lead of the case's team is told."""
    # The team as set on the case (a re-routed case's `team_id` follows at flush).
    leads = team_leads(case.team.id if case.team is not None else case.team_id)
    notices = [Notice(u, kind, _key(kind, case, u, case.version)) for u in leads]
    return _send(notices, case, now, actor=actor)


def reporter_added_information(
    case: Case, *, reference: str, now: datetime, answered: bool = False
) -> int:
    """The hook for the citizen follow-up (issue 14): a reporter added information
    to their report or answered an officer's question. `reference` names that
    addition (e.g. "followup=12") so that calling twice tells nobody twice.

    The assignee is told; without one, the team's leads."""
    people = [case.assignee] if case.assignee is not None else team_leads(case.team_id)
    kind = MessageKind.REPORTER_INFO
    notices = [
        Notice(u, kind, f"{kind.value}:case={case.id}:{reference}:user={u.id}") for u in people
    ]
    return _send(notices, case, now, answered=answered)


def _unique(users: Iterable[User]) -> list[User]:
    return list({u.id: u for u in users}.values())


# --- the daily digest of notices --------------------------------------------------


def queue_notice_digests(now: datetime, today: date) -> int:
    """One e-mail per officer listing the notices waiting for their digest, which
    stop waiting in the same transaction (so a second run adds nothing). Keyed per
    officer and day: notices that arrive after today's digest wait for tomorrow's."""
    waiting = select(Notification.user_id, func.count()).where(Notification.digest_pending)
    counts = {
        user_id: n for user_id, n in db.session.execute(waiting.group_by(Notification.user_id))
    }
    if not counts:
        return 0
    keys = {user_id: f"notices:user={user_id}:date={today}" for user_id in counts}
    done = queued_keys(keys.values())
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sorted(counts))))}
    messages, cleared = [], []
    for user_id, total in sorted(counts.items()):
        if keys[user_id] in done or user_id not in users:
            continue
        notices = list(
            db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.digest_pending)
                .order_by(Notification.created_at, Notification.id)
            )
        )
        listed = notices[:DIGEST_LISTED]
        user = users[user_id]
        messages.append(
            OfficerMessage(
                key=keys[user_id],
                kind=MessageKind.DIGEST,
                user=user,
                case_id=None,
                build=partial(notice_digest_email, user, today, listed, total),
                in_app=False,
            )
        )
        cleared += [n.id for n in notices]
    if not messages:
        return 0
    insert_officer_messages(messages, now)
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(cleared))
        .values(digest_pending=False)
        .execution_options(synchronize_session=False)
    )
    return len(messages)

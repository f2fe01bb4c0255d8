"""Carrying out the workflow's actions.

Each function: checks the actor's permission, role and jurisdiction against the
table in `workflow.py`, validates its fields, changes the case, writes one audit
event, recomputes deadlines and records what the reporter may see — then flushes.
The caller commits once, so either all of it happens or none of it. Concurrent
changes are caught by the case's version column and raised as `ConcurrentChange`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.audit.services import record_event
from inspect_app.cases.access import can_see_case
from inspect_app.cases.deadlines import extension_allowed, recompute_deadlines
from inspect_app.cases.models import (
    OPEN_STATUSES,
    Case,
    Outcome,
    PublicUpdate,
    RejectReason,
    TransferDestination,
)
from inspect_app.cases.workflow import (
    Action,
    CaseStatus,
    can_transition,
    move,
    reopen_by_audit_allowed,
)
from inspect_app.core.bounds import id_in_range
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify import officer_events
from inspect_app.notify.models import MessageKind
from inspect_app.notify.services import queue_reporter_updates
from inspect_app.text import normalize_text

MAX_TEXT = 4000


class WorkflowError(Exception):
    """A refused action; `str()` is the translated message for the user."""

    status_code = 400


class TransitionNotAllowed(WorkflowError):
    status_code = 409


class ConcurrentChange(WorkflowError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            _l("Someone else changed this case at the same time. Reload and try again.")
        )


def _require(user: User, case: Case, action: Action) -> None:
    if not can_transition(user, case, action):
        raise TransitionNotAllowed(
            _l(
                "“%(action)s” is not possible for you while the case is “%(status)s”.",
                action=action.title,
                status=case.status_enum.title,
            )
        )


def _text(value: str | None, message, *, required: bool = True) -> str:
    text = normalize_text(value)
    if required and not text:
        raise WorkflowError(message)
    if len(text) > MAX_TEXT:
        raise WorkflowError(_l("Text is limited to %(n)d characters.", n=MAX_TEXT))
    return text


def _finish(
    user: User,
    case: Case,
    action: Action,
    now: datetime,
    data: dict | None = None,
    public_message: str | None = None,
    notify: Callable[[], object] | None = None,
) -> None:
    """The common tail of every action, in the same transaction; `notify` queues
    the officers' notices (notify/officer_events.py) before the case is flushed."""
    move(case, action)
    case.last_activity_at = now
    # No autoflush before flush_case(): a lazy load or query here would flush the
    # case's UPDATE and let a lost race escape as a raw StaleDataError (a 500).
    with db.session.no_autoflush:
        if public_message is not None:
            case.public_updates.append(
                PublicUpdate(status=case.status, message=public_message, created_at=now)
            )
            queue_reporter_updates(case, now)
        recompute_deadlines(case, now)
        if notify is not None:
            notify()
    # The version check happens here; the audit append comes last because on
    # PostgreSQL it holds the chain lock until the commit.
    flush_case()
    record_event(actor=user, action=f"case.{action.value}", case=case, data=data or {}, at=now)


def flush_case() -> None:
    """Flush, turning a lost race into `ConcurrentChange`."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConcurrentChange() from None
    except OperationalError as exc:
        if "locked" not in str(exc.orig).lower():
            raise
        db.session.rollback()
        raise ConcurrentChange() from None


def accept_case(user: User, case: Case, *, now: datetime | None = None) -> None:
    _require(user, case, Action.ACCEPT)
    now = now or utcnow()
    case.accepted_at = now
    _finish(user, case, Action.ACCEPT, now, public_message="")


def reject_case(
    user: User,
    case: Case,
    *,
    reason: RejectReason | str,
    public_reason: str,
    internal_note: str = "",
    now: datetime | None = None,
) -> None:
    _require(user, case, Action.REJECT)
    try:
        reason = RejectReason(reason)
    except ValueError:
        raise WorkflowError(_l("Choose a reason from the list.")) from None
    public = _text(public_reason, _l("Write the reason the reporter will see."))
    note = _text(internal_note, None, required=False)
    now = now or utcnow()
    case.reject_reason, case.public_reason = reason.value, public
    _finish(
        user,
        case,
        Action.REJECT,
        now,
        data={"reason": reason.value, "internal_note": note},
        public_message=public,
    )


def route_case(
    user: User, case: Case, *, team: Team | None, reason: str, now: datetime | None = None
) -> None:
    """Send a new case to another team (of this or another office) for its triage."""
    _require(user, case, Action.ROUTE)
    if team is None or not team.active or team.id == case.team_id:
        raise WorkflowError(_l("Choose another team."))
    text = _text(reason, _l("Give a reason."))
    previous = case.team_id
    province_code = team.office.province_code  # loaded before the case changes (autoflush)
    case.team = team
    case.province_code = province_code
    now = now or utcnow()
    _finish(
        user,
        case,
        Action.ROUTE,
        now,
        data={"from_team": previous, "to_team": team.id, "reason": text},
        notify=lambda: officer_events.lead_needed(case, MessageKind.TRIAGE, now, actor=user),
    )


def transfer_case(
    user: User,
    case: Case,
    *,
    destination: TransferDestination | str,
    agency: str,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Transfer to an authority outside the market surveillance force (chuyển đơn)."""
    _require(user, case, Action.TRANSFER)
    try:
        destination = TransferDestination(destination)
    except ValueError:
        raise WorkflowError(_l("Choose where the case goes.")) from None
    if destination in (TransferDestination.TEAM, TransferDestination.OFFICE):
        raise WorkflowError(
            _l("To send a case to another team or office, use “Send to another team”.")
        )
    agency_name = _text(agency, _l("Name the receiving authority."))
    text = _text(reason, _l("Give a reason."))
    case.transfer_to, case.transfer_agency = destination.value, agency_name[:200]
    _finish(
        user,
        case,
        Action.TRANSFER,
        now or utcnow(),
        data={"destination": destination.value, "agency": agency_name, "reason": text},
        public_message=str(_l("Transferred to: %(agency)s", agency=agency_name)),
    )


def merge_case(user: User, source: Case, *, target: Case, now: datetime | None = None) -> None:
    """Merge a new case into an open one: its reports (and their photos) move."""
    _require(user, source, Action.MERGE)
    if target.id == source.id or target.status_enum not in OPEN_STATUSES:
        raise WorkflowError(_l("Choose another open case to merge into."))
    if target.team_id != source.team_id:
        raise WorkflowError(_l("Merge only into a case of the same team; send it there first."))
    now = now or utcnow()
    moved = [report.id for report in source.reports]
    for report in list(source.reports):
        report.case = target
    target.search_text = f"{target.search_text} {source.search_text}".strip()
    target.last_activity_at = now
    source.merged_into = target
    _finish(
        user,
        source,
        Action.MERGE,
        now,
        data={"into_case": target.id, "reports": moved},
        public_message="",
    )
    record_event(
        actor=user,
        action="case.merged_in",
        case=target,
        data={"from_case": source.id, "reports": moved},
        at=now,
    )
    flush_case()


def _check_assignee(case: Case, assignee: User | None) -> User:
    if (
        assignee is None
        or not assignee.active
        or assignee.team_id != case.team_id
        or assignee.role_enum not in (Role.INSPECTOR, Role.TEAM_LEAD)
    ):
        raise WorkflowError(_l("Choose an officer of the case's team."))
    return assignee


def assign_case(user: User, case: Case, *, assignee: User, now: datetime | None = None) -> None:
    _require(user, case, Action.ASSIGN)
    assignee = _check_assignee(case, assignee)
    previous = case.assignee_id
    case.assignee = assignee
    first = case.status_enum is CaseStatus.ACCEPTED
    now = now or utcnow()
    _finish(
        user,
        case,
        Action.ASSIGN,
        now,
        data={"assignee": assignee.id, "previous": previous},
        public_message="" if first else None,
        notify=lambda: officer_events.case_assigned(
            case, assignee, user, now, reassigned=previous is not None
        ),
    )


def assign_cases(user: User, cases: Iterable[Case], *, assignee: User) -> int:
    """Bulk assignment: all or nothing (the caller commits or rolls back)."""
    count = 0
    now = utcnow()
    for case in cases:
        assign_case(user, case, assignee=assignee, now=now)
        count += 1
    return count


def claim_case(user: User, case: Case, *, now: datetime | None = None) -> None:
    _require(user, case, Action.CLAIM)
    case.assignee = user
    _finish(
        user, case, Action.CLAIM, now or utcnow(), data={"assignee": user.id}, public_message=""
    )


def start_investigation(user: User, case: Case, *, now: datetime | None = None) -> None:
    _require(user, case, Action.START)
    _finish(user, case, Action.START, now or utcnow())


def resolve_case(
    user: User,
    case: Case,
    *,
    outcome: Outcome | str,
    public_summary: str,
    legal_basis: str = "",
    fine_amount: int | None = None,
    goods_description: str = "",
    goods_value: int | None = None,
    now: datetime | None = None,
) -> None:
    _require(user, case, Action.RESOLVE)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise WorkflowError(_l("Choose an outcome from the list.")) from None
    if outcome.needs_fine and (fine_amount is None or fine_amount <= 0):
        raise WorkflowError(_l("Enter the fine amount in VND."))
    if outcome.needs_goods and (
        not normalize_text(goods_description) or not goods_value or goods_value <= 0
    ):
        raise WorkflowError(_l("Describe the goods and their value in VND."))
    for amount in (fine_amount, goods_value):
        if amount is not None and amount < 0:
            raise WorkflowError(_l("Amounts cannot be negative."))
    summary = _text(public_summary, _l("Write the summary the reporter will see."))
    now = now or utcnow()
    case.outcome = outcome.value
    case.fine_amount = fine_amount if outcome.needs_fine else None
    case.goods_description = (
        _text(goods_description, None, required=False) if outcome.needs_goods else ""
    )
    case.goods_value = goods_value if outcome.needs_goods else None
    case.legal_basis = _text(legal_basis, None, required=False)
    case.public_summary = summary
    case.resolved_at = now
    _finish(
        user,
        case,
        Action.RESOLVE,
        now,
        data={
            "outcome": outcome.value,
            "fine_amount": case.fine_amount,
            "goods_value": case.goods_value,
        },
        public_message=summary,
        notify=lambda: officer_events.lead_needed(case, MessageKind.APPROVAL, now, actor=user),
    )


def approve_resolution(user: User, case: Case, *, now: datetime | None = None) -> None:
    _require(user, case, Action.APPROVE)
    now = now or utcnow()
    case.closed_at = now
    _finish(user, case, Action.APPROVE, now)


def reopen_case(
    user: User, case: Case, *, reason: str, by_audit: bool = False, now: datetime | None = None
) -> None:
    """Back to investigating, with the reason (by a team lead, or a director's audit)."""
    if by_audit:
        if not reopen_by_audit_allowed(user, case):
            raise TransitionNotAllowed(_l("You cannot reopen this case."))
    else:
        _require(user, case, Action.REOPEN)
    text = _text(reason, _l("Give the reason for reopening."))
    case.closed_at = None
    case.resolved_at = None
    now = now or utcnow()
    _finish(
        user,
        case,
        Action.REOPEN,
        now,
        data={"reason": text, "by_audit": by_audit},
        public_message="",
        notify=lambda: officer_events.case_reopened(
            case, user, now, reason=text, by_audit=by_audit
        ),
    )


def extend_deadline(user: User, case: Case, *, reason: str, now: datetime | None = None) -> None:
    """Extend the resolution deadline (gia hạn) within the policy's limits."""
    _require(user, case, Action.EXTEND)
    text = _text(reason, _l("Give the written reason for the extension."))
    if not extension_allowed(case):
        raise WorkflowError(_l("This case cannot be extended again."))
    case.extensions += 1
    _finish(
        user,
        case,
        Action.EXTEND,
        now or utcnow(),
        data={"reason": text, "extension": case.extensions},
    )


def _by_id(model, value):
    """The row with this id, or None for a missing, malformed or out-of-range id."""
    if isinstance(value, bool) or not isinstance(value, int) or not id_in_range(value):
        return None
    return db.session.get(model, value)


def run_action(user: User, case: Case, action: Action, values: Mapping[str, Any]) -> None:
    """Carry out `action` with the values a person gave (the case page's form or an
    API request): the one dispatcher both use, so both go through the same checks."""
    get = values.get
    if action is Action.ACCEPT:
        accept_case(user, case)
    elif action is Action.CLAIM:
        claim_case(user, case)
    elif action is Action.START:
        start_investigation(user, case)
    elif action is Action.APPROVE:
        approve_resolution(user, case)
    elif action is Action.REJECT:
        reject_case(
            user,
            case,
            reason=get("reason") or "",
            public_reason=get("public_reason") or "",
            internal_note=get("internal_note") or "",
        )
    elif action is Action.ROUTE:
        route_case(user, case, team=_by_id(Team, get("team")), reason=get("reason") or "")
    elif action is Action.TRANSFER:
        transfer_case(
            user,
            case,
            destination=get("destination") or "",
            agency=get("agency") or "",
            reason=get("reason") or "",
        )
    elif action is Action.MERGE:
        target = _by_id(Case, get("target"))
        if target is None or not can_see_case(user, target):
            raise WorkflowError(_l("No case with that number in your reach."))
        merge_case(user, case, target=target)
    elif action is Action.ASSIGN:
        assign_case(user, case, assignee=_by_id(User, get("assignee")))
    elif action is Action.RESOLVE:
        resolve_case(
            user,
            case,
            outcome=get("outcome") or "",
            public_summary=get("public_summary") or "",
            legal_basis=get("legal_basis") or "",
            fine_amount=get("fine_amount"),
            goods_description=get("goods_description") or "",
            goods_value=get("goods_value"),
        )
    elif action is Action.REOPEN:
        reopen_case(user, case, reason=get("reason") or "")
    elif action is Action.EXTEND:
        extend_deadline(user, case, reason=get("reason") or "")

"""The case state machine: the states, the actions, and the one table saying who
may take which action from which state. Nothing outside this module writes
`Case.status` (see `move`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from inspect_app.accounts.permissions import Permission, Role


class CaseStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"
    TRANSFERRED = "transferred"

    @property
    def title(self) -> str:
        return str(STATUS_TITLES[self])

    @property
    def public_title(self) -> str:
        """What a reporter sees on the tracking page."""
        return str(PUBLIC_STATUS_TITLES[self])


STATUS_TITLES = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.ACCEPTED: _l("Accepted"),
    CaseStatus.ASSIGNED: _l("Assigned"),
    CaseStatus.INVESTIGATING: _l("Investigating"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.CLOSED: _l("Closed"),
    CaseStatus.REJECTED: _l("Not accepted"),
    CaseStatus.MERGED: _l("Merged"),
    CaseStatus.TRANSFERRED: _l("Transferred"),
}

PUBLIC_STATUS_TITLES = {
    CaseStatus.NEW: _l("Received"),
    CaseStatus.ACCEPTED: _l("Accepted for handling"),
    CaseStatus.ASSIGNED: _l("Being handled"),
    CaseStatus.INVESTIGATING: _l("Being handled"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.CLOSED: _l("Resolved"),
    CaseStatus.REJECTED: _l("Not accepted for handling"),
    CaseStatus.MERGED: _l("Being handled together with a related report"),
    CaseStatus.TRANSFERRED: _l("Transferred to the competent authority"),
}


class Action(StrEnum):
    ACCEPT = "accept"
    ROUTE = "route"
    REJECT = "reject"
    MERGE = "merge"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    CLAIM = "claim"
    START = "start"
    RESOLVE = "resolve"
    APPROVE = "approve"
    REOPEN = "reopen"
    EXTEND = "extend"

    @property
    def title(self) -> str:
        return str(ACTION_TITLES[self])


ACTION_TITLES = {
    Action.ACCEPT: _l("Accept (thụ lý)"),
    Action.ROUTE: _l("Send to another team"),
    Action.REJECT: _l("Do not accept"),
    Action.MERGE: _l("Merge into another case"),
    Action.TRANSFER: _l("Transfer"),
    Action.ASSIGN: _l("Assign"),
    Action.CLAIM: _l("Take this case"),
    Action.START: _l("Start investigating"),
    Action.RESOLVE: _l("Record the outcome"),
    Action.APPROVE: _l("Approve and close"),
    Action.REOPEN: _l("Reopen"),
    Action.EXTEND: _l("Extend the deadline"),
}


class Actor(StrEnum):
    """Who, relative to the case, may take an action."""

    TEAM_LEAD = "team_lead"  # a team lead of the case's team
    TEAM_MEMBER = "team_member"  # any officer of the case's team
    ASSIGNEE = "assignee"  # the assigned inspector, or a team lead of the team
    AUDITOR = "auditor"  # a director of the case's province


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the state stays (deadline extension)
    permission: Permission
    actors: frozenset[Actor]


def _t(action, sources, target, permission, *actors) -> Transition:
    return Transition(action, frozenset(sources), target, permission, frozenset(actors))


S = CaseStatus
# The one table of what may happen to a case. Services in cases/services.py carry
# out each action; nothing else writes Case.status.
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.ACCEPT, {S.NEW}, S.ACCEPTED, Permission.TRIAGE_CASES, Actor.TEAM_LEAD),
        # Re-routing inside the system: the receiving team triages it as new.
        _t(Action.ROUTE, {S.NEW}, S.NEW, Permission.TRIAGE_CASES, Actor.TEAM_LEAD),
        _t(Action.REJECT, {S.NEW}, S.REJECTED, Permission.TRIAGE_CASES, Actor.TEAM_LEAD),
        _t(Action.MERGE, {S.NEW}, S.MERGED, Permission.TRIAGE_CASES, Actor.TEAM_LEAD),
        _t(Action.TRANSFER, {S.NEW}, S.TRANSFERRED, Permission.TRIAGE_CASES, Actor.TEAM_LEAD),
        _t(
            Action.ASSIGN,
            {S.ACCEPTED, S.ASSIGNED},
            S.ASSIGNED,
            Permission.ASSIGN_CASES,
            Actor.TEAM_LEAD,
        ),
        _t(Action.CLAIM, {S.ACCEPTED}, S.ASSIGNED, Permission.WORK_CASES, Actor.TEAM_MEMBER),
        _t(Action.START, {S.ASSIGNED}, S.INVESTIGATING, Permission.WORK_CASES, Actor.ASSIGNEE),
        _t(Action.RESOLVE, {S.INVESTIGATING}, S.RESOLVED, Permission.WORK_CASES, Actor.ASSIGNEE),
        _t(
            Action.APPROVE,
            {S.RESOLVED},
            S.CLOSED,
            Permission.APPROVE_RESOLUTIONS,
            Actor.TEAM_LEAD,
        ),
        _t(
            Action.REOPEN,
            {S.RESOLVED, S.CLOSED},
            S.INVESTIGATING,
            Permission.APPROVE_RESOLUTIONS,
            Actor.TEAM_LEAD,
        ),
        _t(
            Action.EXTEND,
            {S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING},
            None,
            Permission.EXTEND_DEADLINES,
            Actor.TEAM_LEAD,
        ),
    )
}


def _plays(user, actor: Actor, case) -> bool:
    role = user.role_enum
    same_team = user.team_id is not None and user.team_id == case.team_id
    if actor is Actor.TEAM_LEAD:
        return role is Role.TEAM_LEAD and same_team
    if actor is Actor.TEAM_MEMBER:
        return same_team and role in (Role.INSPECTOR, Role.TEAM_LEAD)
    if actor is Actor.ASSIGNEE:
        return (same_team and role is Role.TEAM_LEAD) or (
            case.assignee_id is not None and case.assignee_id == user.id
        )
    office = user.office_of_scope
    return (
        role is Role.DIRECTOR and office is not None and office.province_code == case.province_code
    )


def can_transition(user, case, action: Action) -> bool:
    """Whether `user` may take `action` on `case` now (role, jurisdiction, state)."""
    transition = TRANSITIONS[action]
    if case.status_enum not in transition.sources or not user.can(transition.permission):
        return False
    if action is Action.CLAIM and case.assignee_id is not None:
        return False
    return any(_plays(user, actor, case) for actor in transition.actors)


def allowed_actions(user, case) -> list[Action]:
    return [action for action in Action if can_transition(user, case, action)]


def reopen_by_audit_allowed(user, case) -> bool:
    """Directors reopen resolved or closed cases through an audit review."""
    return (
        case.status_enum in TRANSITIONS[Action.REOPEN].sources
        and user.can(Permission.AUDIT_CASES)
        and _plays(user, Actor.AUDITOR, case)
    )


def move(case, action: Action) -> None:
    """Set the new state. The only place that writes `case.status`."""
    target = TRANSITIONS[action].target
    if target is not None:
        case.status = target.value


def event_titles() -> dict[str, str]:
    """Readable titles of the audit events shown on a case's timeline."""
    titles = {f"case.{action.value}": action.title for action in Action}
    titles.update(
        {
            "case.open": str(_l("Report received")),
            "case.merged_in": str(_l("Another case was merged into this one")),
            "case.note": str(_l("Internal note added")),
            "case.followup": str(_l("The reporter added information")),
            "case.reporter_answer": str(_l("The reporter answered a question")),
            "case.question": str(_l("Question sent to the reporter")),
            "case.attachment": str(_l("Inspection record added")),
            "case.reveal_reporter": str(_l("Reporter identity viewed")),
            "identity.reveal": str(_l("Reporter identity viewed")),
            "identity.reveal_refused": str(_l("Reporter identity refused: wrong password or code")),
            "identity.withdrawn": str(_l("The reporter withdrew their contact details")),
            "evidence.download_original": str(_l("Original evidence downloaded")),
            "evidence.download_original_refused": str(
                _l("Original evidence refused: wrong password or code")
            ),
            "case.legal_hold": str(_l("Placed on legal hold")),
            "case.legal_hold_released": str(_l("Legal hold released")),
            "retention.destroyed": str(_l("Reporters' personal data destroyed (retention)")),
            "review.item": str(_l("Audit review verdict recorded")),
        }
    )
    return titles

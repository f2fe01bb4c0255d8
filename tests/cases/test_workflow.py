"""The state machine: every action allowed and refused by role, state and jurisdiction;
required fields; one audit event per transition; public updates; DB constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from inspect_app.audit.models import AuditEvent
from inspect_app.cases import transitions
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import TRANSITIONS, Action, CaseStatus, can_transition
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db

S = CaseStatus


def _events(case: Case) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
        )
    )


# Who may take each action on a case of `org.team` (by fixture attribute name).
ALLOWED = {
    Action.ACCEPT: {"lead"},
    Action.ROUTE: {"lead"},
    Action.REJECT: {"lead"},
    Action.MERGE: {"lead"},
    Action.TRANSFER: {"lead"},
    Action.ASSIGN: {"lead"},
    Action.CLAIM: {"lead", "inspector", "inspector2"},
    Action.START: {"lead", "inspector"},  # the assignee, or the team's lead
    Action.RESOLVE: {"lead", "inspector"},
    Action.APPROVE: {"lead"},
    Action.REOPEN: {"lead"},
    Action.EXTEND: {"lead"},
}
PEOPLE = (
    "lead",
    "inspector",
    "inspector2",
    "other_lead",
    "other_inspector",
    "director",
    "other_director",
    "admin",
    "association",
)
REACHABLE = (
    S.NEW,
    S.ACCEPTED,
    S.ASSIGNED,
    S.INVESTIGATING,
    S.RESOLVED,
    S.CLOSED,
    S.REJECTED,
    S.TRANSFERRED,
)


@pytest.mark.parametrize("status", REACHABLE, ids=[s.value for s in REACHABLE])
def test_who_may_do_what_in_each_state(org, make_case, status):
    case = make_case(status)
    for action, transition in TRANSITIONS.items():
        for person in PEOPLE:
            user = getattr(org, person)
            expected = status in transition.sources and person in ALLOWED[action]
            if action is Action.CLAIM and case.assignee_id is not None:
                expected = False
            assert can_transition(user, case, action) is expected, (action, person, status)


def test_refused_transition_changes_nothing(org, make_case):
    case = make_case(S.NEW)
    version, events = case.version, _events(case)
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.start_investigation(org.inspector, case)
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.accept_case(org.other_lead, case)  # another team's lead
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.accept_case(org.inspector, case)  # not a team lead
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == "new" and case.version == version and _events(case) == events


def test_the_full_life_of_a_case_writes_one_event_per_step(org, make_case):
    case = make_case(S.CLOSED)
    assert _events(case) == [
        "case.open",
        "case.accept",
        "case.assign",
        "case.start",
        "case.resolve",
        "case.approve",
    ]
    assert case.status == "closed" and case.outcome == "fine" and case.fine_amount == 15_000_000
    assert [u.status for u in case.public_updates] == ["new", "accepted", "assigned", "resolved"]
    assert case.public_updates[-1].message == "Cơ sở bị xử phạt 15.000.000 đồng."


def test_claim_takes_an_unassigned_accepted_case(org, make_case):
    case = make_case(S.ACCEPTED)
    transitions.claim_case(org.inspector2, case)
    db.session.commit()
    assert case.status == "assigned" and case.assignee_id == org.inspector2.id
    assert not can_transition(org.inspector, case, Action.CLAIM)


def test_assignee_must_be_an_officer_of_the_team(org, make_case):
    case = make_case(S.ACCEPTED)
    for wrong in (org.other_inspector, org.director, org.association):
        with pytest.raises(transitions.WorkflowError):
            transitions.assign_case(org.lead, case, assignee=wrong)
        db.session.rollback()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "fine", "fine_amount": None}, "tiền phạt"),
        ({"outcome": "fine", "fine_amount": 0}, "tiền phạt"),
        ({"outcome": "goods_seized", "goods_description": "", "goods_value": 5}, "hàng hóa"),
        (
            {"outcome": "goods_destroyed", "goods_description": "200 hộp", "goods_value": None},
            "hàng hóa",
        ),
        ({"outcome": "warning", "public_summary": "  "}, "tóm tắt"),
        ({"outcome": "nonsense"}, "kết quả xử lý"),
    ],
)
def test_resolve_requires_its_fields(org, make_case, kwargs, message):
    case = make_case(S.INVESTIGATING)
    args = {"public_summary": "Đã xử lý.", **kwargs}
    with pytest.raises(transitions.WorkflowError, match=message):
        transitions.resolve_case(org.inspector, case, **args)
    db.session.rollback()
    assert db.session.get(Case, case.id).status == "investigating"


def test_resolve_with_goods_records_value(org, make_case):
    case = make_case(S.INVESTIGATING)
    transitions.resolve_case(
        org.inspector,
        case,
        outcome="goods_destroyed",
        goods_description="1.200 hộp sữa giả",
        goods_value=84_000_000,
        public_summary="Tiêu hủy 1.200 hộp sữa giả.",
    )
    db.session.commit()
    assert case.goods_value == 84_000_000 and case.fine_amount is None


def test_reject_needs_a_public_reason_which_the_reporter_sees(client, org, make_case):
    case = make_case(S.NEW)
    with pytest.raises(transitions.WorkflowError):
        transitions.reject_case(org.lead, case, reason="not_specific", public_reason="")
    db.session.rollback()
    case = db.session.get(Case, case.id)
    transitions.reject_case(
        org.lead,
        case,
        reason="out_of_scope",
        public_reason="Không thuộc thẩm quyền QLTT.",
        internal_note="Chuyển UBND phường xem xét.",
    )
    db.session.commit()
    html = client.post("/track", data={"code": case.tracking_code}).get_data(as_text=True)
    assert "Không thụ lý" in html and "Không thuộc thẩm quyền QLTT." in html
    assert "Chuyển UBND phường" not in html, "the internal note stays internal"


def test_transfer_to_police_needs_an_agency(org, make_case):
    case = make_case(S.NEW)
    with pytest.raises(transitions.WorkflowError):
        transitions.transfer_case(org.lead, case, destination="police", agency="", reason="x")
    db.session.rollback()
    case = db.session.get(Case, case.id)
    transitions.transfer_case(
        org.lead, case, destination="health", agency="Chi cục ATVSTP", reason="Thực phẩm."
    )
    db.session.commit()
    assert case.status == "transferred" and case.transfer_to == "health"


def test_route_sends_a_new_case_to_another_team_for_its_triage(org, make_case):
    case = make_case(S.NEW)
    transitions.route_case(org.lead, case, team=org.other_team, reason="Địa bàn đội 2.")
    db.session.commit()
    assert case.status == "new" and case.team_id == org.other_team.id
    assert can_transition(org.other_lead, case, Action.ACCEPT)
    assert not can_transition(org.lead, case, Action.ACCEPT)


def test_merge_moves_reports_and_photos(client, org, make_case):
    target = make_case(S.INVESTIGATING, seller="Tạp hóa Bình Minh")
    source = make_case(S.NEW, seller="Tap hoa Binh Minh", photos=2)
    code = source.tracking_code
    moved_report = source.reports[0]
    photo_ids = {p.id for p in moved_report.photos}
    transitions.merge_case(org.lead, source, target=target)
    db.session.commit()
    db.session.expire_all()
    source, target = db.session.get(Case, source.id), db.session.get(Case, target.id)
    assert source.status == "merged" and source.merged_into_id == target.id
    assert source.reports == [] and len(target.reports) == 2
    assert {p.id for p in target.photos} == photo_ids
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 2
    assert "tap hoa binh minh" in target.search_text
    assert "case.merged_in" in _events(target)
    # The merged report's reporter now follows the target case.
    html = client.post("/track", data={"code": code}).get_data(as_text=True)
    assert "Đang xử lý" in html


def test_merge_refuses_closed_targets_and_itself(org, make_case):
    closed = make_case(S.CLOSED)
    source = make_case(S.NEW)
    for target in (closed, source):
        with pytest.raises(transitions.WorkflowError):
            transitions.merge_case(org.lead, source, target=target)
        db.session.rollback()


def test_reopen_returns_to_investigating_with_the_reason(org, make_case):
    case = make_case(S.RESOLVED)
    transitions.reopen_case(org.lead, case, reason="Thiếu biên bản tiêu hủy.")
    db.session.commit()
    assert case.status == "investigating" and case.resolved_at is None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc())
    ).first()
    assert event.action == "case.reopen" and event.data["reason"] == "Thiếu biên bản tiêu hủy."


def test_directors_reopen_only_through_an_audit(org, make_case):
    case = make_case(S.CLOSED)
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.reopen_case(org.director, case, reason="x")
    db.session.rollback()
    case = db.session.get(Case, case.id)
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.reopen_case(org.other_director, case, reason="x", by_audit=True)
    db.session.rollback()
    case = db.session.get(Case, case.id)
    transitions.reopen_case(org.director, case, reason="Mẫu kiểm tra: thiếu căn cứ.", by_audit=True)
    db.session.commit()
    assert case.status == "investigating"


def test_extensions_are_limited_and_move_the_deadline(org, make_case):
    case = make_case(S.INVESTIGATING)
    before = case.resolve_due
    transitions.extend_deadline(org.lead, case, reason="Vụ việc phức tạp, cần giám định.")
    db.session.commit()
    assert case.extensions == 1 and (case.resolve_due - before).days >= 30
    transitions.extend_deadline(org.lead, case, reason="Đặc biệt phức tạp.")
    db.session.commit()
    with pytest.raises(transitions.WorkflowError):
        transitions.extend_deadline(org.lead, case, reason="Lần ba.")
    db.session.rollback()
    assert db.session.get(Case, case.id).extensions == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases SET status = 'merged' WHERE id = :id",
        "UPDATE cases SET status = 'resolved', outcome = NULL WHERE id = :id",
        "UPDATE cases SET status = 'rejected', reject_reason = NULL WHERE id = :id",
        "UPDATE cases SET status = 'assigned', assignee_id = NULL WHERE id = :id",
        "UPDATE cases SET status = 'flying' WHERE id = :id",
    ],
)
def test_database_constraints_keep_state_fields_consistent(org, make_case, sql):
    case = make_case(S.NEW)
    with pytest.raises(IntegrityError):
        db.session.execute(text(sql), {"id": case.id})
        db.session.flush()
    db.session.rollback()


def test_deadlines_are_computed_on_opening_and_on_acceptance(org, make_case):
    case = make_case(S.NEW)
    assert case.accept_due is not None and case.next_due == case.accept_due
    transitions.accept_case(org.lead, case)
    db.session.commit()
    assert case.resolve_due is not None and case.next_due == case.resolve_due
    closed = make_case(S.CLOSED)
    assert closed.next_due is None

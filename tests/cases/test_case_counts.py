"""`case_counts`, kept by triggers on `cases`, equals a count of the cases after
every kind of change — intake, each transition, routing to another team and
province, merging, bulk assignment, bulk seeding, cases without a team, deletion —
and the queue's counts read from it equal the exact count for every person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select

from inspect_app.accounts.models import Team
from inspect_app.bulkseed.loader import seed_bulk
from inspect_app.cases import transitions
from inspect_app.cases.access import case_scope
from inspect_app.cases.models import Case, Category
from inspect_app.cases.queue import (
    QueueFilters,
    case_counts,
    exact_counts,
    kept_counts,
    queue_page,
)
from inspect_app.cases.workflow import CaseStatus
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from tests.cases.conftest import drive, new_report

S = CaseStatus
COUNTS_REVISION = "38a5d9a9aa06"


def _exact() -> dict[tuple[int, int, str], int]:
    team_key = func.coalesce(Case.team_id, 0)
    rows = db.session.execute(
        select(team_key, Case.province_code, Case.status, func.count()).group_by(
            team_key, Case.province_code, Case.status
        )
    )
    return {(team, province, status): n for team, province, status, n in rows}


def _kept() -> dict[tuple[int, int, str], int]:
    rows = db.session.execute(select(case_counts).where(case_counts.c.n != 0))
    return {(r.team_key, r.province_code, r.status): r.n for r in rows}


def _assert_exact() -> None:
    db.session.commit()
    assert _kept() == _exact()


def _far_team() -> Team:
    return db.session.scalar(select(Team).where(Team.code == "HCM-DOI01"))


def _new(org) -> Case:
    case = new_report(org.team).report.case
    _assert_exact()
    return case


def test_every_transition_keeps_the_counts_exact(org):
    case = _new(org)
    for status in (S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING, S.RESOLVED, S.CLOSED):
        drive(_new(org), org, status)
        _assert_exact()
    transitions.accept_case(org.lead, case)
    _assert_exact()
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    _assert_exact()
    transitions.assign_case(org.lead, case, assignee=org.inspector2)  # state unchanged
    _assert_exact()
    transitions.start_investigation(org.inspector2, case)
    transitions.extend_deadline(org.lead, case, reason="Chờ kết quả giám định.")
    _assert_exact()
    transitions.resolve_case(
        org.inspector2, case, outcome="warning", public_summary="Đã nhắc nhở cơ sở."
    )
    _assert_exact()
    transitions.approve_resolution(org.lead, case)
    _assert_exact()
    transitions.reopen_case(org.lead, case, reason="Có thêm chứng cứ.")
    _assert_exact()
    for status in (S.REJECTED, S.TRANSFERRED):
        drive(_new(org), org, status)
        _assert_exact()


def test_routing_to_another_team_and_province_and_merging_keep_the_counts_exact(org):
    routed = _new(org)
    transitions.route_case(org.lead, routed, team=org.other_team, reason="Sai địa bàn.")
    _assert_exact()
    transitions.route_case(org.other_lead, routed, team=_far_team(), reason="Cơ sở ở TP.HCM.")
    _assert_exact()
    assert routed.province_code == 79
    target = drive(_new(org), org, S.ACCEPTED)
    transitions.merge_case(org.lead, _new(org), target=target)
    _assert_exact()


def test_bulk_assignment_keeps_the_counts_exact(org):
    cases = [drive(_new(org), org, S.ACCEPTED) for _ in range(3)]
    transitions.assign_cases(org.lead, cases, assignee=org.inspector)
    _assert_exact()


def _bare_case(team: Team | None, province_code: int) -> Case:
    category = db.session.scalar(select(Category.id).order_by(Category.id))
    return Case(
        kind="tip",
        source="citizen",
        category_id=category,
        team=team,
        province_code=province_code,
        title="Hàng mẫu",
    )


def test_cases_without_a_team_and_deletions_keep_the_counts_exact(org):
    bare = [_bare_case(None, 4), _bare_case(org.team, 1), _bare_case(None, 4)]
    db.session.add_all(bare)
    _assert_exact()
    assert _kept()[(0, 4, "new")] == 2
    bare[0].team = org.team
    bare[0].province_code = 1
    _assert_exact()
    db.session.delete(bare[1])
    _assert_exact()
    db.session.execute(delete(Case).where(Case.id.in_([bare[0].id, bare[2].id])))
    _assert_exact()
    assert _kept() == {}


def test_bulk_seeding_keeps_the_counts_exact(app_ctx):
    seed_bulk(150, seed=7, batch_size=64, now=datetime(2026, 11, 20, tzinfo=UTC))
    _assert_exact()


@pytest.fixture
def spread(org) -> None:
    """Cases of every state in two teams of one province, another province, none."""
    for status in (S.NEW, S.ACCEPTED, S.ASSIGNED, S.CLOSED):
        drive(new_report(org.team).report.case, org, status)
    new_report(org.other_team)
    transitions.accept_case(org.other_lead, new_report(org.other_team).report.case)
    far = new_report(org.team).report.case
    transitions.route_case(org.lead, far, team=_far_team(), reason="Cơ sở ở TP.HCM.")
    db.session.add(_bare_case(None, 4))
    db.session.commit()


@pytest.mark.parametrize(
    "person",
    ["inspector", "lead", "other_lead", "director", "other_director", "admin", "association"],
)
def test_the_queue_counts_of_everyone_are_the_exact_counts(org, spread, person):
    user = getattr(org, person)
    exact = exact_counts(select(Case).where(case_scope(user)))
    assert kept_counts(user) == exact
    page = queue_page(
        user, QueueFilters(), today=datetime.now(UTC).date(), calendar=WorkingCalendar()
    )
    assert {status: n for status, n in page.counts.items() if n} == exact


def test_the_migration_counts_the_cases_already_there(org, spread):
    db.session.commit()
    downgrade(revision=f"{COUNTS_REVISION}-1")
    upgrade()
    assert _kept() == _exact()
    _new(org)  # and the triggers are back

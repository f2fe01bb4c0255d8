"""Live dashboards: a team lead's team, a director's province, an admin's everything.

Today is Tuesday 15/09/2026 (10:00 in Vietnam); "due soon" means due by Friday 18/09
(three working days). Team HN-DOI01:

| case | state         | since (VN)        | assignee   | deadline            |
|------|---------------|-------------------|------------|---------------------|
| d1   | new           | 14/09 09:00       | —          | accept, later       |
| d2   | new           | 01/09 09:00       | —          | accept, overdue     |
| d3   | accepted      | 21/08 09:00       | —          | 20/09→21/09, later  |
| d4   | assigned      | 18/08 09:05       | inspector  | 17/09, due soon     |
| d5   | investigating | 02/07 09:10       | inspector  | 01/08→03/08, overdue |
| d6   | investigating | 20/08 09:10       | inspector2 | 19/09→21/09, later  |
| d7   | resolved      |                   | inspector  | — (not open)        |

Team HN-DOI02: o1 new since 10/09 (later), o2 investigating since 10/07 (overdue).
Team HCM-DOI01 (another province): h1 new since 14/09.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from inspect_app.cases import transitions
from inspect_app.deadlines.calendar import load_calendar
from inspect_app.extensions import db
from inspect_app.stats.dashboard import build_dashboard
from tests.stats.conftest import Crew, crews_of, file_report, log_in, vn

NOW = vn("2026-09-15 10:00")
TODAY = date(2026, 9, 15)


def _advance(crew: Crew, case, accepted: str, steps: int, assignee=None) -> None:
    """accept (at `accepted`), assign (+5 min), start (+10 min): the first `steps`."""
    moment = vn(accepted)
    actions = [
        lambda: transitions.accept_case(crew.lead, case, now=moment),
        lambda: transitions.assign_case(
            crew.lead, case, assignee=assignee or crew.inspector, now=moment + timedelta(minutes=5)
        ),
        lambda: transitions.start_investigation(
            assignee or crew.inspector, case, now=moment + timedelta(minutes=10)
        ),
    ]
    for action in actions[:steps]:
        action()
    db.session.commit()


@pytest.fixture
def board_data(org, make_user):
    crews = crews_of(org, make_user)
    team, other, far = crews["team"], crews["other"], crews["far"]
    ward = org.team.wards[0].code
    cases = {name: file_report(org, team, received, ward=ward) for name, received in (
        ("d1", "2026-09-14 09:00"),
        ("d2", "2026-09-01 09:00"),
        ("d3", "2026-08-20 09:00"),
        ("d4", "2026-08-17 09:00"),
        ("d5", "2026-07-01 09:00"),
        ("d6", "2026-08-19 09:00"),
        ("d7", "2026-08-01 09:00"),
    )}  # fmt: skip
    _advance(team, cases["d3"], "2026-08-21 09:00", 1)
    _advance(team, cases["d4"], "2026-08-18 09:00", 2)
    _advance(team, cases["d5"], "2026-07-02 09:00", 3)
    _advance(team, cases["d6"], "2026-08-20 09:00", 3, assignee=org.inspector2)
    _advance(team, cases["d7"], "2026-08-02 09:00", 3)
    transitions.resolve_case(
        team.inspector, cases["d7"], outcome="warning", public_summary="Nhắc nhở.",
        now=vn("2026-08-10 09:00"),
    )  # fmt: skip
    other_ward = org.other_team.wards[0].code
    cases["o1"] = file_report(org, other, "2026-09-10 09:00", ward=other_ward)
    cases["o2"] = file_report(org, other, "2026-07-09 09:00", ward=other_ward)
    _advance(other, cases["o2"], "2026-07-10 09:00", 3)
    cases["h1"] = file_report(org, far, "2026-09-14 09:00", ward=far.team.wards[0].code)
    db.session.commit()
    return cases


def test_the_dataset_deadlines(board_data):
    horizon = load_calendar().add_working_days(TODAY, 3)
    assert horizon == date(2026, 9, 18)
    due = {name: case.next_due for name, case in board_data.items()}
    assert due["d2"] < TODAY and due["d5"] < TODAY and due["o2"] < TODAY
    assert TODAY <= due["d4"] <= horizon
    assert all(due[n] > horizon for n in ("d1", "d3", "d6", "o1"))
    assert due["d7"] is None


def test_a_team_lead_sees_their_team(org, board_data):
    board = build_dashboard(org.lead, now=NOW, calendar=load_calendar())
    assert board.overdue_cases is None  # the overview list is for directors and admins
    [panel] = board.panels
    assert panel.name == org.team.name
    assert panel.by_state == {"new": 2, "accepted": 1, "assigned": 1, "investigating": 2}
    assert (panel.open_total, panel.due_soon, panel.overdue) == (6, 1, 2)
    # Days since each open case entered its state, averaged: new (d1 1d 1h, d2 14d 1h),
    # accepted (d3 25d 1h), assigned (d4 28d 55min), investigating (d5 75d 50min,
    # d6 26d 50min).
    hour, minute = 1 / 24, 1 / 1440
    assert panel.avg_days["new"] == pytest.approx(7.5 + hour, abs=1e-6)
    assert panel.avg_days["accepted"] == pytest.approx(25 + hour, abs=1e-6)
    assert panel.avg_days["assigned"] == pytest.approx(28 + 55 * minute, abs=1e-6)
    assert panel.avg_days["investigating"] == pytest.approx(50.5 + 50 * minute, abs=1e-6)
    work = {w.name: (w.by_state, w.overdue) for w in panel.workload.values()}
    assert work == {
        "Lê Văn Minh": ({"assigned": 1, "investigating": 1}, 1),
        "Phạm Thu Hà": ({"investigating": 1}, 0),
        "Trần Thị Lan": ({}, 0),  # the lead, with nothing assigned
        "": ({"new": 2, "accepted": 1}, 1),  # not assigned yet
    }


def test_a_director_sees_every_team_of_the_province_and_the_overdue_list(org, board_data):
    board = build_dashboard(org.director, now=NOW, calendar=load_calendar())
    panels = {p.name: p for p in board.panels}
    assert set(panels) == {org.team.name, org.other_team.name}
    other = panels[org.other_team.name]
    assert other.by_state == {"new": 1, "accepted": 0, "assigned": 0, "investigating": 1}
    assert (other.open_total, other.due_soon, other.overdue) == (2, 0, 1)
    assert panels[org.team.name].overdue == 2
    overdue = [c.id for c in board.overdue_cases]
    assert overdue == [board_data[n].id for n in ("d5", "o2", "d2")]  # by deadline


def test_an_admin_sees_every_province_where_the_deployment_allows_it(app, org, board_data):
    """Admins do not read cases, unless ADMINS_READ_CASES says they do."""
    app.config["ADMINS_READ_CASES"] = True
    try:
        board = build_dashboard(org.admin, now=NOW, calendar=load_calendar())
    finally:
        app.config["ADMINS_READ_CASES"] = False
    assert sum(p.open_total for p in board.panels) == 9
    assert len(board.overdue_cases) == 3


def test_the_number_of_queries_does_not_grow_with_the_cases(org, board_data):
    def count_queries() -> int:
        seen = []

        def record(*args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            build_dashboard(org.director, now=NOW, calendar=load_calendar())
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    before = count_queries()
    crew = Crew(org.team, org.lead, org.inspector)
    for day in range(1, 11):
        case = file_report(org, crew, f"2026-09-{day:02d} 08:00", ward=org.team.wards[1].code)
        _advance(crew, case, f"2026-09-{day:02d} 09:00", 3)
    assert count_queries() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("lead", 200), ("director", 200), ("admin", 403), ("inspector", 403), ("association", 403)],
)
def test_who_sees_the_dashboard(org, board_data, client, who, status):
    log_in(client, getattr(org, who))
    response = client.get("/dashboard")
    assert response.status_code == status
    if status == 200:
        html = response.get_data(as_text=True)
        assert org.team.name in html
        assert ('data-testid="overdue-list"' in html) is (who != "lead")


def test_anonymous_visitors_are_sent_tolog_in(client):
    assert client.get("/dashboard").headers["Location"].startswith("/login")

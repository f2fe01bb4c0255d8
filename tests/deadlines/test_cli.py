"""`flask calendar …` and `flask deadlines compute`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.cases.models import Category, ReportKind
from inspect_app.deadlines.services import DEFAULT_POLICIES, publish_policy
from inspect_app.extensions import db
from tests.deadlines import reset_shipped_deadline_data


@pytest.fixture
def run(app, app_ctx):
    reset_shipped_deadline_data()
    runner = app.test_cli_runner()
    yield lambda *args: runner.invoke(args=list(args))
    reset_shipped_deadline_data()


def test_compute_one_rule_prints_the_iso_date_then_why(run):
    result = run("deadlines", "compute", "--rule", "accept", "--start", "2026-02-11")
    assert result.exit_code == 0, result.output
    # Thu 12, Fri 13, (Tết 14–22 Feb), Mon 23 … Fri 27 Feb.
    assert result.output.startswith("accept: 2026-02-27 (7 working days after 2026-02-11; ")
    assert "Luật Tố cáo 2018" in result.output
    assert len(result.output.splitlines()) == 1


def test_compute_all_rules(run):
    result = run("deadlines", "compute", "--rule", "all", "--start", "2026-02-11")
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.output.splitlines()] == [
        ["accept:", "2026-02-27"],
        ["notify:", "2026-02-25"],  # Thu 12, Fri 13, Mon 23, Tue 24, Wed 25
        ["resolve:", "2026-03-13"],  # + 30 days, a Friday
        ["extend1:", "2026-03-13"],
        ["extend2:", "2026-04-13"],  # + 60 days = Sun 12 Apr → Mon 13 Apr
    ]
    assert "30 days after 2026-02-11" in result.output.splitlines()[2]


def test_compute_says_when_a_rule_does_not_apply(run):
    tip = ("--start", "2026-03-02", "--kind", "tip")
    result = run("deadlines", "compute", "--rule", "all", *tip)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "notify: n/a (This policy has no notify step.)"
    result = run("deadlines", "compute", "--rule", "notify", *tip)
    assert result.exit_code == 1
    assert "This policy has no notify step." in result.output


def test_compute_uses_a_category_policy(run):
    food = db.session.scalar(select(Category.id).where(Category.code == "food_safety"))
    terms = DEFAULT_POLICIES[ReportKind.DENUNCIATION]
    policy = publish_policy("denunciation", terms, category_id=food, priority="urgent")
    db.session.commit()
    args = ("deadlines", "compute", "--rule", "accept", "--start", "2026-03-02")
    result = run(*args, "--category", "food_safety", "--priority", "urgent")
    assert result.exit_code == 0, result.output
    assert f"policy {policy.id} v1" in result.output
    result = run(*args, "--category", "nope")
    assert result.exit_code == 1
    assert "no category with code 'nope'" in result.output


def test_calendar_set_list_unset(run):
    result = run("calendar", "set", "2026-03-09", "off", "--reason", "Nghỉ đột xuất")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-09: off (Nghỉ đột xuất)\n"
    # The stored calendar now skips Mon 9 Mar: Fri 6 + 7 = Tue 10 … Fri 13, Mon 16 … Wed 18.
    result = run("deadlines", "compute", "--rule", "accept", "--start", "2026-03-06")
    assert result.output.startswith("accept: 2026-03-18 ")

    result = run("calendar", "list", "--year", "2026")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert [(day, mark) for day, _weekday, mark, _text in rows] == [
        ("2026-01-01", "holiday"),
        ("2026-01-02", "override:off"),
        ("2026-01-10", "override:working"),
        ("2026-02-16", "holiday"),
        ("2026-02-17", "holiday"),
        ("2026-02-18", "holiday"),
        ("2026-02-19", "holiday"),
        ("2026-02-20", "holiday"),
        ("2026-03-09", "override:off"),
        ("2026-04-26", "holiday"),
        ("2026-04-27", "holiday"),
        ("2026-04-30", "holiday"),
        ("2026-05-01", "holiday"),
        ("2026-08-22", "make-up"),
        ("2026-08-31", "holiday"),
        ("2026-09-01", "holiday"),
        ("2026-09-02", "holiday"),
        ("2026-11-24", "holiday"),
    ]
    assert rows[3][1:] == ["Mon", "holiday", "Giao thừa Tết Nguyên Đán"]
    assert rows[2][1] == "Sat" and rows[2][3].startswith("Làm bù cho thứ Sáu 02/01/2026")

    assert run("calendar", "unset", "2026-03-09").exit_code == 0
    result = run("calendar", "unset", "2026-03-09")
    assert result.exit_code == 1
    assert "no override" in result.output


def test_calendar_set_refuses_bad_input(run):
    assert run("calendar", "set", "09/03/2026", "off", "--reason", "x").exit_code == 2
    assert run("calendar", "set", "2026-03-09", "maybe", "--reason", "x").exit_code == 2
    assert run("calendar", "set", "2026-03-09", "off").exit_code == 2
    result = run("calendar", "set", "2026-03-09", "off", "--reason", " ")
    assert result.exit_code == 1
    assert "Give the reason for the change." in result.output

"""Deadline policies as versioned data, the rules computed from them, and the stored
calendar overrides (default and official-swap loading is idempotent)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date

import pytest
from sqlalchemy import delete, func, select, update

from inspect_app.cases.models import Category, ReportKind
from inspect_app.deadlines.calendar import WorkingCalendar, load_calendar
from inspect_app.deadlines.models import CalendarOverride, DeadlinePolicy
from inspect_app.deadlines.services import (
    DEFAULT_POLICIES,
    RULES,
    DeadlineError,
    NoPolicy,
    PolicyTerms,
    RuleNotApplicable,
    active_policy,
    compute,
    list_overrides,
    load_default_policies,
    load_official_swaps,
    publish_policy,
    remove_override,
    set_override,
)
from inspect_app.extensions import db
from tests.deadlines import reset_shipped_deadline_data

D = date
CAL = WorkingCalendar({D(2026, 1, 2): False, D(2026, 1, 10): True})
DENUNCIATION = DEFAULT_POLICIES[ReportKind.DENUNCIATION]


@pytest.fixture
def shipped(app_ctx):
    reset_shipped_deadline_data()
    yield
    reset_shipped_deadline_data()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _category_id(code: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.code == code))


def _terms(**changes) -> PolicyTerms:
    return replace(DENUNCIATION, **changes)


# --- pure computation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # From Wed 11 Feb 2026: 7 working days over Tết (14–22 Feb off) → Fri 27 Feb.
        ("accept", D(2026, 2, 27)),
        # 5 working days: Thu 12, Fri 13, Mon 23, Tue 24, Wed 25 Feb.
        ("notify", D(2026, 2, 25)),
        # 30 calendar days: Fri 13 Mar, a working day.
        ("resolve", D(2026, 3, 13)),
        # One extension of 30 days counted from the same start.
        ("extend1", D(2026, 3, 13)),
        # Two: 60 days = Sun 12 Apr → Mon 13 Apr.
        ("extend2", D(2026, 4, 13)),
    ],
)
def test_compute_each_rule_of_the_denunciation_default(rule: str, expected: date):
    policy = DeadlinePolicy(**asdict(DENUNCIATION))
    assert compute(rule, D(2026, 2, 11), policy, CAL) == expected


def test_rules_a_policy_does_not_have_are_refused():
    assert RULES == ("accept", "notify", "resolve", "extend1", "extend2")
    tip = DeadlinePolicy(**asdict(DEFAULT_POLICIES[ReportKind.TIP]))
    with pytest.raises(RuleNotApplicable):
        compute("notify", D(2026, 3, 2), tip, CAL)
    once = DeadlinePolicy(**asdict(_terms(max_extensions=1)))
    assert compute("extend1", D(2026, 3, 2), once, CAL) == D(2026, 4, 1)
    with pytest.raises(RuleNotApplicable):
        compute("extend2", D(2026, 3, 2), once, CAL)
    with pytest.raises(ValueError, match="unknown deadline rule"):
        compute("appeal", D(2026, 3, 2), tip, CAL)


# --- policies ----------------------------------------------------------------------


def test_defaults_cite_their_legal_basis(shipped):
    denunciation = active_policy("denunciation")
    assert (denunciation.version, denunciation.active) == (1, True)
    assert (
        denunciation.accept_working_days,
        denunciation.notify_working_days,
        denunciation.resolve_days,
        denunciation.extension_days,
        denunciation.max_extensions,
    ) == (7, 5, 30, 30, 2)
    assert "Luật Tố cáo 2018" in denunciation.legal_basis
    assert "Điều 24, 29, 30" in denunciation.legal_basis
    tip = active_policy("tip")
    assert tip.notify_working_days == 0
    assert "Điều 25" in tip.legal_basis and tip.note
    assert "19/2023/QH15" in active_policy("complaint").legal_basis


def test_loading_defaults_and_swaps_twice_adds_nothing(shipped):
    db.session.execute(delete(DeadlinePolicy))
    db.session.execute(delete(CalendarOverride))
    assert (load_default_policies(), load_official_swaps()) == (3, 2)
    assert (load_default_policies(), load_official_swaps()) == (0, 0)
    assert (_count(DeadlinePolicy), _count(CalendarOverride)) == (3, 2)
    swaps = {o.day: o.working for o in list_overrides(2026)}
    assert swaps == {D(2026, 1, 2): False, D(2026, 1, 10): True}
    assert all(o.source.startswith("Bộ Nội vụ") for o in list_overrides(2026))


def test_admin_changes_survive_a_reload(shipped):
    set_override(D(2026, 1, 10), False, "Không làm bù", "Quyết định của Cục")
    publish_policy("denunciation", _terms(resolve_days=25), created_by_id=None)
    assert (load_official_swaps(), load_default_policies()) == (0, 0)
    override = db.session.get(CalendarOverride, D(2026, 1, 10))
    assert (override.working, override.reason) == (False, "Không làm bù")
    assert active_policy("denunciation").resolve_days == 25


def test_a_policy_change_mid_case_keeps_the_old_version_intact(shipped):
    old = active_policy("denunciation")
    accepted = D(2026, 3, 31)
    # 30 days → Thu 30 Apr (holiday), Fri 1 May (holiday), weekend → Mon 4 May.
    assert compute("resolve", accepted, old, CAL) == D(2026, 5, 4)

    new = publish_policy("denunciation", _terms(resolve_days=20, note="Rút ngắn"))
    db.session.commit()
    assert active_policy("denunciation").id == new.id
    assert (new.version, new.active) == (2, True)

    db.session.refresh(old)
    assert (old.active, old.resolve_days) == (False, 30)
    # The case computed with the old version keeps its date; new cases get 20 days:
    # Tue 31 Mar + 20 = Mon 20 Apr.
    assert compute("resolve", accepted, old, CAL) == D(2026, 5, 4)
    assert compute("resolve", accepted, new, CAL) == D(2026, 4, 20)
    actives = select(func.count()).where(
        DeadlinePolicy.kind == "denunciation",
        DeadlinePolicy.category_id.is_(None),
        DeadlinePolicy.priority.is_(None),
        DeadlinePolicy.active,
    )
    assert db.session.scalar(actives) == 1


def test_the_most_specific_active_policy_wins(shipped):
    food, other = _category_id("food_safety"), _category_id("other")
    general = active_policy("denunciation")
    by_category = publish_policy("denunciation", _terms(resolve_days=20), category_id=food)
    by_priority = publish_policy("denunciation", _terms(resolve_days=15), priority="urgent")
    both = publish_policy(
        "denunciation", _terms(resolve_days=10), category_id=food, priority="urgent"
    )
    assert active_policy("denunciation", food, "urgent") == both
    assert active_policy("denunciation", food, "normal") == by_category
    assert active_policy("denunciation", food) == by_category
    assert active_policy("denunciation", other, "urgent") == by_priority
    assert active_policy("denunciation", None, "urgent") == by_priority
    assert active_policy("denunciation", other) == general
    assert active_policy("denunciation") == general
    # Each key has its own versions.
    assert {p.version for p in (by_category, by_priority, both)} == {1}


def test_publishing_checks_the_policy(shipped):
    with pytest.raises(DeadlineError):
        publish_policy("appeal", DENUNCIATION)
    with pytest.raises(DeadlineError):
        publish_policy("tip", DENUNCIATION, priority="soon")
    with pytest.raises(DeadlineError):
        publish_policy("tip", _terms(resolve_days=-1))
    with pytest.raises(DeadlineError):
        publish_policy("tip", _terms(legal_basis="  "))
    assert _count(DeadlinePolicy) == 3


def test_no_active_policy_is_an_error(shipped):
    db.session.execute(update(DeadlinePolicy).values(active=False))
    with pytest.raises(NoPolicy):
        active_policy("tip")


# --- overrides ---------------------------------------------------------------------


def test_overrides_are_set_replaced_listed_and_removed(shipped):
    set_override(D(2026, 3, 9), False, "  Nghỉ đột xuất ", "Thông báo 1/TB")
    assert [o.day for o in list_overrides(2026)] == [D(2026, 1, 2), D(2026, 1, 10), D(2026, 3, 9)]
    assert db.session.get(CalendarOverride, D(2026, 3, 9)).reason == "Nghỉ đột xuất"
    assert not load_calendar().is_working_day(D(2026, 3, 9))

    set_override(D(2026, 3, 9), True, "Hủy nghỉ")
    assert _count(CalendarOverride) == 3
    assert load_calendar().is_working_day(D(2026, 3, 9))

    assert remove_override(D(2026, 3, 9)) is True
    assert remove_override(D(2026, 3, 9)) is False
    assert list_overrides(2027) == []
    with pytest.raises(DeadlineError):
        set_override(D(2026, 3, 10), False, " ")
    with pytest.raises(DeadlineError):
        set_override(D(2026, 3, 10), False, "x" * 301)


def test_the_stored_calendar_includes_the_official_swaps(shipped):
    calendar = load_calendar()
    # Make-up Saturday 10 Jan 2026: Mon 5 Jan + 5 working days lands on it.
    assert calendar.add_working_days(D(2026, 1, 5), 5) == D(2026, 1, 10)
    assert not calendar.is_working_day(D(2026, 1, 2))

"""Small-cell suppression that holds under differencing: small cells and enough
others are hidden that no hidden cell can be worked out from the total, every hidden
cell reads the same, tables that cannot be protected withhold their total, and the
published breakdowns of the dataset show exactly what the hand count says."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.stats.aggregates import compute_statistics
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from inspect_app.stats.services import snapshot_data
from inspect_app.stats.suppression import (
    BELOW_THRESHOLD,
    COMPLEMENTARY,
    SUPPRESSED,
    cells_to_hide,
    marker,
    suppress,
)

Q3 = Period.quarter(2026, 3)
X = SUPPRESSED


def _rows(*values: int) -> list[dict]:
    return [{"key": f"k{i}", "value": v} for i, v in enumerate(values)]


def _shown(rows: list[dict]) -> list:
    return [row["value"] if not row["suppressed"] else row["suppression"] for row in rows]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((5, 9, 4), [5, 9, 4]),
        # Two small cells adding up to 3 would each be known to be 1 or 2 (small):
        # the next-smallest is hidden with them.
        ((5, 2, 1, 7), [X, X, X, 7]),
        # One small cell alone would be total minus the rest: the next-smallest goes too.
        ((9, 2, 4), [9, X, X]),
        ((2, 3), [X, X]),
        # Five cells of 1 under one visible 6: each would be exactly 1 (sum 5, five
        # cells). The 6 is hidden with them (the finding of issue 13).
        ((1, 1, 6, 1, 1, 1), [X, X, X, X, X, X]),
        ((1, 1, 6, 1, 1, 1, 20), [X, X, X, X, X, X, 20]),
        ((), []),
    ],
)
def test_small_cells_and_enough_others_are_hidden(values, expected):
    assert _shown(suppress(_rows(*values), 3)) == expected


@pytest.mark.parametrize("values", [(1,), (2,), (1, 1), (1, 1, 2), (1, 1, 1, 2)])
def test_a_table_that_cannot_be_protected_asks_for_its_total_to_be_withheld(values):
    assert suppress(_rows(*values), 3) is None


def test_the_threshold_is_configurable_and_zero_hides_nothing():
    assert _shown(suppress(_rows(4, 6, 9), 5)) == [X, X, 9]
    assert _shown(suppress(_rows(1, 2), 0)) == [1, 2]


def test_every_hidden_cell_reads_the_same_and_version_1_markers_still_read():
    assert [marker(row, 3) for row in suppress(_rows(9, 2, 4), 3)] == [None, "x", "x"]
    legacy = [{"suppression": BELOW_THRESHOLD}, {"suppression": COMPLEMENTARY}]
    assert [marker(row, 3) for row in legacy] == ["< 3", "x"]


def _possible_values(shown: list[int | None], total: int) -> list[set[int]]:
    """What a reader can tell about each hidden cell from the visible cells and the
    total: every way to fill the hidden cells with counts of at least 1 (rows with
    no cases are not listed) that adds up (brute force)."""
    hidden = [i for i, v in enumerate(shown) if v is None]
    rest = total - sum(v for v in shown if v is not None)
    possible = [set() for _ in shown]
    for filling in itertools.product(range(1, rest + 1), repeat=len(hidden)):
        if sum(filling) == rest:
            for i, value in zip(hidden, filling, strict=True):
                possible[i].add(value)
    return possible


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    values=st.lists(st.integers(min_value=1, max_value=9), max_size=6),
    threshold=st.integers(min_value=2, max_value=5),
)
def test_no_hidden_cell_can_be_shown_to_be_small(values, threshold):
    """Against a reader who knows the rule, the visible cells and the total: every
    hidden cell could be as large as the threshold, so none is known to be small,
    let alone known exactly; or the table is declared unprotectable."""
    hidden = cells_to_hide(values, threshold)
    if hidden is None:
        return
    assert all(values[i] >= threshold for i in set(range(len(values))) - hidden)
    shown = [None if i in hidden else v for i, v in enumerate(values)]
    for i, possible in enumerate(_possible_values(shown, sum(values))):
        if i in hidden:
            assert set(range(1, threshold + 1)) <= possible, (values, threshold, i)


def _public(dataset, province_code: int | None, threshold: int = 3) -> dict:
    report = StatsReport(
        title="Q3",
        period_type="quarter",
        period_start=Q3.start,
        period_end=Q3.end,
        province_code=province_code,
        version=1,
        commentary="",
        correction_note="",
    )
    stats = compute_statistics(Q3, province_code, name_sellers=False)
    return snapshot_data(report, stats, threshold=threshold)


def _cells(rows: list[dict]) -> dict[str, object]:
    return {
        row["key"]: row["value"] if not row["suppressed"] else row["suppression"] for row in rows
    }


def test_published_breakdowns_of_the_dataset(dataset):
    data = _public(dataset, 1)
    breakdowns = data["breakdowns"]
    # Three small categories adding up to 5: each could be 1, 2 or 3.
    assert _cells(breakdowns["category"]) == {
        "counterfeit": 6,
        "smuggled": X,
        "quality": X,
        "food_safety": X,
    }
    # Five outcomes of one case each beside 6 fines: hidden alone, each would be
    # exactly 1 (11 - 6 over five cells). The fines go too.
    assert _cells(breakdowns["outcome"]) == {
        "no_violation": X,
        "warning": X,
        "fine": X,
        "goods_seized": X,
        "goods_destroyed": X,
        "referred": X,
    }
    # Association 2 would be 11 - 9: citizen is hidden too.
    assert _cells(breakdowns["source"]) == {"citizen": X, "association": X}
    assert _cells(breakdowns["kind"]) == {"tip": 7, "denunciation": X, "complaint": X}
    wards = dataset.wards
    assert _cells(breakdowns["ward"]) == {
        str(wards["A"]): 5,
        str(wards["B"]): X,
        str(wards["C"]): X,
        str(wards["D"]): X,
        "none": X,
    }
    # The totals stay: every table could be protected.
    assert data["totals"]["resolved"] == 11
    assert data["totals"]["fines_vnd"] == 46_000_000


def test_province_totals_are_not_suppressed(dataset):
    data = _public(dataset, None)
    assert _cells(data["breakdowns"]["province"]) == {"1": 11, "79": 1}


def test_hidden_cells_cannot_be_recovered_from_the_total(dataset):
    """In every suppressed breakdown, either nothing is hidden or the total minus the
    visible cells spreads over at least two hidden cells, with room for each to reach
    the threshold."""
    for province in (1, None):
        data = _public(dataset, province)
        for name in ("category", "outcome", "source", "kind", "ward"):
            rows = data["breakdowns"][name]
            hidden = [row for row in rows if row["suppressed"]]
            assert len(hidden) != 1, (province, name)
            assert all(row["value"] is None for row in hidden)


def test_no_reporter_data_and_no_seller_names_by_default(dataset):
    text = str(_public(dataset, None))
    for secret in ("Nguyễn Văn An", "0912345678", "Minh Anh", "Phố Huế", "Similac"):
        assert secret not in text

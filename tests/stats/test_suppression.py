"""Small-cell suppression: cells below the threshold are hidden, a lone hidden cell
takes the next-smallest with it, totals stay true, and the published breakdowns of
the dataset show exactly what the hand count says."""

from __future__ import annotations

import pytest

from inspect_app.stats.aggregates import compute_statistics
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from inspect_app.stats.services import snapshot_data
from inspect_app.stats.suppression import BELOW_THRESHOLD, COMPLEMENTARY, marker, suppress

Q3 = Period.quarter(2026, 3)


def _rows(*values: int) -> list[dict]:
    return [{"key": f"k{i}", "value": v} for i, v in enumerate(values)]


def _shown(rows: list[dict]) -> list:
    return [row["value"] if not row["suppressed"] else row["suppression"] for row in rows]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((5, 9, 4), [5, 9, 4]),
        ((5, 2, 1, 7), [5, BELOW_THRESHOLD, BELOW_THRESHOLD, 7]),
        # One small cell alone would be total minus the rest: the next-smallest goes too.
        ((9, 2, 4), [9, BELOW_THRESHOLD, COMPLEMENTARY]),
        ((2, 3), [BELOW_THRESHOLD, COMPLEMENTARY]),
        # Nothing to pair it with: a breakdown of one cell equals the (published) total.
        ((1,), [BELOW_THRESHOLD]),
        ((), []),
    ],
)
def test_small_cells_and_their_complement_are_hidden(values, expected):
    assert _shown(suppress(_rows(*values), 3)) == expected


def test_the_threshold_is_configurable_and_zero_hides_nothing():
    assert _shown(suppress(_rows(4, 6, 9), 5)) == [BELOW_THRESHOLD, COMPLEMENTARY, 9]
    assert _shown(suppress(_rows(1, 2), 0)) == [1, 2]


def test_markers():
    hidden = suppress(_rows(9, 2, 4), 3)
    assert [marker(row, 3) for row in hidden] == [None, "< 3", "x"]


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
    assert _cells(breakdowns["category"]) == {
        "counterfeit": 6,
        "smuggled": BELOW_THRESHOLD,
        "quality": BELOW_THRESHOLD,
        "food_safety": BELOW_THRESHOLD,
    }
    assert _cells(breakdowns["outcome"]) == {
        "no_violation": BELOW_THRESHOLD,
        "warning": BELOW_THRESHOLD,
        "fine": 6,
        "goods_seized": BELOW_THRESHOLD,
        "goods_destroyed": BELOW_THRESHOLD,
        "referred": BELOW_THRESHOLD,
    }
    # Association 2 would be 11 - 9: citizen is hidden too.
    assert _cells(breakdowns["source"]) == {
        "citizen": COMPLEMENTARY,
        "association": BELOW_THRESHOLD,
    }
    assert _cells(breakdowns["kind"]) == {
        "tip": 7,
        "denunciation": BELOW_THRESHOLD,
        "complaint": BELOW_THRESHOLD,
    }
    wards = dataset.wards
    assert _cells(breakdowns["ward"]) == {
        str(wards["A"]): 5,
        str(wards["B"]): BELOW_THRESHOLD,
        str(wards["C"]): BELOW_THRESHOLD,
        str(wards["D"]): BELOW_THRESHOLD,
        "none": BELOW_THRESHOLD,
    }
    # Totals are the true totals, never hidden.
    assert data["totals"]["resolved"] == 11
    assert data["totals"]["fines_vnd"] == 46_000_000


def test_province_totals_are_not_suppressed(dataset):
    data = _public(dataset, None)
    assert _cells(data["breakdowns"]["province"]) == {"1": 11, "79": 1}


def test_hidden_cells_cannot_be_recovered_from_the_total(dataset):
    """In every suppressed breakdown, either nothing is hidden or the total minus the
    visible cells spreads over at least two hidden cells."""
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

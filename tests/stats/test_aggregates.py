"""The raw figures of quarter 3/2026 against hand-computed expectations (see conftest)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from inspect_app.cases.models import Category
from inspect_app.extensions import db
from inspect_app.stats.aggregates import compute_statistics, percentile
from inspect_app.stats.periods import Period, PeriodType, previous_month, previous_quarter

HANOI, HCM = 1, 79
Q3 = Period.quarter(2026, 3)


def _by_code(counts: dict[int, int]) -> dict[str, int]:
    codes = dict(db.session.execute(select(Category.id, Category.code)).all())
    return {codes[i]: n for i, n in counts.items()}


def test_periods_are_days_in_vietnam():
    assert Period.quarter(2026, 3) == Period(
        PeriodType.QUARTER, date(2026, 7, 1), date(2026, 9, 30)
    )
    assert Period.month(2026, 12).end == date(2026, 12, 31)
    assert Period.month(2028, 2).end == date(2028, 2, 29)
    assert Period.year(2026).months()[-1] == (2026, 12)
    start, end = Q3.bounds
    assert start.isoformat() == "2026-07-01T00:00:00+07:00"
    assert end.isoformat() == "2026-10-01T00:00:00+07:00"
    assert Period.custom(date(2026, 11, 20), date(2027, 1, 5)).months() == [
        (2026, 11),
        (2026, 12),
        (2027, 1),
    ]


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7], 90, 7),
        ([1, 2], 50, 1.5),
        ([3, 5, 8, 10, 12, 15, 20, 30, 32, 45, 60], 50, 15),
        ([3, 5, 8, 10, 12, 15, 20, 30, 32, 45, 60], 90, 45),
        ([3, 5, 8, 10, 12, 15, 20, 20, 30, 32, 45, 60], 50, 17.5),  # 15 + 0.5 * 5
        ([3, 5, 8, 10, 12, 15, 20, 20, 30, 32, 45, 60], 90, 43.7),  # 32 + 0.9 * 13
        ([4, 4, 4, 9], 50, 4),  # repeated values: ranks 1 and 2 are both 4
        ([4, 4, 4, 9], 90, 7.5),  # 4 + 0.7 * 5
    ],
)
def test_percentiles_interpolate_between_closest_ranks(values, p, expected):
    assert percentile(Counter(values), p) == pytest.approx(expected)


def test_the_deadlines_of_the_boundary_cases_are_as_the_dataset_assumes(dataset):
    cases = dataset.cases
    assert cases["c8"].resolve_due == date(2026, 7, 31)
    assert cases["c12"].resolve_due == date(2026, 9, 4)
    assert cases["c9"].resolve_due == date(2026, 9, 10)


def test_quarter_of_one_province(dataset):
    stats = compute_statistics(Q3, HANOI)
    assert stats.resolved == 11  # c1-c10, c12
    assert stats.received == 14  # not c7, c13 (June), c17 (merged); c8 at 00:30 on 01/07
    assert stats.days == dict.fromkeys([3, 5, 8, 10, 12, 15, 20, 30, 32, 45, 60], 1)
    assert stats.median_days == 15
    assert stats.p90_days == 45
    assert (stats.within_deadline, stats.with_deadline) == (8, 11)  # c9, c10, c12 late
    assert stats.within_deadline_share == pytest.approx(8 / 11)
    assert stats.fines_vnd == 46_000_000  # 10 + 5 + 2.5 + 20 + 1.5 + 7 million
    assert stats.goods_value_vnd == 10_000_000  # 4 + 6 million
    assert _by_code(stats.by_category) == {
        "counterfeit": 6,
        "smuggled": 2,
        "quality": 2,
        "food_safety": 1,
    }
    assert stats.by_outcome == {
        "fine": 6,
        "goods_destroyed": 1,
        "goods_seized": 1,
        "warning": 1,
        "no_violation": 1,
        "referred": 1,
    }
    assert stats.by_source == {"citizen": 9, "association": 2}
    assert stats.by_kind == {"tip": 7, "denunciation": 2, "complaint": 2}
    assert stats.by_province == {HANOI: 11}
    wards = dataset.wards
    assert stats.by_ward == {wards["A"]: 5, wards["B"]: 2, wards["C"]: 2, wards["D"]: 1, None: 1}
    assert stats.received_by_month == {"2026-07": 8, "2026-08": 5, "2026-09": 1}
    assert stats.resolved_by_month == {"2026-07": 6, "2026-08": 2, "2026-09": 3}
    assert stats.sellers is None


def test_quarter_of_every_province(dataset):
    stats = compute_statistics(Q3, None)
    assert (stats.resolved, stats.received) == (12, 15)
    assert stats.median_days == pytest.approx(17.5)
    assert stats.p90_days == pytest.approx(43.7)
    assert (stats.within_deadline, stats.with_deadline) == (9, 12)
    assert stats.fines_vnd == 49_000_000
    assert stats.by_province == {HANOI: 11, HCM: 1}
    assert _by_code(stats.by_category)["counterfeit"] == 7
    assert stats.received_by_month == {"2026-07": 8, "2026-08": 5, "2026-09": 2}
    assert stats.resolved_by_month == {"2026-07": 6, "2026-08": 2, "2026-09": 4}


def test_a_month_and_custom_dates(dataset):
    july = compute_statistics(Period.month(2026, 7), HANOI)
    assert (july.resolved, july.received) == (6, 8)
    assert july.days == dict.fromkeys([3, 5, 8, 10, 20, 30], 1)
    # 31/07-05/09: c8 (31/07 23:00) and c5, c6, c12 (05/09 00:30 is 04/09 in UTC).
    custom = compute_statistics(Period.custom(date(2026, 7, 31), date(2026, 9, 5)), HANOI)
    assert custom.resolved == 4
    assert custom.resolved_by_month == {"2026-07": 1, "2026-08": 2, "2026-09": 1}
    # The case resolved on 01/10 at 00:30 in Vietnam belongs to October.
    assert compute_statistics(Period.month(2026, 10), HANOI).resolved == 1


def test_sellers_with_a_confirmed_violation(dataset):
    sellers = compute_statistics(Q3, HANOI, name_sellers=True).sellers
    top = [(s.name, s.cases, s.fines_vnd) for s in sellers]
    assert top[:4] == [
        ("Cửa hàng Minh Anh", 3, 35_000_000),
        ("Tạp hóa Hồng Nhung", 1, 7_000_000),
        ("Cửa hàng Thành Đạt", 1, 2_500_000),
        ("Kho sỉ Hà Nội", 1, 1_500_000),
    ]
    # Warnings and goods count; no violation (Shop Hằng Nga) and referrals do not.
    assert {name for name, *_ in top[4:]} == {
        "Tạp hóa Bình Minh",
        "Đại lý Phúc Lộc",
        "Quầy hàng số 12",
    }


def test_an_empty_period_has_no_median(dataset):
    stats = compute_statistics(Period.year(2020), None)
    assert (stats.resolved, stats.received, stats.fines_vnd) == (0, 0, 0)
    assert stats.median_days is None and stats.within_deadline_share is None
    assert stats.resolved_by_month == {f"2020-{m:02d}": 0 for m in range(1, 13)}


def test_the_build_form_defaults_to_the_last_full_quarter_and_month():
    assert previous_quarter(date(2026, 11, 23)) == Period.quarter(2026, 3)
    assert previous_quarter(date(2027, 2, 1)) == Period.quarter(2026, 4)
    assert previous_month(date(2027, 1, 15)) == Period.month(2026, 12)

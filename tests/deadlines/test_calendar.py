"""The working-day calendar, checked by hand against a printed calendar.

The package (holidays 0.109) gives, for 2026: 1 Jan; Tết 16–20 Feb (Mon–Fri, so
14–22 Feb off with the weekends); Hùng Kings 26 Apr (Sun) observed Mon 27 Apr;
30 Apr (Thu), 1 May (Fri); National Day 1–2 Sep (Tue–Wed) with Mon 31 Aug off,
swapped for Saturday 22 Aug; Vietnamese Culture Day 24 Nov (Tue). For 2027: 1 Jan
(Fri); Tết 4–10 Feb (Thu–Wed; Tết Nguyên Đán is Sat 6 Feb); Hùng Kings 16 Apr
(Fri); 30 Apr (Fri), 1 May (Sat) observed Mon 3 May; 2–3 Sep (Thu–Fri); 24 Nov
(Wed). The official swap it misses (2 Jan 2026 off, Saturday 10 Jan 2026 worked)
is an override here, as `flask refdata load` stores it.
"""

from __future__ import annotations

from datetime import date

import pytest

from inspect_app.deadlines.calendar import (
    WorkingCalendar,
    package_holidays,
    package_makeup_days,
)

D = date
SWAPS = {D(2026, 1, 2): False, D(2026, 1, 10): True}
CAL = WorkingCalendar(SWAPS)
BARE = WorkingCalendar()


WORKING_DAY_CASES = [
    # Example of the design note: Wed 11 Feb 2026 + 7: Thu 12, Fri 13, then Tết and
    # its weekends (14–22 Feb) off, Mon 23 … Fri 27.
    (D(2026, 2, 11), 7, D(2026, 2, 27)),
    # Tết 2027: Wed 3 Feb + 1; 4–10 Feb are all off (29 Tết to Mùng năm) → Thu 11 Feb.
    (D(2027, 2, 3), 1, D(2027, 2, 11)),
    # Mon 1 Feb 2027 + 5: Tue 2, Wed 3, (Tết) Thu 11, Fri 12, Mon 15.
    (D(2027, 2, 1), 5, D(2027, 2, 15)),
    # New Year 2026 with the extra day off: Wed 31 Dec + 1; Thu 1 Jan holiday, Fri 2 Jan
    # off (swap), weekend → Mon 5 Jan.
    (D(2025, 12, 31), 1, D(2026, 1, 5)),
    # Tue 30 Dec 2025 + 2: Wed 31 Dec, then (1–4 Jan off) Mon 5 Jan.
    (D(2025, 12, 30), 2, D(2026, 1, 5)),
    # Make-up Saturday: Mon 5 Jan 2026 + 5: Tue 6 … Fri 9, Sat 10 (worked) is the 5th.
    (D(2026, 1, 5), 5, D(2026, 1, 10)),
    # Saturday 22 Aug 2026, the package's own make-up day: Fri 21 + 1 lands on it.
    (D(2026, 8, 21), 1, D(2026, 8, 22)),
    # National Day 2026: Thu 27 Aug + 2: Fri 28, then Mon 31 Aug (swap), Tue 1 and
    # Wed 2 Sep off → Thu 3 Sep.
    (D(2026, 8, 27), 2, D(2026, 9, 3)),
    # National Day 2027: Wed 1 Sep + 1: Thu 2 and Fri 3 Sep off → Mon 6 Sep.
    (D(2027, 9, 1), 1, D(2027, 9, 6)),
    # Hùng Kings 2026 (Sun 26 Apr, observed Mon 27): Fri 24 Apr + 1 → Tue 28 Apr.
    (D(2026, 4, 24), 1, D(2026, 4, 28)),
    # Hùng Kings 2027 (Fri 16 Apr): Thu 15 Apr + 1 → Mon 19 Apr.
    (D(2027, 4, 15), 1, D(2027, 4, 19)),
    # 30 Apr / 1 May 2027: Thu 29 Apr + 1; Fri 30 Apr off, Sat 1 May observed Mon 3 May
    # → Tue 4 May.
    (D(2027, 4, 29), 1, D(2027, 5, 4)),
    # Vietnamese Culture Day (Tue 24 Nov 2026): Mon 23 + 1 → Wed 25 Nov.
    (D(2026, 11, 23), 1, D(2026, 11, 25)),
    # New Year 2027 (Fri 1 Jan): Thu 31 Dec 2026 + 1 → Mon 4 Jan 2027.
    (D(2026, 12, 31), 1, D(2027, 1, 4)),
    # Start on a Friday: Fri 6 Mar 2026 + 7: Mon 9 … Fri 13 (5), Mon 16, Tue 17.
    (D(2026, 3, 6), 7, D(2026, 3, 17)),
    # Start on a Saturday: the period begins the next day; Mon 9 Mar is the first.
    (D(2026, 3, 7), 1, D(2026, 3, 9)),
    # Start on a holiday (Wed 2 Sep 2026) + 5: Thu 3, Fri 4, Mon 7, Tue 8, Wed 9.
    (D(2026, 9, 2), 5, D(2026, 9, 9)),
    # Zero: the start day itself, even a Saturday.
    (D(2026, 3, 7), 0, D(2026, 3, 7)),
    # Negative (a reminder before a deadline): 1 working day before Mon 5 Jan 2026 is
    # Wed 31 Dec 2025 (Sun 4, Sat 3, Fri 2 off, Thu 1 holiday are skipped).
    (D(2026, 1, 5), -1, D(2025, 12, 31)),
    # 3 working days before Mon 23 Feb 2026 (after Tết): Fri 13, Thu 12, Wed 11 Feb.
    (D(2026, 2, 23), -3, D(2026, 2, 11)),
    # A swap filed under the previous year: Mon 31 Dec 2018 off, Tue 1 Jan holiday;
    # Fri 28 Dec 2018 + 1 → Wed 2 Jan 2019; and Saturday 5 Jan 2019 was worked.
    (D(2018, 12, 28), 1, D(2019, 1, 2)),
    (D(2019, 1, 4), 1, D(2019, 1, 5)),
]

CALENDAR_DAY_CASES = [
    # Tue 31 Mar 2026 + 30 = Thu 30 Apr (holiday), Fri 1 May (holiday), weekend →
    # Mon 4 May (Civil Code art. 148).
    (D(2026, 3, 31), 30, D(2026, 5, 4)),
    # Sun 2 Aug 2026 + 30 = Tue 1 Sep (National Day), Wed 2 Sep too → Thu 3 Sep.
    (D(2026, 8, 2), 30, D(2026, 9, 3)),
    # Mon 2 Mar 2026 + 30 = Wed 1 Apr, a working day: unchanged.
    (D(2026, 3, 2), 30, D(2026, 4, 1)),
    # Thu 5 Mar 2026 + 30 = Sat 4 Apr → Mon 6 Apr.
    (D(2026, 3, 5), 30, D(2026, 4, 6)),
    # Thu 11 Dec 2025 + 30 = Sat 10 Jan 2026, the make-up working day: it stays.
    (D(2025, 12, 11), 30, D(2026, 1, 10)),
    # Wed 3 Dec 2025 + 30 = Fri 2 Jan 2026, the extra day off → Mon 5 Jan.
    (D(2025, 12, 3), 30, D(2026, 1, 5)),
    # Mon 19 Jan 2026 + 30 = Wed 18 Feb (Tết) → Mon 23 Feb.
    (D(2026, 1, 19), 30, D(2026, 2, 23)),
    # Wed 6 Jan 2027 + 30 = Fri 5 Feb (Giao thừa); Tết to Wed 10 Feb → Thu 11 Feb.
    (D(2027, 1, 6), 30, D(2027, 2, 11)),
    # Zero calendar days from a Saturday: the day itself is off → Mon 9 Mar 2026.
    (D(2026, 3, 7), 0, D(2026, 3, 9)),
]


@pytest.mark.parametrize(("start", "n", "expected"), WORKING_DAY_CASES)
def test_add_working_days(start: date, n: int, expected: date):
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(("start", "n", "expected"), CALENDAR_DAY_CASES)
def test_add_calendar_days(start: date, n: int, expected: date):
    assert CAL.add_calendar_days(start, n) == expected


def test_the_overrides_decide_over_the_package():
    # Without the swap, Fri 2 Jan 2026 is worked and Sat 10 Jan is not.
    assert BARE.add_working_days(D(2025, 12, 30), 2) == D(2026, 1, 2)
    assert BARE.add_working_days(D(2026, 1, 5), 5) == D(2026, 1, 12)
    assert BARE.add_calendar_days(D(2025, 12, 11), 30) == D(2026, 1, 12)
    # An override can also make a package holiday a working day.
    assert WorkingCalendar({D(2026, 4, 30): True}).is_working_day(D(2026, 4, 30))


def test_negative_calendar_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CAL.add_calendar_days(D(2026, 3, 2), -1)


WORKING_DAYS_BETWEEN = [
    # 7 working days from Wed 11 to Fri 27 Feb 2026 (see above) and back.
    (D(2026, 2, 11), D(2026, 2, 27), 7),
    (D(2026, 2, 27), D(2026, 2, 11), -7),
    # "còn 1 ngày làm việc" across Tết: Fri 13 → Mon 23 Feb 2026.
    (D(2026, 2, 13), D(2026, 2, 23), 1),
    # The deadline day itself: 0.
    (D(2026, 3, 13), D(2026, 3, 13), 0),
    # From a Saturday to the Monday: 1.
    (D(2026, 3, 7), D(2026, 3, 9), 1),
    # Deadline Fri 13 Mar, today Tue 17: "quá hạn 2 ngày làm việc" (Mon 16, Tue 17).
    (D(2026, 3, 17), D(2026, 3, 13), -2),
    # The Saturday after a Friday deadline: no working day has passed yet.
    (D(2026, 3, 14), D(2026, 3, 13), 0),
]


@pytest.mark.parametrize(("a", "b", "expected"), WORKING_DAYS_BETWEEN)
def test_working_days_between(a: date, b: date, expected: int):
    assert CAL.working_days_between(a, b) == expected


@pytest.mark.parametrize(("start", "n", "expected"), WORKING_DAY_CASES)
def test_working_days_between_inverts_add_working_days(start: date, n: int, expected: date):
    assert CAL.working_days_between(start, expected) == n


def test_package_holidays_2026_and_2027_in_vietnamese():
    h2026 = package_holidays(2026)
    assert [d for d in h2026 if d.month == 2] == [D(2026, 2, d) for d in range(16, 21)]
    assert h2026[D(2026, 2, 17)] == "Tết Nguyên Đán"
    assert h2026[D(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert D(2026, 1, 2) not in h2026  # hence the shipped swap
    h2027 = package_holidays(2027)
    assert [d for d in h2027 if d.month == 2] == [D(2027, 2, d) for d in range(4, 11)]
    assert h2027[D(2027, 2, 6)] == "Tết Nguyên Đán"
    assert h2027[D(2027, 5, 3)] == "Ngày Quốc tế Lao động (nghỉ bù)"
    assert package_makeup_days(2026) == [D(2026, 8, 22)]
    assert package_makeup_days(2027) == []

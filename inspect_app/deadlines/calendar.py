"""The working-day calendar.

Working days are Monday to Friday minus the Vietnamese public holidays (lunar Tết
included), plus the make-up weekend days of announced swaps — both from the
`holidays` package — then the `calendar_overrides` table on top, for what the
package does not know (yet) or gets wrong.

Counting follows the Civil Code 2015, art. 147–148: the day of the event is not
counted, the period begins the next day, and a period whose last day is a day off
ends on the next working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache

import holidays
from sqlalchemy import select

from inspect_app.deadlines.models import CalendarOverride
from inspect_app.extensions import db

COUNTRY = "VN"
LANGUAGE = "vi"
_ONE_DAY = timedelta(days=1)


@cache
def _package_year(year: int) -> holidays.HolidayBase:
    """The package's calendar for one year, built once per process.

    `expand=False` keeps the object read-only after construction, so it is safe to
    share between threads. Its `weekend_workdays` also holds make-up days filed
    under a neighbouring year (31 Dec 2018 off for Saturday 5 Jan 2019).
    """
    return holidays.country_holidays(COUNTRY, years=year, language=LANGUAGE, expand=False)


def package_holidays(year: int) -> dict[date, str]:
    """The days off the package gives for ``year``, with their Vietnamese names."""
    return dict(sorted(_package_year(year).items()))


def package_makeup_days(year: int) -> list[date]:
    """The weekend days of ``year`` the package marks as working (make-up days of swaps)."""
    return sorted(d for d in _package_year(year).weekend_workdays if d.year == year)


class WorkingCalendar:
    """Working days from the package, corrected by ``overrides`` (day → is working)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})
        # Answers are fixed for the life of the object; deadline labels ask about
        # the same few weeks thousands of times (a queue page, the morning digests).
        self._known: dict[date, bool] = {}

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            override = self._overrides.get(day)
            known = (
                override if override is not None else _package_year(day.year).is_working_day(day)
            )
            self._known[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (before it when n < 0; ``start`` when 0).

        ``start`` itself is never counted, working day or not: a report received on a
        Saturday has Monday as its first day.
        """
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        day = start
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def add_calendar_days(self, start: date, n: int) -> date:
        """``start`` + n days; a last day that is a day off moves to the next working day."""
        if n < 0:
            raise ValueError("a period of calendar days cannot be negative")
        return self.next_working_day(start + timedelta(days=n))

    def working_days_between(self, a: date, b: date) -> int:
        """The working days after ``a`` up to and including ``b``; negative when b < a.

        ``working_days_between(today, deadline)`` is what is left: 3 reads "còn 3 ngày
        làm việc", 0 is the deadline itself (or a day off just after it; compare the
        dates to know whether it has passed), -2 reads "quá hạn 2 ngày làm việc". For a
        working day b, ``add_working_days(a, working_days_between(a, b)) == b``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        days = (a + timedelta(days=k) for k in range(1, (b - a).days + 1))
        return sum(1 for day in days if self.is_working_day(day))


def load_calendar() -> WorkingCalendar:
    """The calendar with every override stored in the database."""
    rows = db.session.execute(select(CalendarOverride.day, CalendarOverride.working))
    return WorkingCalendar({row.day: row.working for row in rows})

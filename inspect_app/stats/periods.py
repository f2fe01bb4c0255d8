"""Reporting periods: a month, a quarter, a year or custom dates, as days in Vietnam."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.core.web import format_date_vn


class PeriodType(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def title(self) -> str:
        return str(PERIOD_TYPE_TITLES[self])


PERIOD_TYPE_TITLES = {
    PeriodType.MONTH: _l("Month"),
    PeriodType.QUARTER: _l("Quarter"),
    PeriodType.YEAR: _l("Year"),
    PeriodType.CUSTOM: _l("Custom dates"),
}


def start_of_day(day: date) -> datetime:
    """Midnight in Vietnam at the start of `day` (an aware datetime)."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Period:
    """Days `start`..`end`, both included, in Vietnam's time zone."""

    type: PeriodType
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(PeriodType.MONTH, date(year, month, 1), following - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = cls.month(year, 3 * quarter - 2)
        last = cls.month(year, 3 * quarter)
        return cls(PeriodType.QUARTER, first.start, last.end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodType.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def custom(cls, start: date, end: date) -> Period:
        return cls(PeriodType.CUSTOM, start, end)

    @classmethod
    def from_snapshot(cls, period: dict[str, str]) -> Period:
        """The period of a snapshot's `report.period` object."""
        return cls(
            PeriodType(period["type"]),
            date.fromisoformat(period["start"]),
            date.fromisoformat(period["end"]),
        )

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[from, until): the instants the period covers."""
        return start_of_day(self.start), start_of_day(self.end + timedelta(days=1))

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every calendar month the period touches, in order."""
        months = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    @property
    def label(self) -> str:
        """'Quý 3/2026', 'Tháng 7/2026', 'Năm 2026' or '01/07/2026 – 15/08/2026'."""
        if self.type is PeriodType.MONTH:
            return _("Month %(month)d/%(year)d", month=self.start.month, year=self.start.year)
        if self.type is PeriodType.QUARTER:
            quarter = (self.start.month - 1) // 3 + 1
            return _("Quarter %(quarter)d/%(year)d", quarter=quarter, year=self.start.year)
        if self.type is PeriodType.YEAR:
            return _("Year %(year)d", year=self.start.year)
        return f"{format_date_vn(self.start)} – {format_date_vn(self.end)}"


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    return Period.month(year, month).bounds


def previous_quarter(today: date) -> Period:
    """The last quarter that has ended: what a report is usually about."""
    current = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    last_day = current.start - timedelta(days=1)
    return Period.quarter(last_day.year, (last_day.month - 1) // 3 + 1)


def previous_month(today: date) -> Period:
    last_day = today.replace(day=1) - timedelta(days=1)
    return Period.month(last_day.year, last_day.month)

"""Calendar arithmetic in SQL, on SQLite and PostgreSQL alike: the day and month in
Vietnam of a stored UTC timestamp, days between two of them, seconds since 1970.

PostgreSQL converts with the zone's rules (`AT TIME ZONE 'Asia/Ho_Chi_Minh'`);
SQLite, which knows no zones, adds seven hours: Vietnam has kept UTC+7 without daylight
saving since 1975, so both give the same answers for every stored case.
"""

from __future__ import annotations

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

TIME_ZONE = "Asia/Ho_Chi_Minh"
SQLITE_OFFSET = "+7 hours"


class LocalDate(FunctionElement):
    """The day in Vietnam of a UTC timestamp column."""

    type = Date()
    inherit_cache = True


class LocalMonth(FunctionElement):
    """'YYYY-MM' of the month in Vietnam of a UTC timestamp column."""

    type = String()
    inherit_cache = True


class DaysBetween(FunctionElement):
    """Whole calendar days in Vietnam from the second timestamp's day to the first's."""

    type = Integer()
    inherit_cache = True


class EpochSeconds(FunctionElement):
    """Seconds since 1970 of a timestamp column."""

    type = Float()
    inherit_cache = True


def _args(element, compiler, **kw) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(LocalDate, "postgresql")
def _local_date_pg(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"CAST(({moment}) AT TIME ZONE '{TIME_ZONE}' AS DATE)"


@compiles(LocalDate, "sqlite")
def _local_date_sqlite(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"date({moment}, '{SQLITE_OFFSET}')"


@compiles(LocalMonth, "postgresql")
def _local_month_pg(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"to_char(({moment}) AT TIME ZONE '{TIME_ZONE}', 'YYYY-MM')"


@compiles(LocalMonth, "sqlite")
def _local_month_sqlite(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"strftime('%Y-%m', {moment}, '{SQLITE_OFFSET}')"


@compiles(DaysBetween, "postgresql")
def _days_pg(element, compiler, **kw) -> str:
    later, earlier = _args(element, compiler, **kw)
    return (
        f"(CAST(({later}) AT TIME ZONE '{TIME_ZONE}' AS DATE)"
        f" - CAST(({earlier}) AT TIME ZONE '{TIME_ZONE}' AS DATE))"
    )


@compiles(DaysBetween, "sqlite")
def _days_sqlite(element, compiler, **kw) -> str:
    later, earlier = _args(element, compiler, **kw)
    return (
        f"CAST(julianday(date({later}, '{SQLITE_OFFSET}'))"
        f" - julianday(date({earlier}, '{SQLITE_OFFSET}')) AS INTEGER)"
    )


@compiles(EpochSeconds, "postgresql")
def _epoch_pg(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM {moment})"


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"((julianday({moment}) - 2440587.5) * 86400.0)"

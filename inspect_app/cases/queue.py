"""The case queue: scope, filters, accent-insensitive search, keyset pagination.

Designed for a million cases: every query starts from the user's scope (team or
province), which the composite indexes `(team_id, status, next_due, id)` and
`(province_code, status, next_due, id)` serve; pages are fetched by keyset (the
last row's sort key), never by OFFSET, so page 500 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    and_,
    func,
    or_,
    select,
    tuple_,
)

from inspect_app.accounts.models import User
from inspect_app.cases.access import case_scope
from inspect_app.cases.deadlines import start_of_local_day
from inspect_app.cases.models import OPEN_STATUSES, Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.bounds import date_in_range, id_in_range
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.extensions import db
from inspect_app.text import fold

PAGE_SIZE = 50
SORTS = ("deadline", "age", "activity")
# Filtered counts read at most this many matching rows: past it, the queue says
# "more than 1,000" instead of counting every match of a common word in a province
# (or the whole country) on every page.
COUNT_CAP = 1000
TRIGRAM = 3  # letters a search term needs for the trigram index to narrow it down

# Cases per team, province and state, kept exact by triggers on `cases` in the
# transaction of every INSERT, UPDATE and DELETE (migration 38a5d9a9aa06). The queue
# reads its counts per state here when only the scope filters them: counting a
# province's 125,000 cases in an index takes 20 ms; this is a few rows.
case_counts = Table(
    "case_counts",
    db.metadata,
    Column("team_key", Integer, primary_key=True, autoincrement=False),  # team id; 0: none
    Column("province_code", Integer, primary_key=True, autoincrement=False),
    Column("status", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
)


@dataclass
class QueueFilters:
    statuses: list[str] = field(default_factory=lambda: [s.value for s in OPEN_STATUSES])
    category_id: int | None = None
    ward_code: int | None = None
    source: str | None = None
    kind: str | None = None
    assignee: str | None = None  # a user id, "mine" or "unassigned"
    overdue: bool = False
    due_within: int | None = None  # working days
    received_from: date | None = None
    received_to: date | None = None
    search: str = ""
    sort: str = "deadline"


# A queue row: what the table shows and the cursors need (rows, not ORM objects: a
# page is read, never changed). No join: with a search, the planner may join before
# it sorts and limits.
ROW_COLUMNS = (
    Case.id,
    Case.status,
    Case.title,
    Case.category_id,
    Case.assignee_id,
    Case.received_at,
    Case.last_activity_at,
    Case.next_due,
    Case.province_code,
    Case.ward_code,
)


@dataclass
class QueuePage:
    cases: list[Row]  # of ROW_COLUMNS
    next_cursor: str | None
    # Cases per state under the filters (the state filter aside); None for every
    # state when the matches are too many to count on each page (see COUNT_CAP).
    counts: dict[str, int | None]
    # Cases listed under all the filters, and whether that is only a lower bound
    # ("more than COUNT_CAP").
    total: int = 0
    total_capped: bool = False


def _filtered(user: User, filters: QueueFilters, today: date, calendar: WorkingCalendar) -> Select:
    query = select(Case).where(case_scope(user))
    if filters.category_id:
        query = query.where(Case.category_id == filters.category_id)
    if filters.ward_code:
        query = query.where(Case.ward_code == filters.ward_code)
    if filters.source:
        query = query.where(Case.source == filters.source)
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    if filters.assignee == "mine":
        query = query.where(Case.assignee_id == user.id)
    elif filters.assignee == "unassigned":
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee and filters.assignee.isdigit():
        query = query.where(Case.assignee_id == int(filters.assignee))
    if filters.overdue:
        query = query.where(Case.next_due < today)
    if filters.due_within is not None:
        horizon = calendar.add_working_days(today, filters.due_within)
        query = query.where(Case.next_due >= today, Case.next_due <= horizon)
    if filters.received_from:
        query = query.where(Case.received_at >= start_of_local_day(filters.received_from))
    if filters.received_to:
        query = query.where(
            Case.received_at < start_of_local_day(filters.received_to + timedelta(days=1))
        )
    terms = fold(filters.search).split()[:5]
    indexed = [t for t in terms if len(t) >= TRIGRAM] or terms
    for term in terms:
        # A term of one or two letters has no trigram: given to the trigram index it
        # matches every row ("my" of "mỹ phẩm" made the index return a whole province).
        # Beside a longer term it is checked on the rows the longer one found.
        column = Case.search_text if term in indexed else Case.search_text.concat("")
        query = query.where(column.contains(term, autoescape=True))
    return query


def _sort_columns(sort: str):
    """ORDER BY of the age and activity sorts (the deadline sort: see `_rows`)."""
    if sort == "age":
        return [Case.received_at, Case.id]
    return [Case.last_activity_at.desc(), Case.id.desc()]


def _cursor_value(case: Row, sort: str) -> list:
    if sort == "age":
        return [case.received_at.isoformat(), case.id]
    if sort == "activity":
        return [case.last_activity_at.isoformat(), case.id]
    return [case.next_due.isoformat() if case.next_due else None, case.id]


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# A cursor this module makes is under 80 characters; a longer one was not made here
# (and nested JSON thousands deep would exhaust the parser's recursion).
MAX_CURSOR_LENGTH = 200

Position = tuple[date | datetime | None, int]


class InvalidCursor(ValueError):
    """A cursor this queue never made (edited, truncated, or for another sort): the
    view answers 400 rather than guess where the page starts."""


def decode_cursor(cursor: str | None, sort: str) -> Position | None:
    """The sort key and id a page starts after; None for the first page."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:  # bad base64, bytes or JSON
        raise InvalidCursor("cursor is not base64 JSON") from exc
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidCursor("cursor is not a [key, id] pair")
    key, ident = values
    if type(ident) is not int or not id_in_range(ident):
        raise InvalidCursor("cursor id out of range")
    return _sort_key(key, sort), ident


def _sort_key(key: object, sort: str) -> date | datetime | None:
    """A deadline (a day, or None for the cases without one) or an aware timestamp,
    within the dates the database can compare."""
    if sort == "deadline" and key is None:
        return None
    if not isinstance(key, str):
        raise InvalidCursor("cursor key is not text")
    try:
        value = date.fromisoformat(key) if sort == "deadline" else datetime.fromisoformat(key)
    except ValueError as exc:
        raise InvalidCursor("cursor key is not a date") from exc
    if isinstance(value, datetime) and value.tzinfo is None:
        raise InvalidCursor("cursor timestamp without a time zone")
    day = value.date() if isinstance(value, datetime) else value
    # A day in range stays in range in UTC; year 1 at +14:00 would not exist there.
    if not date_in_range(day):
        raise InvalidCursor("cursor key out of range")
    return value


@dataclass(frozen=True)
class _After:
    """Where a page starts: rows after the cursor in the sort order."""

    condition: ColumnElement[bool]
    undated: bool = False  # by deadline, already among the cases without one


def _keyset(sort: str, position: Position) -> _After:
    """The cursor as a row-value comparison, which the composite indexes answer as a
    range."""
    key, ident = position
    if sort == "age":
        return _After(tuple_(Case.received_at, Case.id) > (key, ident))
    if sort == "activity":
        return _After(tuple_(Case.last_activity_at, Case.id) < (key, ident))
    if key is None:
        return _After(and_(Case.next_due.is_(None), Case.id > ident), undated=True)
    return _After(tuple_(Case.next_due, Case.id) > (key, ident))


def _rows(
    query: Select,
    sort: str,
    after: _After | None,
    limit: int,
    undated: bool,
    searched: bool = False,
) -> list[Row]:
    """One page in the sort order.

    By deadline, `ORDER BY next_due NULLS LAST, id` runs as two index range scans —
    the cases with a deadline after the cursor, then, if the page is not full and
    cases without a deadline may match (`undated`), those — instead of one scan that
    an OR in the keyset condition would make read every row before the cursor.

    A search is one query: its matches come from a trigram index, not in deadline
    order, so there is no range to keep; and without the `next_due IS NOT NULL` of
    the dated half, the state filter alone selects the partial index of open cases
    (migration e15a0c1d2b04) instead of the planner intersecting the whole table's.
    """
    if sort != "deadline":
        return _fetch(query.where(*_present(after)).order_by(*_sort_columns(sort)), limit)
    if searched:
        if after is not None and not after.undated:
            after = _After(or_(after.condition, Case.next_due.is_(None)))
        ordered = query.where(*_present(after)).order_by(Case.next_due.asc().nulls_last(), Case.id)
        return _fetch(ordered, limit)
    rows = []
    if after is None or not after.undated:
        dated = query.where(Case.next_due.is_not(None), *_present(after))
        rows = _fetch(dated.order_by(Case.next_due, Case.id), limit)
    if len(rows) < limit and undated:
        without = query.where(Case.next_due.is_(None))
        if after is not None and after.undated:
            without = without.where(after.condition)
        rows += _fetch(without.order_by(Case.id), limit - len(rows))
    return rows


def _present(after: _After | None) -> list[ColumnElement[bool]]:
    return [] if after is None else [after.condition]


def _fetch(query: Select, limit: int) -> list[Row]:
    return list(db.session.execute(query.with_only_columns(*ROW_COLUMNS).limit(limit)))


def queue_page(
    user: User,
    filters: QueueFilters,
    *,
    today: date,
    calendar: WorkingCalendar,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    sort = filters.sort if filters.sort in SORTS else "deadline"
    base = _filtered(user, filters, today, calendar)
    query = base.where(Case.status.in_(filters.statuses)) if filters.statuses else base
    position = decode_cursor(cursor, sort)  # raises InvalidCursor
    after = _keyset(sort, position) if position else None
    # A deadline filter leaves out the cases without a deadline.
    undated = not filters.overdue and filters.due_within is None
    searched = bool(fold(filters.search).split())
    rows = _rows(query, sort, after, page_size + 1, undated, searched)
    next_cursor = (
        encode_cursor(_cursor_value(rows[page_size - 1], sort)) if len(rows) > page_size else None
    )
    counts, total, capped = _counts(user, filters, base, query)
    return QueuePage(
        cases=rows[:page_size],
        next_cursor=next_cursor,
        counts=counts,
        total=total,
        total_capped=capped,
    )


def _listed_states(filters: QueueFilters) -> list[str]:
    return filters.statuses or [s.value for s in CaseStatus]


def _counts(
    user: User, filters: QueueFilters, base: Select, listed: Select
) -> tuple[dict[str, int | None], int, bool]:
    """Cases per state, the number listed, and whether that number is only a lower
    bound. When only the scope filters the queue, every state's count comes from the
    counter table. Otherwise the listed states are counted under the filters, reading
    at most COUNT_CAP + 1 matching rows: past it the page says "more than 1,000"
    and no state gets a number; the states not listed get none either (counting them
    would read matches the page does not show)."""
    states = _listed_states(filters)
    only_scope = replace(filters, statuses=[], sort="") == QueueFilters(statuses=[], sort="")
    if only_scope:
        counts: dict[str, int | None] = {s.value: 0 for s in CaseStatus}
        counts.update(kept_counts(user))
        return counts, sum(counts[s] or 0 for s in states), False
    counts = dict.fromkeys((s.value for s in CaseStatus), None)
    found = capped_counts(listed)
    if found is None:
        return counts, COUNT_CAP, True
    counts.update({state: found.get(state, 0) for state in states})
    return counts, sum(found.values()), False


def capped_counts(query: Select, cap: int | None = None) -> dict[str, int] | None:
    """Matches per state, reading at most ``cap`` + 1 matching rows; None past ``cap``."""
    cap = COUNT_CAP if cap is None else cap
    sample = query.with_only_columns(Case.status).limit(cap + 1).subquery()
    counted = select(sample.c.status, func.count()).group_by(sample.c.status)
    found = {status: n for status, n in db.session.execute(counted)}
    return None if sum(found.values()) > cap else found


def exact_counts(base: Select) -> dict[str, int]:
    counted = base.with_only_columns(Case.status, func.count()).group_by(Case.status)
    return {status: n for status, n in db.session.execute(counted)}


def kept_counts(user: User) -> dict[str, int]:
    """Cases per state in the user's scope, from `case_counts`."""
    counted = (
        select(case_counts.c.status, func.sum(case_counts.c.n))
        .where(_counted_scope(user))
        .group_by(case_counts.c.status)
    )
    return {status: int(n) for status, n in db.session.execute(counted) if n}


def _counted_scope(user: User) -> ColumnElement[bool]:
    """`access.case_scope` on `case_counts`."""
    return case_scope(user, case_counts.c.province_code, case_counts.c.team_key)

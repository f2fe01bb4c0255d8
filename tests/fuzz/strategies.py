"""Hypothesis strategies of hostile request values: numbers past every integer type,
dates and time zones past the calendar, control characters, overlong text, values
of the wrong type, and cursors made of all of these."""

from __future__ import annotations

import base64
import json
from datetime import UTC, timedelta, timezone

from hypothesis import strategies as st

HOSTILE_NUMBERS = (
    "0",
    "-1",
    "-0",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "100000000000000000000000",
    "9" * 5000,
    "1e309",
    "1.5",
    "NaN",
    "Infinity",
    "0x10",
    " 7",
    "٣",
    "²",
    "１２",
)
HOSTILE_DATES = (
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2101-01-01",
    "2026-02-29",
    "2026-13-45",
    "06/12/2026",
    "2026-12-06T00:00:00+14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "+275760-09-13",
)
HOSTILE_TEXT = (
    "",
    " ",
    "\r\n",
    "\x00",
    "a\x00b",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\\",
    "//evil.com",
    "/\r\nSet-Cookie: x=1",
    "/\t/evil.com",
    "/\\evil.com",
    "https://evil.com/",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "%",
    "../../etc/passwd",
    '=HYPERLINK("http://evil")',
    "A" * 10_000,
    "ư" * 3000,
    "None",
    "null",
    "true",
    "[]",
    "{}",
)
ZONES = (
    UTC,
    timezone(timedelta(hours=14)),
    timezone(-timedelta(hours=12)),
    timezone(timedelta(hours=7)),
)


def _cursor(values) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Appended to a value a form offers, so that it gets past the first checks.
SPLICES = ("\r\n", "\t", "\x00", "\u2028", "\\", "'", "0" * 30, "9" * 30, "-1", "T25:61")

numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=2**31, max_value=10**30).map(str),
    st.integers(min_value=-(10**30), max_value=-1).map(str),
)
dates = st.one_of(
    st.sampled_from(HOSTILE_DATES),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.sampled_from(ZONES)).map(lambda d: d.isoformat()),
)
control_text = st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"]))
any_text = st.text(st.characters(codec="utf-8"), max_size=40)
scalars = st.one_of(numbers, dates, st.sampled_from(HOSTILE_TEXT), control_text, any_text)
keys = st.one_of(st.none(), dates, any_text, st.integers().map(str))
idents = st.one_of(st.integers(), st.sampled_from(HOSTILE_NUMBERS), st.floats(), st.none())
cursors = st.one_of(
    st.tuples(keys, idents).map(list),
    st.recursive(st.one_of(keys, idents), lambda inner: st.lists(inner, max_size=3)),
).map(_cursor)
hostile = st.one_of(scalars, cursors)
# What a field of each HTML input type mostly gets: values of its own type first.
TYPED = {
    "date": dates,
    "number": numbers,
    "select": numbers,
    "radio": numbers,
    "checkbox": numbers,
    "hidden": numbers,
    "cursor": cursors,
}


@st.composite
def value_for(draw, name: str, kind: str, hints: list[str]) -> str:
    """A value for a field: one the form offers (to get past the first checks), one of
    those with something hostile appended, or a hostile one, mostly of the field's
    own type (a number for a select of ids, a date for a date input)."""
    typed = TYPED.get("cursor" if name in ("after", "cursor") else kind, hostile)
    choices = ["offered", "spliced", "typed", "hostile"] if hints else ["typed", "hostile"]
    choice = draw(st.sampled_from(choices))
    if choice == "offered":
        return draw(st.sampled_from(hints))
    if choice == "spliced":
        return draw(st.sampled_from(hints)) + draw(st.sampled_from(SPLICES))
    return draw(typed if choice == "typed" else hostile)


@st.composite
def path_value(draw, real: list[str]) -> str:
    """A path parameter: a real value (an id that exists, a choice of `any(...)`) half
    the time (a hostile id only ever reaches the router, a real one the view), else a
    number past the database's integers, or text."""
    choice = draw(
        st.sampled_from(["real", "number", "number", "text"] if real else ["number", "text"])
    )
    if choice == "real":
        return draw(st.sampled_from(real))
    if choice == "number":
        return draw(numbers)
    return draw(st.one_of(any_text.filter(bool), st.sampled_from(HOSTILE_TEXT[1:])))

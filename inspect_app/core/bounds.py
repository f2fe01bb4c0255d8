"""The bounds of every value a request may carry, in one place.

Ids are 32-bit integers (PostgreSQL `integer`); a larger one exists nowhere, and
asking the database for it fails there (a 500 instead of a 404). Dates outside
2000–2100 mean nothing here, and years 1 or 9999 overflow when turned into an
instant in UTC. URL ids go through `IdConverter` (`<id:case_id>`), form ids through
`core.forms.coerce_id`, dates through `core.forms.DateField`.
"""

from __future__ import annotations

from datetime import date

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
# For messages: "between %(min)s and %(max)s".
DATE_LIMITS = {"min": DATE_MIN.strftime("%d/%m/%Y"), "max": DATE_MAX.strftime("%d/%m/%Y")}


def id_in_range(ident: int) -> bool:
    return 0 < ident <= MAX_ID


def date_in_range(day: date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def digits_up_to(limit: int) -> str:
    """A regular expression matching exactly the numbers 1 … `limit` written without
    leading zeros (ASCII digits only): shorter numbers, then the same length digit by
    digit."""
    text = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        low, rest = (1 if i == 0 else 0), len(text) - i - 1
        if int(digit) > low:
            parts.append(
                text[:i] + f"[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id, 1 … 2**31 - 1. Anything else matches no route, for
    every method alike (a 404; a value refused after matching would make Werkzeug
    answer 405 where a GET route of the same path exists)."""

    regex = digits_up_to(MAX_ID)

    def __init__(self, map) -> None:
        super().__init__(map)

"""Small-cell suppression of breakdowns that could point at a person or a shop.

A count below the threshold (but above zero) is hidden and shown as "< 3". If a
breakdown would hide exactly one cell, the total minus the visible cells would give
it away, so the next-smallest cell is hidden too (complementary suppression, shown
as "x"). Totals stay the true totals. Rows with no cases are not listed.
"""

from __future__ import annotations

from typing import Any

BELOW_THRESHOLD = "below_threshold"
COMPLEMENTARY = "complementary"

Row = dict[str, Any]


def suppress(rows: list[Row], threshold: int) -> list[Row]:
    """Copies of `rows` (each with an int "value" > 0) with the small cells hidden.

    Every returned row has "value" (None when hidden), "suppressed" (bool) and
    "suppression" (None, BELOW_THRESHOLD or COMPLEMENTARY).
    """
    small = {i for i, row in enumerate(rows) if row["value"] < threshold}
    complementary = set()
    if len(small) == 1:
        others = sorted((row["value"], i) for i, row in enumerate(rows) if i not in small)
        complementary = {others[0][1]} if others else set()
    return [_cell(row, i, small, complementary) for i, row in enumerate(rows)]


def _cell(row: Row, index: int, small: set[int], complementary: set[int]) -> Row:
    reason = (
        BELOW_THRESHOLD if index in small else COMPLEMENTARY if index in complementary else None
    )
    return {
        **row,
        "value": None if reason else row["value"],
        "suppressed": reason is not None,
        "suppression": reason,
    }


def marker(row: Row, threshold: int) -> str | None:
    """What a hidden cell reads as: "< 3" or "x"; None for a shown cell."""
    if row["suppression"] == BELOW_THRESHOLD:
        return f"< {threshold}"
    if row["suppression"] == COMPLEMENTARY:
        return "x"
    return None

"""Small-cell suppression that holds under differencing.

A table is a list of counts whose total is published (a breakdown of the resolved
cases, the months of the received or the resolved cases). Rows with no cases are
not listed, so a reader knows every listed count is at least 1.

- Primary: a count from 1 to threshold − 1 is hidden.
- Complementary: the smallest visible counts (in the table's fixed order on ties)
  are hidden too, until at least two counts are hidden and their sum S — which a
  reader gets as the total minus the visible counts — is at least
  threshold + k − 1 for k hidden counts. Each hidden count could then be anything
  from 1 to at least the threshold: none can be shown to be small, let alone worked
  out.
- Every hidden count reads the same ("x"): telling a small count from its
  complement would tell a reader that the complement is at least the threshold,
  which narrows the small one down again.
- A table that cannot be protected even with every count hidden (its total is too
  small for its number of rows) returns None: the caller withholds the total too.

Snapshots of schema version 1 marked the two kinds apart ("below_threshold",
"complementary"); `marker` still reads them.
"""

from __future__ import annotations

from typing import Any

SUPPRESSED = "suppressed"
HIDDEN_MARK = "x"
# Schema version 1 (published before these rules); read, never written.
BELOW_THRESHOLD = "below_threshold"
COMPLEMENTARY = "complementary"

Row = dict[str, Any]


def _protected(values: list[int], hidden: set[int], threshold: int) -> bool:
    total = sum(values[i] for i in hidden)
    return not hidden or (len(hidden) >= 2 and total >= threshold + len(hidden) - 1)


def cells_to_hide(values: list[int], threshold: int) -> set[int] | None:
    """Indexes of the counts (each ≥ 1) to hide, or None when no choice protects the
    table and its total must be withheld. A threshold of 0 or 1 hides nothing."""
    if threshold <= 1:
        return set()
    hidden = {i for i, value in enumerate(values) if value < threshold}
    smallest_first = sorted(range(len(values)), key=lambda i: (values[i], i))
    for index in smallest_first:
        if _protected(values, hidden, threshold):
            return hidden
        hidden.add(index)
    return hidden if _protected(values, hidden, threshold) else None


def suppress(rows: list[Row], threshold: int) -> list[Row] | None:
    """Copies of `rows` (each with an int "value" > 0) with the hidden cells' values
    None, "suppressed" True and "suppression" "suppressed"; None when the table
    cannot be protected (see `cells_to_hide`)."""
    hidden = cells_to_hide([row["value"] for row in rows], threshold)
    if hidden is None:
        return None
    return [_cell(row, i in hidden) for i, row in enumerate(rows)]


def hide_all(rows: list[Row]) -> list[Row]:
    """Every cell hidden: a table whose total is withheld."""
    return [_cell(row, True) for row in rows]


def _cell(row: Row, hidden: bool) -> Row:
    return {
        **row,
        "value": None if hidden else row["value"],
        "suppressed": hidden,
        "suppression": SUPPRESSED if hidden else None,
    }


def marker(row: Row, threshold: int) -> str | None:
    """What a hidden cell reads as ("x"; "< 3" in version 1 snapshots); None if shown."""
    if row["suppression"] == BELOW_THRESHOLD:
        return f"< {threshold}"
    if row["suppression"] in (SUPPRESSED, COMPLEMENTARY):
        return HIDDEN_MARK
    return None

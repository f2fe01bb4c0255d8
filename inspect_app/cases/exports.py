"""The queue as a file: CSV (UTF-8 with BOM, for Excel) and XLSX, with the columns the
queue shows. Titles come from citizens' reports, so a cell that a spreadsheet would
read as a formula is written as text (a leading apostrophe, OWASP's advice)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

EXPORT_MAX = 5000  # rows per file; the page says when the queue had more
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    _l("Case number"),
    _l("Case"),
    _l("Category"),
    _l("State"),
    _l("Deadline"),
    _l("Deadline state"),
    _l("Assigned to"),
    _l("Commune or ward"),
    _l("Received"),
)


def safe_cell(value: object) -> object:
    """Text that would start a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def headers() -> list[str]:
    return [str(c) for c in COLUMNS]


def to_csv(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[object]], title: str) -> bytes:
    # Imported here: openpyxl costs every web worker ~15 MB and only exports need it.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(headers())
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

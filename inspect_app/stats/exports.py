"""Open data: a published snapshot as CSV, XLSX and JSON (the stored document itself).

All three carry the same numbers with the same small cells hidden. CSV is one tidy
table (a row per figure); XLSX has a sheet per part of the snapshot. See
docs/statistics.md and `snapshot.schema.json`.

Text that a spreadsheet would run as a formula (OWASP's CSV injection: a cell
starting with =, +, -, @, a tab or a carriage return — a title such as
`=HYPERLINK(…)`) is neutralised: in CSV it is prefixed with an apostrophe, which
spreadsheets hide; in XLSX it is written as a string cell (openpyxl would otherwise
store text starting with "=" as a formula) with Excel's quote prefix, so it shows as
typed and stays text when edited. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale

from inspect_app.stats.presentation import TOTAL_LABELS, month_label, withheld
from inspect_app.stats.suppression import HIDDEN_MARK, SUPPRESSED, marker

if TYPE_CHECKING:
    from openpyxl import Workbook

CSV_COLUMNS = (
    "report_id",
    "version",
    "period_start",
    "period_end",
    "province_code",
    "section",
    "key",
    "label_vi",
    "label_en",
    "value",
    "suppressed",
)
BREAKDOWN_COLUMNS = ("key", "label_vi", "label_en", "value", "suppressed")
MONEY_FORMAT = '#,##0 "₫"'
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_safe(value: Any) -> Any:
    """OWASP's rule for CSV: text a spreadsheet would evaluate gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def _total_labels(key: str) -> tuple[str, str]:
    labels = []
    for locale in ("vi", "en"):
        with force_locale(locale):
            labels.append(str(TOTAL_LABELS[key]))
    return labels[0], labels[1]


def figures(data: dict[str, Any]) -> Iterator[tuple[str, str, str, str, Any, str]]:
    """(section, key, label_vi, label_en, value, suppression) for every figure."""
    for key, value in data["totals"].items():
        yield ("totals", key, *_total_labels(key), value, SUPPRESSED if withheld(data, key) else "")
    for section, rows in data["breakdowns"].items():
        for row in rows:
            labels = row["label"]
            yield (
                section,
                row["key"],
                labels["vi"],
                labels["en"],
                row["value"],
                row["suppression"] or "",
            )
    for month in data["monthly"]:
        label = month_label(month["month"])
        for measure in ("received", "resolved"):
            value = month[measure]
            hidden = SUPPRESSED if value is None else ""
            yield (f"{measure}_by_month", month["month"], label, label, value, hidden)
    for seller in data.get("sellers", []):
        name = seller["name"]
        yield ("seller_cases", name, name, name, seller["cases"], "")
        yield ("seller_fines_vnd", name, name, name, seller["fines_vnd"], "")


def to_csv(data: dict[str, Any]) -> str:
    """UTF-8 text with a byte-order mark, so spreadsheet programs read Vietnamese."""
    report = data["report"]
    fixed = (
        report["id"],
        report["version"],
        report["period"]["start"],
        report["period"]["end"],
        report["scope"]["province_code"] if report["scope"]["province_code"] is not None else "",
    )
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for section, key, label_vi, label_en, value, suppression in figures(data):
        row = (
            *fixed,
            section,
            key,
            label_vi,
            label_en,
            "" if value is None else value,
            suppression,
        )
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()


def _about_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    report = data["report"]
    supersedes = report["supersedes"]
    return [
        ("schema", f"{data['schema']} {data['schema_version']}"),
        ("report_id", report["id"]),
        ("version", report["version"]),
        ("title", report["title"]),
        ("period_type", report["period"]["type"]),
        ("period_start", report["period"]["start"]),
        ("period_end", report["period"]["end"]),
        ("province_code", report["scope"]["province_code"]),
        ("province_name", report["scope"]["province_name"]),
        ("published_at", report["published_at"]),
        ("published_by", report["published_by"]),
        ("data_version", report["data_version"]),
        ("supersedes_id", supersedes["id"] if supersedes else None),
        ("correction_note", report["correction_note"]),
        ("suppression_threshold", data["suppression"]["threshold"]),
        ("commentary", report["commentary"]),
    ]


def _append(sheet, row) -> None:
    """A row of cells; formula-like text stays text (see the module's docstring)."""
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _totals_sheet(book: Workbook, data: dict[str, Any]) -> None:
    sheet = book.create_sheet("totals")
    _append(sheet, ("key", "label_vi", "label_en", "value"))
    for key, value in data["totals"].items():
        _append(sheet, (key, *_total_labels(key), HIDDEN_MARK if withheld(data, key) else value))
        cell = sheet.cell(row=sheet.max_row, column=4)
        if key.endswith("_vnd"):
            cell.number_format = MONEY_FORMAT
        elif key.endswith("_share"):
            cell.number_format = "0.0%"


def _breakdown_sheet(book: Workbook, name: str, rows: list[dict], threshold: int) -> None:
    """Hidden cells read "< 3" or "x" in the value column; `suppressed` says why."""
    sheet = book.create_sheet(name)
    _append(sheet, BREAKDOWN_COLUMNS)
    for row in rows:
        shown = marker(row, threshold) or row["value"]
        _append(
            sheet, (row["key"], row["label"]["vi"], row["label"]["en"], shown, row["suppression"])
        )


def to_xlsx(data: dict[str, Any]) -> bytes:
    # Imported here: openpyxl costs every web worker ~15 MB and only exports need it.
    from openpyxl import Workbook

    book = Workbook()
    about = book.active
    about.title = "report"
    _append(about, ("field", "value"))
    for row in _about_rows(data):
        _append(about, row)
    _totals_sheet(book, data)
    threshold = data["suppression"]["threshold"]
    for name, rows in data["breakdowns"].items():
        _breakdown_sheet(book, name, rows, threshold)
    monthly = book.create_sheet("monthly")
    _append(monthly, ("month", "received", "resolved"))
    for month in data["monthly"]:
        counts = [HIDDEN_MARK if month[m] is None else month[m] for m in ("received", "resolved")]
        _append(monthly, (month["month"], *counts))
    if "sellers" in data:
        sellers = book.create_sheet("sellers")
        _append(sellers, ("name", "cases", "fines_vnd"))
        for seller in data["sellers"]:
            _append(sellers, (seller["name"], seller["cases"], seller["fines_vnd"]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

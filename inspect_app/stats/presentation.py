"""What a snapshot looks like to people: key figures, charts and the table behind each
chart, in the reader's language. Reads only the snapshot (never the cases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from inspect_app.core.web import format_vnd
from inspect_app.stats.charts import Bar, Series, bar_chart, grouped_bar_chart, line_chart
from inspect_app.stats.suppression import HIDDEN_MARK, marker

TOTAL_LABELS = {
    "received": _l("Cases received"),
    "resolved": _l("Cases resolved"),
    "resolved_with_deadline": _l("Resolved cases with a legal deadline"),
    "resolved_within_deadline": _l("Resolved within the legal deadline"),
    "within_deadline_share": _l("Share resolved within the legal deadline"),
    "median_days": _l("Median days from receipt to resolution"),
    "p90_days": _l("90th percentile of days from receipt to resolution"),
    "fines_vnd": _l("Total fines (VND)"),
    "goods_value_vnd": _l("Value of goods seized or destroyed (VND)"),
}
BREAKDOWN_TITLES = {
    "category": _l("Resolved cases by category"),
    "outcome": _l("Resolved cases by outcome"),
    "source": _l("Resolved cases by source"),
    "kind": _l("Resolved cases by kind of report"),
    "province": _l("Resolved cases by province"),
    "ward": _l("Resolved cases by commune or ward"),
}
BREAKDOWN_COLUMNS = {
    "category": _l("Category"),
    "outcome": _l("Outcome"),
    "source": _l("Source"),
    "kind": _l("Kind of report"),
    "province": _l("Province or city"),
    "ward": _l("Commune or ward"),
}
CHART_ROWS = 15
FEW_MONTHS = 3  # up to this many months, the trend is drawn as bars


@dataclass
class Figure:
    """A chart and the table behind it."""

    id: str
    title: str
    svg: Markup | None
    headers: list[str]
    rows: list[list[str]]
    footer: list[str] | None = None  # the total
    note: str = ""
    sentence: str = ""  # instead of a chart that would show nothing readable


def month_label(month: str) -> str:
    """'2026-07' -> '07/2026'."""
    year, number = month.split("-")
    return f"{number}/{year}"


def count_text(value: int | float | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.#")


def share_text(value: float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0.0%")


def cell_text(row: dict[str, Any], threshold: int) -> str:
    return marker(row, threshold) or count_text(row["value"])


def withheld(data: dict[str, Any], key: str) -> bool:
    """Is this total withheld to protect small counts (schema version 2)?"""
    return key in data["suppression"].get("withheld", ())


def total_text(data: dict[str, Any], key: str, formatter=None) -> str:
    if withheld(data, key):
        return HIDDEN_MARK
    return (formatter or count_text)(data["totals"][key])


def _month_text(value: int | None) -> str:
    return HIDDEN_MARK if value is None else count_text(value)


@dataclass
class KeyFigure:
    label: str
    value: str
    money: bool = False  # a long figure: given two columns


def _days(value: float | None) -> str:
    return "—" if value is None else _("%(n)s days", n=count_text(value))


# The key figures in plain words for everyone; the statistician's terms (median,
# 90th percentile, data version) are in the "for experts" block (`expert_figures`).
PLAIN_LABELS = {
    "median_days": _l("Half of the cases were resolved within"),
}


def key_figures(data: dict[str, Any]) -> list[KeyFigure]:
    def figure(key: str, formatter=None, money: bool = False, label=None) -> KeyFigure:
        text = total_text(data, key, formatter)
        return KeyFigure(str(label or TOTAL_LABELS[key]), text, money)

    return [
        figure("resolved"),
        figure("received"),
        figure("within_deadline_share", share_text),
        figure("median_days", _days, label=PLAIN_LABELS["median_days"]),
        figure("fines_vnd", format_vnd, money=True),
        figure("goods_value_vnd", format_vnd, money=True),
    ]


def expert_figures(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures and identifiers for readers who want the method's terms."""
    totals, report = data["totals"], data["report"]
    rows = [
        (str(TOTAL_LABELS["median_days"]), total_text(data, "median_days", _days)),
        (str(TOTAL_LABELS["p90_days"]), total_text(data, "p90_days", _days)),
        (
            str(_l("Resolved cases with a legal deadline")),
            _month_text(totals["resolved_with_deadline"]),
        ),
        (str(_l("Small-number threshold")), count_text(data["suppression"]["threshold"])),
    ]
    if report.get("data_version"):
        rows.append((str(_l("Data version")), report["data_version"]))
    return rows


def _label(row: dict[str, Any], locale: str) -> str:
    return row["label"].get(locale) or row["label"]["vi"]


def _trend(data: dict[str, Any]) -> Figure:
    months = data["monthly"]
    labels = [month_label(m["month"]) for m in months]
    received, resolved = _("Received"), _("Resolved")
    title = _("Cases received and resolved, month by month")
    values = [m[key] for m in months for key in ("received", "resolved")]
    series = [
        Series(received, [m["received"] for m in months]),
        Series(resolved, [m["resolved"] for m in months]),
    ]
    if None in values:
        svg = None  # hidden months are not charted (the table shows "x")
    elif len(months) <= FEW_MONTHS:
        # A line through one to three points reads as lone dots: bars instead.
        svg = grouped_bar_chart(
            "chart-trend",
            title,
            _(
                "Bar chart of the cases received and resolved each month; the table below "
                "gives the figures."
            ),
            labels,
            series,
        )
    else:
        svg = line_chart(
            "chart-trend",
            title,
            _(
                "Line chart of the cases received and resolved each month; the table below "
                "gives the figures."
            ),
            labels,
            series,
        )
    rows = [
        [label, _month_text(m["received"]), _month_text(m["resolved"])]
        for label, m in zip(labels, months, strict=True)
    ]
    total = [_("Total"), total_text(data, "received"), total_text(data, "resolved")]
    note = _("Hidden figures (x) are not charted.") if svg is None and months else ""
    return Figure("trend", title, svg, [_("Month"), received, resolved], rows, total, note)


def _deadline(data: dict[str, Any]) -> Figure:
    totals = data["totals"]
    within, with_deadline = totals["resolved_within_deadline"], totals["resolved_with_deadline"]
    late = None if within is None or with_deadline is None else with_deadline - within
    title = _("Resolved within the legal deadline")
    bars = [
        Bar(_("Within the deadline"), within, _month_text(within)),
        Bar(_("After the deadline"), late, _month_text(late)),
    ]
    svg = (
        bar_chart("chart-deadline", title, _("Bar chart; the table below gives the figures."), bars)
        if within or late
        else None
    )
    rows = [[b.label, b.text] for b in bars]
    share = [
        str(TOTAL_LABELS["within_deadline_share"]),
        total_text(data, "within_deadline_share", share_text),
    ]
    return Figure("deadline", title, svg, [_("Deadline"), _("Cases")], rows, share)


def _breakdown(
    name: str, rows: list[dict[str, Any]], total: str, threshold: int, locale: str
) -> Figure:
    title = str(BREAKDOWN_TITLES[name])
    charted = rows
    note = ""
    if len(rows) > CHART_ROWS:
        shown = sorted((r for r in rows if not r["suppressed"]), key=lambda r: -r["value"])
        charted = sorted(shown[:CHART_ROWS], key=rows.index)
        note = _("The chart shows the %(n)d largest figures; the table lists all.", n=CHART_ROWS)
    bars = [Bar(_label(r, locale), r["value"], cell_text(r, threshold)) for r in charted]
    svg = (
        bar_chart(f"chart-{name}", title, _("Bar chart; the table below gives the figures."), bars)
        if bars
        else None
    )
    sentence = ""
    if rows and all(marker(r, threshold) for r in rows):
        # A chart of nothing but hidden figures tells nothing: one sentence says it.
        svg = None
        sentence = _(
            "The groups are too small to be shown one by one (so that no shop or person "
            "can be recognised)."
        )
        if total != HIDDEN_MARK:
            sentence += " " + _("Together they make %(total)s cases.", total=total)
    table = [[_label(r, locale), cell_text(r, threshold)] for r in rows]
    headers = [str(BREAKDOWN_COLUMNS[name]), _("Cases")]
    return Figure(name, title, svg, headers, table, [_("Total"), total], note, sentence)


def figures(data: dict[str, Any], locale: str) -> list[Figure]:
    """Every chart of a snapshot, with its table, in reading order."""
    threshold = data["suppression"]["threshold"]
    total = total_text(data, "resolved")
    found = [_trend(data), _deadline(data)]
    names = ["category", "outcome", "source", "kind", "ward"]
    if data["report"]["scope"]["province_code"] is None:
        names.insert(4, "province")
    for name in names:
        found.append(_breakdown(name, data["breakdowns"][name], total, threshold, locale))
    return found


def seller_rows(data: dict[str, Any]) -> list[list[str]] | None:
    sellers = data.get("sellers")
    if sellers is None:
        return None
    return [[s["name"], count_text(s["cases"]), format_vnd(s["fines_vnd"])] for s in sellers]

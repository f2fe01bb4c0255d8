"""Charts as inline SVG drawn on the server: no script, no network, no style attributes
(the CSP forbids inline style; colours and sizes are SVG presentation attributes).

Every chart is an `<svg role="img">` named by its `<title>` and described by its
`<desc>`; each mark carries its own `<title>` with the exact figure, and the page
shows the table behind the chart next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # user units; phones show it about this wide, so text stays legible
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#57606a"
GRID = "#d0d7de"
BAR = "#0b5d3b"
SERIES = (("#0a58ca", "", "circle"), ("#b35c00", "6 4", "square"))
MAX_X_LABELS = 6
MAX_LABEL = 40  # characters of a bar's label drawn; the table has the full text


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: the figure is hidden (small-cell suppression)
    text: str  # the figure as people read it: "12", "< 3", "1.500.000 ₫"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _svg(
    chart_id: str, title: str, description: str, height: float, body: list[str], font_size: int
) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="{font_size}" fill="{INK}" class="chart-svg" '
        f'id="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    # Every text that is not ours went through escape() above.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, each under its label, the figure at the bar's end."""
    row, bar_height, room_for_text = 48, 16, 90
    scale_max = max((b.value for b in bars if b.value), default=0) or 1
    body = []
    for index, item in enumerate(bars):
        top = 6 + index * row
        length = (WIDTH - room_for_text) * (item.value or 0) / scale_max
        body.append(f"<g><title>{escape(item.label)}: {escape(item.text)}</title>")
        label = item.label if len(item.label) <= MAX_LABEL else item.label[: MAX_LABEL - 1] + "…"
        body.append(f'<text x="0" y="{top + 15}">{escape(label)}</text>')
        if item.value is None:
            body.append(
                f'<rect x="0" y="{top + 21}" width="14" height="{bar_height}" fill="none" '
                f'stroke="{MUTED}" stroke-dasharray="3 2"/>'
                f'<text x="20" y="{top + 35}" fill="{MUTED}">{escape(item.text)}</text>'
            )
        else:
            body.append(
                f'<rect x="0" y="{top + 21}" width="{max(length, 1):.1f}" '
                f'height="{bar_height}" fill="{BAR}"/>'
                f'<text x="{length + 6:.1f}" y="{top + 35}" font-weight="600">'
                f"{escape(item.text)}</text>"
            )
        body.append("</g>")
    return _svg(chart_id, title, description, 6 + len(bars) * row + 4, body, font_size=16)


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round gridline step (1, 2 or 5 times a power of ten) giving about `ticks` lines."""
    if maximum <= 0:
        return 1
    rough = maximum / ticks
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return max(factor * power, 1)
    return 10 * power


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _grid(top: float, bottom: float, left: float, maximum: float, step: float) -> list[str]:
    body = []
    value = 0.0
    while value <= maximum + 1e-9:
        y = bottom - (bottom - top) * value / maximum
        body.append(
            f'<line x1="{left}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" '
            f'font-size="13">{value:g}</text>'
        )
        value += step
    return body


def _legend(series: Sequence[Series]) -> list[str]:
    body, x = [], 4
    for item, (colour, dash, shape) in zip(series, SERIES, strict=False):
        body.append(
            f'<line x1="{x}" x2="{x + 28}" y1="12" y2="12" stroke="{colour}" stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
            + _marker(shape, x + 14, 12, colour)
            + f'<text x="{x + 36}" y="16">{escape(item.name)}</text>'
        )
        x += 36 + 8 * len(item.name) + 20
    return body


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> Markup:
    """A line per series over the x labels (months), with a legend and gridlines."""
    top, bottom, left, right = 34, 200, 34, WIDTH - 8
    maximum = max((v for s in series for v in s.values), default=0)
    step = nice_step(maximum)
    ceiling = max(step * math.ceil(maximum / step), step)
    slot = (right - left) / max(len(labels), 1)
    xs = [left + slot * (i + 0.5) for i in range(len(labels))]
    body = [*_legend(series), *_grid(top, bottom, left, ceiling, step)]
    every = math.ceil(len(labels) / MAX_X_LABELS)
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if i % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="13">'
                f"{escape(label)}</text>"
            )
    for item, (colour, dash, shape) in zip(series, SERIES, strict=False):
        ys = [bottom - (bottom - top) * v / ceiling for v in item.values]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        for x, y, value, label in zip(xs, ys, item.values, labels, strict=True):
            body.append(
                f"<g><title>{escape(item.name)}, {escape(label)}: {value:g}</title>"
                f"{_marker(shape, x, y, colour)}</g>"
            )
    return _svg(chart_id, title, description, bottom + 28, body, font_size=14)


def grouped_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> Markup:
    """Horizontal bars grouped per label (a month), one per series, with the figure
    at each bar's end and a legend: readable with one month or small numbers, where
    a line chart would show lone dots."""
    bar_height, gap, room_for_text = 16, 4, 70
    scale_max = max((v for s in series for v in s.values), default=0) or 1
    body = _legend(series)
    top = 30
    for index, label in enumerate(labels):
        body.append(f'<text x="0" y="{top + 14}" font-weight="600">{escape(label)}</text>')
        top += 20
        for item, (colour, _dash, _shape) in zip(series, SERIES, strict=False):
            value = item.values[index]
            length = (WIDTH - room_for_text) * value / scale_max
            body.append(
                f"<g><title>{escape(item.name)}, {escape(label)}: {value:g}</title>"
                f'<rect x="0" y="{top}" width="{max(length, 1):.1f}" height="{bar_height}" '
                f'fill="{colour}"/>'
                f'<text x="{length + 6:.1f}" y="{top + 13}" font-weight="600">{value:g}</text></g>'
            )
            top += bar_height + gap
        top += 10
    return _svg(chart_id, title, description, top + 4, body, font_size=14)

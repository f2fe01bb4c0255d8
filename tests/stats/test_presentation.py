"""Charts readable with small numbers, public pages in plain words, and what would
stop a publication shown before the button is pressed."""

from __future__ import annotations

from datetime import date

from inspect_app.stats.charts import Series, grouped_bar_chart
from inspect_app.stats.models import StatsReport
from inspect_app.stats.presentation import expert_figures, figures, key_figures
from inspect_app.stats.publishing import blocked, publish_checks


def _snapshot(months: int, rows: list[dict]) -> dict:
    return {
        "report": {"scope": {"province_code": 1}, "data_version": "s1.a102"},
        "suppression": {"threshold": 3},
        "monthly": [
            {"month": f"2026-{m:02d}", "received": 2, "resolved": 1} for m in range(1, months + 1)
        ],
        "totals": {
            "received": 2 * months,
            "resolved": months,
            "resolved_with_deadline": months,
            "resolved_within_deadline": months,
            "within_deadline_share": 1.0,
            "median_days": 12.0,
            "p90_days": 30.5,
            "fines_vnd": 1_500_000,
            "goods_value_vnd": 0,
        },
        "breakdowns": {name: rows for name in ("category", "outcome", "source", "kind", "ward")},
    }


HIDDEN = [
    {
        "key": "a",
        "label": {"vi": "Hàng giả", "en": "Counterfeit"},
        "value": None,
        "suppressed": True,
        "suppression": "below_threshold",
    },
    {
        "key": "b",
        "label": {"vi": "Hàng cấm", "en": "Prohibited"},
        "value": None,
        "suppressed": True,
        "suppression": "below_threshold",
    },
]


def test_a_single_month_is_drawn_as_bars_not_two_lone_dots(app_ctx):
    trend = figures(_snapshot(1, HIDDEN), "vi")[0]
    assert trend.id == "trend"
    assert "<rect" in trend.svg and "<polyline" not in trend.svg
    longer = figures(_snapshot(6, HIDDEN), "vi")[0]
    assert "<polyline" in longer.svg


def test_a_chart_of_only_hidden_small_numbers_becomes_one_sentence(app_ctx):
    category = next(f for f in figures(_snapshot(2, HIDDEN), "vi") if f.id == "category")
    assert category.svg is None
    assert "quá nhỏ" in category.sentence and "2 vụ" in category.sentence
    assert [row[1] for row in category.rows] == ["< 3", "< 3"], "the table still lists them"


def test_key_figures_use_plain_words_and_the_terms_wait_for_experts(app_ctx):
    data = _snapshot(2, HIDDEN)
    labels = [figure.label for figure in key_figures(data)]
    assert "Một nửa số vụ được giải quyết trong vòng" in labels
    assert not any("Phân vị" in label or "Trung vị" in label for label in labels)
    experts = dict(expert_figures(data))
    assert experts["Phiên bản dữ liệu"] == "s1.a102"
    assert any("Phân vị 90" in label for label in experts)


def test_grouped_bars_label_every_value(app_ctx):
    svg = grouped_bar_chart("c", "t", "d", ["01/2026"], [Series("A", [1]), Series("B", [0])])
    assert svg.count('<rect x="0"') == 2 and "A, 01/2026: 1" in svg


def test_the_publish_checks_say_what_stops_publication(app_ctx):
    report = StatsReport(period_start=date(2026, 10, 1), period_end=date(2026, 12, 31))
    checks = publish_checks(report, date(2026, 12, 6))
    assert blocked(checks)
    [period] = [c for c in checks if c.key == "period"]
    assert not period.ok and "01/01/2027" in period.text
    after = publish_checks(report, date(2027, 1, 1))
    assert not blocked(after), "only the confirmation box is left, ticked on the page"
    assert [c.key for c in after if not c.ok] == ["confirm"]

"""What would stop a publication, said before the button is pressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from inspect_app.core.web import format_date_vn
from inspect_app.stats.models import StatsReport


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    text: str


def publish_checks(report: StatsReport, today: date) -> list[Check]:
    """The conditions of `services.publish_report`, as a list the draft page shows
    beside the publish button: a period is published once it has ended (the same
    rule as `publish_report`, which still enforces it), and the figures are
    confirmed (the box under the list; the page's script ticks this line when the
    box is ticked)."""
    ended = report.period_end < today
    if ended:
        period = str(_l("The period has ended (%(date)s).", date=format_date_vn(report.period_end)))
    else:
        period = str(
            _l(
                "The period is not over: it ends on %(end)s, so it can be published from %(day)s.",
                end=format_date_vn(report.period_end),
                day=format_date_vn(report.period_end + timedelta(days=1)),
            )
        )
    return [
        Check("period", ended, period),
        Check("confirm", False, str(_l("Tick the box to confirm that you checked the figures."))),
    ]


def blocked(checks: list[Check]) -> bool:
    """Whether something other than the confirmation box stops the publication."""
    return any(not check.ok for check in checks if check.key != "confirm")

"""`flask calendar …` and `flask deadlines …`."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from inspect_app.cases.models import Category, ReportKind
from inspect_app.dbsetup import write_intent
from inspect_app.deadlines.calendar import (
    WorkingCalendar,
    load_calendar,
    package_holidays,
    package_makeup_days,
)
from inspect_app.deadlines.models import DeadlinePolicy, Priority
from inspect_app.deadlines.services import (
    RULES,
    DeadlineError,
    RuleNotApplicable,
    active_policy,
    compute,
    list_overrides,
    period,
    remove_override,
    set_override,
)
from inspect_app.extensions import db

calendar_cli = AppGroup("calendar", help="Working-day calendar: holidays and overrides.")
deadlines_cli = AppGroup("deadlines", help="Deadline policies and computations.")

ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAKEUP_LABEL = "Ngày làm bù (theo gói holidays)"  # the package names only the day off


@calendar_cli.command("set")
@click.argument("day", type=ISO_DATE)
@click.argument("status", type=click.Choice(["off", "working"]))
@click.option("--reason", required=True, help="Why, e.g. the announced swap.")
@click.option("--source", default="", help="The document that announced it.")
def set_command(day: datetime, status: str, reason: str, source: str):
    """Make DAY a day off or a working day, whatever the holidays package says."""
    with write_intent():
        try:
            override = set_override(day.date(), status == "working", reason, source)
        except DeadlineError as exc:
            raise click.ClickException(_english(exc)) from None
        db.session.commit()
    click.echo(f"{override.day.isoformat()}: {status} ({override.reason})")


@calendar_cli.command("unset")
@click.argument("day", type=ISO_DATE)
def unset_command(day: datetime):
    """Remove the override of DAY. An official swap shipped with the app comes back
    at the next `flask refdata load`: set that day the other way instead."""
    with write_intent():
        removed = remove_override(day.date())
        db.session.commit()
    if not removed:
        raise click.ClickException(f"{day.date().isoformat()} has no override")
    click.echo(f"{day.date().isoformat()}: override removed")


@calendar_cli.command("list")
@click.option("--year", required=True, type=click.IntRange(1995, 2100))
def list_command(year: int):
    """The package's holidays and make-up days, and the overrides, by date.

    One day a line: date, weekday, mark (holiday, make-up, override:off,
    override:working), and the name or reason.
    """
    lines = [(day, 0, "holiday", name) for day, name in package_holidays(year).items()]
    lines += [(day, 0, "make-up", MAKEUP_LABEL) for day in package_makeup_days(year)]
    for override in list_overrides(year):
        mark = "override:working" if override.working else "override:off"
        text = f"{override.reason} — {override.source}" if override.source else override.reason
        lines.append((override.day, 1, mark, text))
    for day, _order, mark, text in sorted(lines):
        click.echo(f"{day.isoformat()}\t{WEEKDAYS[day.weekday()]}\t{mark}\t{text}")


@deadlines_cli.command("compute")
@click.option("--rule", required=True, type=click.Choice([*RULES, "all"]))
@click.option("--start", required=True, type=ISO_DATE, help="The day the period counts from.")
@click.option(
    "--kind",
    default=ReportKind.DENUNCIATION.value,
    show_default=True,
    type=click.Choice([k.value for k in ReportKind]),
)
@click.option("--category", "category_code", help="Category code, for a category policy.")
@click.option("--priority", type=click.Choice([p.value for p in Priority]))
def compute_command(
    rule: str, start: datetime, kind: str, category_code: str | None, priority: str | None
):
    """Print the last day of a period, ISO date first: `accept: 2026-02-27 (…)`."""
    try:
        policy = active_policy(kind, _category_id(category_code), priority)
    except DeadlineError as exc:
        raise click.ClickException(_english(exc)) from None
    calendar = load_calendar()
    for name in RULES if rule == "all" else (rule,):
        try:
            click.echo(_deadline_line(name, start.date(), policy, calendar))
        except RuleNotApplicable as exc:
            if rule != "all":
                raise click.ClickException(_english(exc)) from None
            click.echo(f"{name}: n/a ({_english(exc)})")


def _english(exc: DeadlineError) -> str:
    """The message of a domain error; a command has no request to choose a language by."""
    with force_locale("en"):
        return str(exc)


def _category_id(code: str | None) -> int | None:
    if code is None:
        return None
    category_id = db.session.scalar(select(Category.id).where(Category.code == code.strip()))
    if category_id is None:
        raise click.ClickException(f"no category with code {code!r}")
    return category_id


def _deadline_line(
    rule: str, start: date, policy: DeadlinePolicy, calendar: WorkingCalendar
) -> str:
    due = compute(rule, start, policy, calendar)
    return (
        f"{rule}: {due.isoformat()} ({period(rule, policy)} after {start.isoformat()}; "
        f"policy {policy.id} v{policy.version}; {policy.legal_basis})"
    )

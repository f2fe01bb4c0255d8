"""`flask retention …`: the retention schedule from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from inspect_app.cases.models import ReportKind
from inspect_app.dbsetup import write_intent
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.retention.services import (
    RetentionError,
    retention_months,
    retention_pass,
    set_rule,
)

retention_cli = AppGroup("retention", help="Retention of reporters' personal data.")


def _instant(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would be destroyed; destroy nothing.")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Run as of this instant (UTC).")
def run_command(dry_run: bool, now_text: str | None) -> None:
    """Destroy the sealed identities and originals whose retention has ended."""
    now = _instant(now_text)
    with write_intent():
        result = retention_pass(now, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    verb = "would destroy" if dry_run else "destroyed"
    click.echo(
        f"{verb} the personal data of {result.reports} reports in {len(result.cases)} cases"
        + (f": {result.destroyed}" if result.destroyed else "")
    )
    for case_id in sorted(result.cases):
        click.echo(f"  case {case_id}")


@retention_cli.command("rules")
def rules_command() -> None:
    """Months after a case ended before its reporters' data is destroyed, per kind."""
    for kind, months in retention_months().items():
        click.echo(f"{kind.value:<14} {months} months")


@retention_cli.command("set")
@click.option("--kind", type=click.Choice([k.value for k in ReportKind]), required=True)
@click.option("--months", type=click.IntRange(1, 1200), required=True)
def set_command(kind: str, months: int) -> None:
    """Change a kind's retention period (an audit event)."""
    try:
        changed = set_rule(ReportKind(kind), months, actor=None)
    except RetentionError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{kind}: {months} months" + ("" if changed else " (unchanged)"))

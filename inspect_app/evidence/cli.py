"""`flask evidence …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import Row, select

from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage
from inspect_app.evidence.sweep import (
    DEFAULT_GRACE_HOURS,
    SweepResult,
    absent_variants,
    sweep_configured_storage,
)
from inspect_app.extensions import db

evidence_cli = AppGroup("evidence", help="Evidence files.")


@evidence_cli.command("sweep")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=DEFAULT_GRACE_HOURS,
    show_default=True,
    help="Keep unreferenced files younger than this (a submission may be committing).",
)
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
@click.pass_context
def sweep_command(ctx: click.Context, grace_hours: float, dry_run: bool):
    """Remove orphaned photo files; report photos whose files are missing (exit 1)."""
    result = sweep_configured_storage(grace_seconds=grace_hours * 3600, dry_run=dry_run)
    click.echo(_summary(result, dry_run))
    if result.missing:
        storage = get_storage()
        for photo in _photos_with_hashes(set(result.missing)):
            variants = ", ".join(absent_variants(storage, photo.sha256))
            click.echo(f"missing: photo {photo.id} of report {photo.report_id}: {variants}")
        ctx.exit(1)


def _summary(result: SweepResult, dry_run: bool) -> str:
    verb = "would remove" if dry_run else "removed"
    return (
        f"{verb} {len(result.removed)} orphaned files and {result.temp_removed} temp files; "
        f"kept {result.kept_young} recent orphaned files; "
        f"{len(result.missing)} referenced photos have missing files"
    )


def _photos_with_hashes(hashes: set[str]) -> list[Row]:
    """Photo rows (id, report, hash) for ``hashes``, filtered here to avoid a huge IN."""
    rows = db.session.execute(select(Photo.id, Photo.report_id, Photo.sha256).order_by(Photo.id))
    return [row for row in rows if row.sha256 in hashes]

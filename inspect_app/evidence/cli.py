"""`flask evidence …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from inspect_app.cases.models import CaseAttachment
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage, referenced_files
from inspect_app.evidence.storage import LocalStorage
from inspect_app.evidence.sweep import (
    DEFAULT_GRACE_HOURS,
    SweepResult,
    absent_variants,
    sweep_configured_storage,
)
from inspect_app.evidence.transfer import copy_evidence
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
    """Remove orphaned evidence files; report rows whose files are missing (exit 1)."""
    result = sweep_configured_storage(grace_seconds=grace_hours * 3600, dry_run=dry_run)
    click.echo(_summary(result, dry_run))
    if result.missing:
        storage, expected = get_storage(), referenced_files()
        for what, file_id in _owners(set(result.missing)):
            variants = ", ".join(absent_variants(storage, file_id, expected.get(file_id, ())))
            click.echo(f"missing: {what}: {variants}")
        ctx.exit(1)


def _summary(result: SweepResult, dry_run: bool) -> str:
    verb = "would remove" if dry_run else "removed"
    return (
        f"{verb} {len(result.removed)} orphaned files and {result.temp_removed} temp files; "
        f"kept {result.kept_young} recent orphaned files; "
        f"{len(result.missing)} referenced files have missing variants; "
        f"{result.staged_expired} staged photos never sent expired"
    )


def _owners(file_ids: set[str]) -> list[tuple[str, str]]:
    """("photo 3 of report 2", file id) for the rows storing ``file_ids`` (filtered
    here to avoid a huge IN)."""
    photos = select(Photo.id, Photo.report_id, func.coalesce(Photo.file_id, Photo.sha256))
    documents = select(
        CaseAttachment.id,
        CaseAttachment.case_id,
        func.coalesce(CaseAttachment.file_id, CaseAttachment.sha256),
    )
    found = [
        (f"photo {row_id} of report {report_id}", file_id)
        for row_id, report_id, file_id in db.session.execute(photos.order_by(Photo.id))
        if file_id in file_ids
    ]
    found += [
        (f"document {row_id} of case {case_id}", file_id)
        for row_id, case_id, file_id in db.session.execute(documents.order_by(CaseAttachment.id))
        if file_id in file_ids
    ]
    return found


_FOLDER = click.Path(file_okay=False, writable=True, resolve_path=True)


@evidence_cli.command("export")
@click.option("--to", "folder", type=_FOLDER, required=True, help="Folder to copy into.")
def export_command(folder: str):
    """Copy every evidence file, encrypted as stored, from the configured storage
    into a folder (scripts/backup.sh)."""
    result = copy_evidence(get_storage(), LocalStorage(folder))
    click.echo(f"copied {result.copied} files ({result.bytes} bytes), {result.skipped} unchanged")


@evidence_cli.command("import")
@click.option(
    "--from",
    "folder",
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    required=True,
    help="Folder written by `evidence export`.",
)
def import_command(folder: str):
    """Copy every evidence file of a folder into the configured storage (local or
    S3; scripts/restore.sh)."""
    result = copy_evidence(LocalStorage(folder), get_storage())
    click.echo(f"copied {result.copied} files ({result.bytes} bytes), {result.skipped} unchanged")

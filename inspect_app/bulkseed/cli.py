"""`flask seed-bulk --cases N`: fill the database with N realistic cases."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from inspect_app.bulkseed.loader import ConcurrentWriter, SeedMismatch, load_progress, seed_bulk
from inspect_app.extensions import db


@click.command("seed-bulk")
@click.option("--cases", "total", type=click.IntRange(min=0), required=True, help="Cases wanted.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option(
    "--batch", "batch_size", type=click.IntRange(min=1), default=10_000, show_default=True
)
@with_appcontext
def seed_bulk_command(total: int, seed: int, batch_size: int) -> None:
    """Bulk data for benchmarks: N cases over ten years, all provinces (resumable)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-bulk refuses to run against a production configuration")
    progress = load_progress()
    done = progress.done if progress else 0
    if done >= total:
        click.echo(f"{done} bulk cases already present; nothing to add.")
        return
    started = time.monotonic()
    try:
        with click.progressbar(length=total - done, label="Seeding cases") as bar:
            added = seed_bulk(total, seed=seed, batch_size=batch_size, on_batch=bar.update)
    except (SeedMismatch, ConcurrentWriter, LookupError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    elapsed = time.monotonic() - started
    click.echo(f"Added {added} cases ({total} in all) in {elapsed:.0f} s.")

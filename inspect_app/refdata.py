"""`flask refdata load`: administrative units and violation categories."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inspect_app.cases.services import load_default_categories
from inspect_app.core.settings import REFDATA_VERSION, set_setting
from inspect_app.deadlines.services import load_default_policies, load_official_swaps
from inspect_app.extensions import db
from inspect_app.geo.services import data_version, load_administrative_units
from inspect_app.retention.services import load_default_rules

refdata_cli = AppGroup("refdata", help="Reference data (administrative units, categories).")


def load_reference_data() -> str:
    """Load everything; returns a one-line summary. Idempotent."""
    provinces, wards = load_administrative_units()
    categories = load_default_categories()
    load_default_policies()
    load_official_swaps()
    load_default_rules()
    set_setting(REFDATA_VERSION, data_version())
    return f"{data_version()}: provinces {provinces}; wards {wards}; categories {categories} added"


@refdata_cli.command("load")
def load_command() -> None:
    """Load or update reference data (safe to run again)."""
    summary = load_reference_data()
    db.session.commit()
    click.echo(summary)

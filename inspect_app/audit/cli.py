"""`flask audit …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inspect_app.audit.services import VerifyResult, verify_chain

audit_cli = AppGroup("audit", help="Audit log.")


@audit_cli.command("verify")
@click.pass_context
def verify_command(ctx: click.Context):
    """Recompute the audit log's hash chain; exit 1 if it is broken."""
    result = verify_chain()
    click.echo(_summary(result))
    if not result.ok:
        ctx.exit(1)


def _summary(result: VerifyResult) -> str:
    if result.ok:
        return f"audit chain intact: {result.checked} events"
    where = f" at event seq {result.first_broken_seq}" if result.first_broken_seq else ""
    return f"audit chain BROKEN{where}: {result.reason}"

"""`flask users …` and `flask teams …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from inspect_app.accounts import services
from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.accounts.throttle import blocked_emails
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db

users_cli = AppGroup("users", help="Staff accounts.")
teams_cli = AppGroup("teams", help="Teams (đội).")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", "team_code", help="Team code (required for inspectors and team leads).")
@click.option("--name", "full_name", default="", help="Full name.")
def create_user_command(
    email: str, password: str, role: str, team_code: str | None, full_name: str
):
    """Create a staff account."""
    team = None
    if team_code:
        team = db.session.scalar(select(Team).where(Team.code == team_code.strip().upper()))
        if team is None:
            raise click.ClickException(f"no team with code {team_code!r} (see `flask teams list`)")
    try:
        user = services.create_user(
            email=email, password=password, role=role, full_name=full_name, team=team
        )
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created user {user.id}: {user.email} ({user.role})")


@users_cli.command("list")
def list_users_command():
    """One user a line: e-mail, role, team, state."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    blocked = blocked_emails([u.email for u in users], utcnow())
    for user in users:
        state = "blocked" if user.email in blocked else ("active" if user.active else "inactive")
        team = user.team.code if user.team else "-"
        click.echo(f"{user.email}\t{user.role}\t{team}\t{state}")


@users_cli.command("unlock")
@click.option("--email", required=True)
def unlock_user_command(email: str):
    """Lift the blocks failed logins put on an account (they also expire alone)."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email!r}")
    services.unlock_user(user)
    db.session.commit()
    click.echo(f"unlocked {user.email}")


@teams_cli.command("list")
def list_teams_command():
    """One team a line, its code first."""
    for team in db.session.scalars(select(Team).order_by(Team.code)):
        scope = "e-commerce" if team.is_ecommerce else f"{len(team.wards)} wards"
        click.echo(f"{team.code}\t{team.name}\t{team.office.name}\t{scope}")

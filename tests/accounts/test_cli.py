"""The stable CLI: users create, teams list, seed-demo."""

from __future__ import annotations

from sqlalchemy import func, select

from config import ProductionConfig
from inspect_app.accounts.models import Team, User
from inspect_app.extensions import db


def test_users_create_and_teams_list(app, make_team):
    make_team("HN-DOI01")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "lead@example.vn",
            "--password",
            "long enough pw",
            "--role",
            "team_lead",
            "--team",
            "hn-doi01",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "lead@example.vn"))
    assert user.team.code == "HN-DOI01"

    result = runner.invoke(args=["teams", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split("\t")[0] == "HN-DOI01"


def test_users_create_explains_errors(app, app_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.vn",
            "--password",
            "long enough pw",
            "--role",
            "inspector",
        ]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.vn",
            "--password",
            "long enough pw",
            "--role",
            "inspector",
            "--team",
            "NOPE",
        ]
    )
    assert result.exit_code != 0 and "no team" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_creates_every_role_once(app, app_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"association_staff", "inspector", "team_lead", "director", "admin"}
    teams = db.session.scalars(select(Team)).all()
    assert len(teams) == 3 and sum(t.is_ecommerce for t in teams) == 1
    count = db.session.scalar(select(func.count()).select_from(User))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == count


def test_seed_demo_refuses_production(app):
    from inspect_app import create_app

    prod = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "x" * 40,
            "INSPECT_DATA_KEY": "bm90LXRoZS1kZWZhdWx0LWtleS1qdXN0LWZvci10ZXM=",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        },
    )
    result = prod.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "production" in result.output

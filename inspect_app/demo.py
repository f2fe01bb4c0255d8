"""`flask seed-demo`: a small, realistic organisation to try the app with."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from inspect_app.accounts import services as accounts
from inspect_app.accounts.models import Association, Office, User
from inspect_app.accounts.permissions import Role
from inspect_app.dbtypes import utcnow
from inspect_app.demo_cases import seed_demo_cases
from inspect_app.extensions import db
from inspect_app.geo.models import Province
from inspect_app.geo.services import wards_of
from inspect_app.refdata import load_reference_data
from inspect_app.sealing.services import create_recovery_key
from inspect_app.stats.demo import publish_demo_report

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - demo data only, refused in production
DEMO_PROVINCE_CODE = 1  # Thành phố Hà Nội
DEMO_OFFICE_CODE = "QLTT-HN"

DEMO_USERS: tuple[tuple[str, str, Role, str | None], ...] = (
    ("admin@demo.inspect.vn", "Quản trị viên", Role.ADMIN, None),
    ("director@demo.inspect.vn", "Nguyễn Văn Giám", Role.DIRECTOR, None),
    ("lead1@demo.inspect.vn", "Trần Thị Lan", Role.TEAM_LEAD, "HN-DOI01"),
    ("inspector1@demo.inspect.vn", "Lê Văn Minh", Role.INSPECTOR, "HN-DOI01"),
    ("inspector2@demo.inspect.vn", "Phạm Thu Hà", Role.INSPECTOR, "HN-DOI01"),
    ("lead2@demo.inspect.vn", "Hoàng Đức Anh", Role.TEAM_LEAD, "HN-DOI02"),
    ("inspector3@demo.inspect.vn", "Vũ Ngọc Bích", Role.INSPECTOR, "HN-DOI02"),
    ("ecom@demo.inspect.vn", "Đặng Quốc Huy", Role.TEAM_LEAD, "HN-TMDT"),
    ("ecom.inspector@demo.inspect.vn", "Bùi Thanh Tâm", Role.INSPECTOR, "HN-TMDT"),
    ("association@demo.inspect.vn", "Đỗ Thị Hồng", Role.ASSOCIATION_STAFF, None),
)


def seed_demo() -> str | None:
    """Create the demo organisation, users and cases, sealed to the officers and to
    the demo office's recovery key, whose printable text is returned (None if the
    demo data already exists)."""
    if db.session.scalar(select(Office).where(Office.code == DEMO_OFFICE_CODE)):
        return None
    load_reference_data()
    province = db.session.get(Province, DEMO_PROVINCE_CODE)
    office = Office(code=DEMO_OFFICE_CODE, name=f"Chi cục QLTT {province.name}", province=province)
    db.session.add(office)
    db.session.flush()
    wards = wards_of(province.code)
    half = len(wards) // 2
    teams = {
        "HN-DOI01": accounts.create_team(
            code="HN-DOI01", name="Đội QLTT số 1", office=office, is_default=True
        ),
        "HN-DOI02": accounts.create_team(code="HN-DOI02", name="Đội QLTT số 2", office=office),
        "HN-TMDT": accounts.create_team(
            code="HN-TMDT", name="Đội QLTT thương mại điện tử", office=office, is_ecommerce=True
        ),
    }
    accounts.set_team_jurisdiction(teams["HN-DOI01"], [w.code for w in wards[:half]])
    accounts.set_team_jurisdiction(teams["HN-DOI02"], [w.code for w in wards[half:]])
    association = Association(
        name=f"Hội Bảo vệ quyền lợi người tiêu dùng {province.name}", province=province
    )
    db.session.add(association)
    for email, name, role, team_code in DEMO_USERS:
        accounts.create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            full_name=name,
            team=teams[team_code] if team_code else None,
            office=office if role is Role.DIRECTOR else None,
            association=association if role is Role.ASSOCIATION_STAFF else None,
        )
    db.session.flush()
    _recovery, recovery_text = create_recovery_key(office)
    seed_demo_cases(utcnow())
    publish_demo_report(utcnow())
    return recovery_text


def _print_accounts() -> None:
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        team = f" [{user.team.code}]" if user.team else ""
        click.echo(f"  {user.role:<18} {user.email}{team}")
    click.echo("Admins and directors set up two-step verification (TOTP) at first login.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load demo data into an empty database (refused in production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo refuses to run against a production configuration")
    recovery_text = seed_demo()
    if recovery_text:
        db.session.commit()
        click.echo("Demo data loaded.")
        click.echo(
            f"Demo office recovery key (printed only now; in production it is made by\n"
            f"`flask keys recovery-create` and kept offline): {recovery_text}"
        )
    else:
        click.echo("Demo data already present; nothing changed.")
    _print_accounts()

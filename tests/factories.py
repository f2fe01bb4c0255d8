"""Factory fixtures: `make_office`, `make_team`, `make_user`, and a ready user per role."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from inspect_app.accounts import services
from inspect_app.accounts.models import Association, Office, Team
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from inspect_app.geo.models import Ward

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@pytest.fixture
def make_office(app_ctx):
    def make(province_code: int = 1, code: str | None = None) -> Office:
        existing = db.session.scalar(select(Office).where(Office.province_code == province_code))
        if existing:
            return existing
        office = Office(
            code=code or f"OFF-{province_code}",
            name=f"Chi cục QLTT {province_code}",
            province_code=province_code,
        )
        db.session.add(office)
        db.session.commit()
        return office

    return make


@pytest.fixture
def make_team(make_office):
    def make(
        code: str | None = None,
        province_code: int = 1,
        wards: int = 3,
        is_ecommerce: bool = False,
        is_default: bool = False,
    ) -> Team:
        office = make_office(province_code)
        team = services.create_team(
            code=code or f"T{next(_seq)}",
            name=f"Đội {code or 'test'}",
            office=office,
            is_ecommerce=is_ecommerce,
            is_default=is_default,
        )
        if wards and not is_ecommerce:
            taken = {w.code for t in office.teams for w in t.wards}
            free = [
                w
                for w in db.session.scalars(
                    select(Ward).where(Ward.province_code == province_code).order_by(Ward.code)
                )
                if w.code not in taken
            ][:wards]
            services.set_team_jurisdiction(team, [w.code for w in free])
        db.session.commit()
        return team

    return make


@pytest.fixture
def make_user(make_team, make_office):
    def make(
        role: Role | str = Role.INSPECTOR,
        email: str | None = None,
        team: Team | None = None,
        password: str = PASSWORD,
        **kwargs,
    ):
        role = Role(role)
        if role.needs_team and team is None:
            team = make_team()
        office = make_office() if role is Role.DIRECTOR else None
        association = None
        if role is Role.ASSOCIATION_STAFF:
            association = Association(name=f"Hội BVQLNTD {next(_seq)}", province_code=1)
            db.session.add(association)
        user = services.create_user(
            email=email or f"{role.value}{next(_seq)}@example.vn",
            password=password,
            role=role,
            full_name=kwargs.pop("full_name", f"Cán bộ {role.value}"),
            team=team,
            office=office,
            association=association,
        )
        db.session.commit()
        return user

    return make

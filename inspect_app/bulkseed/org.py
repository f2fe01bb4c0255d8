"""The organisation bulk cases belong to, created idempotently.

Per province: an office (the existing one if there is one), two ward teams sharing
the province's free wards and an e-commerce team, a lead and three inspectors per
team, a director, and a consumer association with one staff member. Accounts get
one random password hashed once, and share one key pair locked under it: nobody logs
in with them (the benchmark sets its sessions directly), and one wrapped data key
then serves every envelope of the bulk reports.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select

from inspect_app.accounts.models import Association, Office, Team, User, team_wards
from inspect_app.accounts.permissions import Role
from inspect_app.accounts.services import hash_password
from inspect_app.bulkseed.generator import province_weights
from inspect_app.cases.models import Category, ReportKind
from inspect_app.deadlines.services import active_policy
from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward
from inspect_app.sealing import crypto
from inspect_app.sealing.models import OfficerKey
from inspect_app.sealing.services import create_officer_key, may_hold_keys

EMAIL_DOMAIN = "bulk.inspect.vn"
INSPECTORS_PER_TEAM = 3
PRIORITY = "normal"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN = ("Văn An", "Thị Bình", "Minh Châu", "Đức Dũng", "Thu Hà", "Quốc Huy", "Ngọc Lan", "Hải Nam")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    email: str


@dataclass(frozen=True, slots=True)
class TeamRefs:
    id: int
    lead: Person
    inspectors: tuple[Person, ...]
    wards: tuple[int, ...]  # empty for the e-commerce team


@dataclass(frozen=True, slots=True)
class ProvinceRefs:
    teams: tuple[TeamRefs, ...]  # by team slot: ward teams 0 and 1, e-commerce 2
    director: Person
    association_id: int
    association_staff: Person


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    """The numbers of a deadline policy version, detached from the session."""

    id: int
    accept_working_days: int
    notify_working_days: int
    resolve_days: int
    extension_days: int
    max_extensions: int


@dataclass(frozen=True)
class OrgContext:
    provinces: dict[int, ProvinceRefs]
    category_ids: dict[str, int]
    policies: dict[tuple[str, int], PolicyTerms]  # (kind, category id) → policy
    officer_public_key: bytes  # the key pair every bulk officer shares


class _Accounts:
    """Existing bulk accounts by e-mail; new ones share one password hash, and every
    one shares one key pair."""

    def __init__(self) -> None:
        query = select(User).where(User.email.like(f"%@{EMAIL_DOMAIN}"))
        self.users = {u.email: u for u in db.session.scalars(query)}
        self._hash: str | None = None
        self._password = secrets.token_urlsafe(32)
        self._key: OfficerKey | None = next(
            (u.officer_key for u in self.users.values() if u.officer_key), None
        )

    @property
    def public_key(self) -> bytes:
        return crypto.unb64(self._key.public_key) if self._key else b""

    def _give_key(self, user: User) -> None:
        if user.officer_key is not None or not may_hold_keys(user):
            return
        if self._key is None:
            self._key = create_officer_key(user, self._password)
            return
        columns = ("public_key", "locked_private_key", "kdf_salt", "kdf_opslimit", "kdf_memlimit")
        user.officer_key = OfficerKey(**{name: getattr(self._key, name) for name in columns})
        db.session.flush()

    def get(self, email: str, role: Role, **placement) -> Person:
        user = self.users.get(email)
        if user is None:
            if self._hash is None:
                self._hash = hash_password(self._password)
            number = len(self.users)
            user = User(
                email=email,
                full_name=f"{FAMILY[number % len(FAMILY)]} {GIVEN[number % len(GIVEN)]}",
                password_hash=self._hash,
                role=role.value,
                active=True,
                session_version=0,
                totp_enabled=False,
                **placement,
            )
            db.session.add(user)
            db.session.flush()
            self.users[email] = user
        self._give_key(user)
        return Person(user.id, user.email)


def ensure_organisation() -> OrgContext:
    """Create what is missing and return the ids the rows need; flushes, never commits."""
    codes, _ = province_weights()
    provinces = {p.code: p for p in db.session.scalars(select(Province))}
    missing = [code for code in codes if code not in provinces]
    if missing:
        raise LookupError(f"provinces {missing} are not loaded; run `flask refdata load` first")
    accounts = _Accounts()
    refs = {code: _province(provinces[code], accounts) for code in codes}
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}
    return OrgContext(refs, categories, _policies(categories.values()), accounts.public_key)


def _province(province: Province, accounts: _Accounts) -> ProvinceRefs:
    office = db.session.scalar(select(Office).where(Office.province_code == province.code))
    if office is None:
        office = Office(
            code=f"BULK-{province.code:02d}",
            name=f"Chi cục QLTT {province.name}",
            province_code=province.code,
        )
        db.session.add(office)
        db.session.flush()
    prefix = f"B{province.code:02d}"
    teams = _teams(office, prefix)
    _share_free_wards(province.code, teams[:2])
    province_wards = tuple(
        db.session.scalars(
            select(Ward.code).where(Ward.province_code == province.code).order_by(Ward.code)
        )
    )
    team_refs = tuple(_team_refs(team, accounts, province_wards) for team in teams)
    director = accounts.get(
        f"director.{prefix.lower()}@{EMAIL_DOMAIN}", Role.DIRECTOR, office=office
    )
    association = _association(province)
    staff = accounts.get(
        f"association.{prefix.lower()}@{EMAIL_DOMAIN}",
        Role.ASSOCIATION_STAFF,
        association=association,
    )
    return ProvinceRefs(team_refs, director, association.id, staff)


def _teams(office: Office, prefix: str) -> list[Team]:
    wanted = (
        (f"{prefix}-DOI1", "Đội QLTT số 1", False),
        (f"{prefix}-DOI2", "Đội QLTT số 2", False),
        (f"{prefix}-TMDT", "Đội QLTT thương mại điện tử", True),
    )
    existing = {t.code: t for t in db.session.scalars(select(Team).where(Team.office == office))}
    has_default = any(t.is_default for t in existing.values())
    teams = []
    for code, name, ecommerce in wanted:
        team = existing.get(code)
        if team is None:
            team = Team(
                code=code,
                name=name,
                office=office,
                is_ecommerce=ecommerce,
                is_default=not has_default,
                active=True,
            )
            has_default = True
            db.session.add(team)
            db.session.flush()
        teams.append(team)
    return teams


def _share_free_wards(province_code: int, ward_teams: list[Team]) -> None:
    """Give the ward teams, once, the province's wards no team holds yet (half each)."""
    team_ids = [t.id for t in ward_teams]
    held = db.session.scalars(
        select(team_wards.c.team_id).where(team_wards.c.team_id.in_(team_ids)).limit(1)
    ).first()
    if held is not None:
        return
    taken = select(team_wards.c.ward_code)
    free = db.session.scalars(
        select(Ward.code)
        .where(Ward.province_code == province_code, Ward.active, Ward.code.not_in(taken))
        .order_by(Ward.code)
    ).all()
    half = len(free) // 2
    rows = [{"team_id": team_ids[0], "ward_code": code} for code in free[:half]]
    rows += [{"team_id": team_ids[1], "ward_code": code} for code in free[half:]]
    if rows:
        db.session.execute(insert(team_wards), rows)


def _team_refs(team: Team, accounts: _Accounts, province_wards: tuple[int, ...]) -> TeamRefs:
    """The team's people and wards; a ward team left without wards (other teams hold
    them all) still gets cases, placed in any ward of the province."""
    code = team.code.lower()
    lead = accounts.get(f"{code}.lead@{EMAIL_DOMAIN}", Role.TEAM_LEAD, team=team)
    inspectors = tuple(
        accounts.get(f"{code}.inspector{n}@{EMAIL_DOMAIN}", Role.INSPECTOR, team=team)
        for n in range(1, INSPECTORS_PER_TEAM + 1)
    )
    wards = db.session.scalars(
        select(team_wards.c.ward_code)
        .where(team_wards.c.team_id == team.id)
        .order_by(team_wards.c.ward_code)
    ).all()
    if not team.is_ecommerce and not wards:
        wards = province_wards
    return TeamRefs(team.id, lead, inspectors, tuple(wards))


def _association(province: Province) -> Association:
    name = f"Hội Bảo vệ quyền lợi người tiêu dùng {province.name}"
    association = db.session.scalar(select(Association).where(Association.name == name))
    if association is None:
        association = Association(name=name, province_code=province.code)
        db.session.add(association)
        db.session.flush()
    return association


def _policies(category_ids) -> dict[tuple[str, int], PolicyTerms]:
    """The policy a new case of each kind and category would get (`case_policy`)."""
    policies = {}
    for kind in ReportKind:
        for category_id in category_ids:
            p = active_policy(kind.value, category_id, PRIORITY)
            policies[kind.value, category_id] = PolicyTerms(
                p.id,
                p.accept_working_days,
                p.notify_working_days,
                p.resolve_days,
                p.extension_days,
                p.max_extensions,
            )
    return policies

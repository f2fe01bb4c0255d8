"""A fixed dataset for the statistics: real cases driven through the workflow at
known moments (Vietnam time), so every expected figure can be worked out by hand.

Quarter 3/2026 (01/07-30/09); QUARTER_CASES lists the twelve cases resolved in it
(c11 in Ho Chi Minh City, the rest in Ha Noi). Days count between days in Vietnam;
the resolution deadline is 30 calendar days after acceptance, moved off days off.

| case | received | resolved | days | deadline             | outcome, VND      |
|------|----------|----------|------|----------------------|-------------------|
| c1   | 02/07    | 05/07    | 3    | in time              | fine 10.000.000   |
| c2   | 06/07    | 11/07    | 5    | in time              | destroyed 4.000.000 |
| c3   | 10/07    | 18/07    | 8    | in time              | fine 5.000.000    |
| c4   | 15/07    | 25/07    | 10   | in time              | warning           |
| c5   | 01/08    | 13/08    | 12   | in time              | no violation      |
| c6   | 03/08    | 18/08    | 15   | in time (closed)     | fine 2.500.000    |
| c7   | 20/06    | 10/07    | 20   | in time              | seized 6.000.000  |
| c8   | 01/07 00:30 | 31/07 23:00 | 30 | due 31/07: in time | fine 20.000.000   |
| c9   | 10/08    | 24/09    | 45   | due 10/09: late      | fine 1.500.000    |
| c10  | 20/07    | 18/09    | 60   | due 20/08: late      | referred          |
| c11  | 05/09    | 25/09    | 20   | in time (HCM)        | fine 3.000.000    |
| c12  | 04/08    | 05/09 00:30 | 32 | due 04/09: late    | fine 7.000.000    |

Not resolved in the quarter: c13 (resolved 25/06), c14 (received 20/09, resolved
01/10 00:30 VN = 30/09 UTC), c15 (investigating, received 20/08), c16 (rejected,
received 07/07), c17 (merged into c15, received 21/08), c18 (received 25/07,
resolved 10/08 then reopened 15/08).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.cases import transitions
from inspect_app.cases.models import Case, Category, IntakeChannel, LocationType
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import (
    AssociationIntake,
    ReportDraft,
    ReporterIdentity,
    submit_report,
)
from tests.cases.conftest import Org, org  # noqa: F401
from tests.helpers import current_code, login, totp_secret_from_page

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def log_in(client, user) -> None:
    """Log in, enrolling a second factor where the role requires it."""
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


def vn(text: str) -> datetime:
    """'2026-07-02 09:00' in Vietnam time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@dataclass
class Crew:
    team: Team
    lead: User
    inspector: User


@dataclass
class Dataset:
    org: Org
    crews: dict[str, Crew]
    cases: dict[str, Case]
    wards: dict[str, int]


def file_report(
    people: Org,
    crew: Crew,
    received: str,
    *,
    category: str = "counterfeit",
    ward: int | None = None,
    kind: str = "tip",
    seller: str = "Cửa hàng Minh Anh",
) -> Case:
    category_id = db.session.scalar(select(Category.id).where(Category.code == category))
    named = kind != "tip"
    draft = ReportDraft(
        category_id=category_id,
        product="Sữa bột Similac 900g",
        description="Tem chống giả bị mờ.",
        location_type=LocationType.PHYSICAL if ward else LocationType.ONLINE,
        province_code=crew.team.office.province_code,
        ward_code=ward,
        street_address="12 Phố Huế" if ward else "",
        seller_name=seller,
        platform="" if ward else "Facebook",
        identity=ReporterIdentity(name="Nguyễn Văn An", phone="0912345678") if named else None,
        consent=named,
        formal_denunciation=kind == "denunciation",
    )
    association = (
        AssociationIntake(
            staff=people.association,
            channel=IntakeChannel.HOTLINE,
            received_on=vn(received).date(),
        )
        if kind == "complaint"
        else None
    )
    submission = submit_report(draft, [], get_storage(), association=association, now=vn(received))
    db.session.commit()
    return submission.report.case


def _investigate(crew: Crew, case: Case, accepted: str) -> None:
    moment = vn(accepted)
    transitions.accept_case(crew.lead, case, now=moment)
    transitions.assign_case(
        crew.lead, case, assignee=crew.inspector, now=moment + timedelta(minutes=5)
    )
    transitions.start_investigation(crew.inspector, case, now=moment + timedelta(minutes=10))
    db.session.commit()


def _resolve(
    crew: Crew,
    case: Case,
    accepted: str,
    resolved: str,
    outcome: str,
    *,
    fine: int | None = None,
    goods: int | None = None,
) -> Case:
    _investigate(crew, case, accepted)
    transitions.resolve_case(
        crew.inspector,
        case,
        outcome=outcome,
        fine_amount=fine,
        goods_value=goods,
        goods_description="Sữa bột giả" if goods else "",
        public_summary="Đã xử lý theo quy định.",
        now=vn(resolved),
    )
    db.session.commit()
    return case


def crews_of(people: Org, make_user) -> dict[str, Crew]:
    far_team = db.session.scalar(select(Team).where(Team.code == "HCM-DOI01"))
    return {
        "team": Crew(people.team, people.lead, people.inspector),
        "other": Crew(people.other_team, people.other_lead, people.other_inspector),
        "far": Crew(
            far_team,
            make_user(Role.TEAM_LEAD, team=far_team, full_name="Võ Thị Sáu"),
            make_user(Role.INSPECTOR, team=far_team, full_name="Ngô Văn Bảy"),
        ),
    }


# name, crew, received, report options, accepted, resolved, outcome, money (VN times)
# fmt: off
QUARTER_CASES = (
    ("c1", "team", "2026-07-02 09:00", {"ward": "A"},
     "2026-07-03 09:00", "2026-07-05 10:00", "fine", {"fine": 10_000_000}),
    ("c2", "team", "2026-07-06 09:00", {"ward": "A", "seller": "Tạp hóa Bình Minh"},
     "2026-07-07 09:00", "2026-07-11 10:00", "goods_destroyed", {"goods": 4_000_000}),
    ("c3", "team", "2026-07-10 09:00", {"ward": "A", "kind": "denunciation"},
     "2026-07-11 09:00", "2026-07-18 10:00", "fine", {"fine": 5_000_000}),
    ("c4", "team", "2026-07-15 09:00",
     {"ward": "B", "category": "smuggled", "seller": "Đại lý Phúc Lộc"},
     "2026-07-16 09:00", "2026-07-25 10:00", "warning", {}),
    ("c5", "team", "2026-08-01 09:00",
     {"ward": "B", "category": "smuggled", "kind": "complaint", "seller": "Shop Hằng Nga"},
     "2026-08-02 09:00", "2026-08-13 10:00", "no_violation", {}),
    ("c6", "other", "2026-08-03 09:00",
     {"ward": "C", "category": "quality", "kind": "complaint", "seller": "Cửa hàng Thành Đạt"},
     "2026-08-04 09:00", "2026-08-18 10:00", "fine", {"fine": 2_500_000}),
    ("c7", "team", "2026-06-20 09:00", {"ward": "A", "seller": "Quầy hàng số 12"},
     "2026-06-21 09:00", "2026-07-10 10:00", "goods_seized", {"goods": 6_000_000}),
    ("c8", "team", "2026-07-01 00:30", {"ward": "A"},
     "2026-07-01 10:00", "2026-07-31 23:00", "fine", {"fine": 20_000_000}),
    ("c9", "team", "2026-08-10 09:00", {"category": "food_safety", "seller": "Kho sỉ Hà Nội"},
     "2026-08-11 09:00", "2026-09-24 10:00", "fine", {"fine": 1_500_000}),
    ("c10", "other", "2026-07-20 09:00",
     {"ward": "C", "kind": "denunciation", "seller": "Siêu thị mini An Khang"},
     "2026-07-21 09:00", "2026-09-18 10:00", "referred", {}),
    ("c11", "far", "2026-09-05 09:00", {"ward": "HCM", "seller": "Cửa hàng Sài Gòn"},
     "2026-09-07 09:00", "2026-09-25 10:00", "fine", {"fine": 3_000_000}),
    ("c12", "team", "2026-08-04 09:00",
     {"ward": "D", "category": "quality", "seller": "Tạp hóa Hồng Nhung"},
     "2026-08-05 09:00", "2026-09-05 00:30", "fine", {"fine": 7_000_000}),
)
# fmt: on


def _resolved_in_quarter(people: Org, crews: dict[str, Crew], wards: dict[str, int]) -> dict:
    cases = {}
    for name, crew, received, opts, accepted, resolved, outcome, money in QUARTER_CASES:
        options = {**opts, "ward": wards[opts["ward"]] if "ward" in opts else None}
        case = file_report(people, crews[crew], received, **options)
        cases[name] = _resolve(crews[crew], case, accepted, resolved, outcome, **money)
    other = crews["other"]
    transitions.approve_resolution(other.lead, cases["c6"], now=vn("2026-08-19 09:00"))
    db.session.commit()
    return cases


def _not_in_quarter(people: Org, t: Crew, ward: int) -> dict[str, Case]:
    cases = {
        "c13": _resolve(
            t,
            file_report(people, t, "2026-06-01 09:00", ward=ward),
            "2026-06-02 09:00",
            "2026-06-25 10:00",
            "fine",
            fine=9_000_000,
        ),
        "c14": _resolve(
            t,
            file_report(people, t, "2026-09-20 09:00", ward=ward),
            "2026-09-21 09:00",
            "2026-10-01 00:30",
            "fine",
            fine=8_000_000,
        ),
    }
    cases["c15"] = file_report(people, t, "2026-08-20 09:00", ward=ward)
    _investigate(t, cases["c15"], "2026-08-21 09:00")
    cases["c16"] = file_report(people, t, "2026-07-07 09:00", ward=ward)
    transitions.reject_case(
        t.lead,
        cases["c16"],
        reason="not_specific",
        public_reason="Chưa đủ cụ thể.",
        now=vn("2026-07-08 09:00"),
    )
    cases["c17"] = file_report(people, t, "2026-08-21 09:00", ward=ward)
    transitions.merge_case(t.lead, cases["c17"], target=cases["c15"], now=vn("2026-08-22 09:00"))
    db.session.commit()
    cases["c18"] = _resolve(
        t,
        file_report(people, t, "2026-07-25 09:00", ward=ward),
        "2026-07-26 09:00",
        "2026-08-10 10:00",
        "fine",
        fine=4_000_000,
    )
    transitions.reopen_case(
        t.lead, cases["c18"], reason="Thiếu biên bản.", now=vn("2026-08-15 09:00")
    )
    db.session.commit()
    return cases


@pytest.fixture
def dataset(org, make_user) -> Dataset:  # noqa: F811
    crews = crews_of(org, make_user)
    wards = {
        "A": org.team.wards[0].code,
        "B": org.team.wards[1].code,
        "D": org.team.wards[2].code,
        "C": org.other_team.wards[0].code,
        "HCM": crews["far"].team.wards[0].code,
    }
    cases = _resolved_in_quarter(org, crews, wards)
    cases.update(_not_in_quarter(org, crews["team"], wards["A"]))
    return Dataset(org=org, crews=crews, cases=cases, wards=wards)


QUARTER_START, QUARTER_END = date(2026, 7, 1), date(2026, 9, 30)

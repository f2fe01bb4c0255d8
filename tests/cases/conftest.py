"""Case fixtures: an organisation with people in every role, and `make_case` that
drives a real case through the workflow to the state a test needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from inspect_app.accounts.models import Team, User
from inspect_app.accounts.permissions import Role
from inspect_app.cases import transitions
from inspect_app.cases.models import Case, Category, LocationType
from inspect_app.cases.workflow import CaseStatus
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, ReporterIdentity, submit_report
from tests import imaging


@dataclass
class Org:
    team: Team
    other_team: Team
    lead: User
    inspector: User
    inspector2: User
    other_lead: User
    other_inspector: User
    director: User
    other_director: User
    admin: User
    association: User


@pytest.fixture
def org(make_team, make_user) -> Org:
    team = make_team("HN-DOI01", wards=5, is_default=True)
    other_team = make_team("HN-DOI02", wards=5)
    far_team = make_team("HCM-DOI01", province_code=79, wards=3, is_default=True)
    other_director = make_user(Role.DIRECTOR)
    other_director.office = far_team.office
    db.session.commit()
    return Org(
        team=team,
        other_team=other_team,
        lead=make_user(Role.TEAM_LEAD, team=team, full_name="Trần Thị Lan"),
        inspector=make_user(Role.INSPECTOR, team=team, full_name="Lê Văn Minh"),
        inspector2=make_user(Role.INSPECTOR, team=team, full_name="Phạm Thu Hà"),
        other_lead=make_user(Role.TEAM_LEAD, team=other_team),
        other_inspector=make_user(Role.INSPECTOR, team=other_team),
        director=make_user(Role.DIRECTOR),
        other_director=other_director,
        admin=make_user(Role.ADMIN),
        association=make_user(Role.ASSOCIATION_STAFF),
    )


def new_report(
    team: Team,
    *,
    product: str = "Sữa bột Similac 900g",
    seller: str = "Cửa hàng Minh Anh",
    description: str = "Tem chống giả bị mờ.",
    photos: int = 0,
    named: bool = False,
    email_updates: bool = False,
    seed: str = "p",
):
    category = db.session.scalar(select(Category).where(Category.code == "counterfeit"))
    identity = (
        ReporterIdentity(name="Nguyễn Văn An", phone="0912345678", email="an@example.vn")
        if named
        else None
    )
    draft = ReportDraft(
        category_id=category.id,
        product=product,
        description=description,
        location_type=LocationType.PHYSICAL,
        province_code=team.office.province_code,
        ward_code=team.wards[0].code,
        seller_name=seller,
        street_address="12 Phố Huế",
        seen_on=date(2026, 11, 20),
        identity=identity,
        consent=named,
        formal_denunciation=named,
        wants_email_updates=named and email_updates,
    )
    pictures = []
    for i in range(photos):
        data = imaging.jpeg(seed=f"{seed}{i}")
        pictures.append((data, process_photo(data, f"{i}.jpg")))
    submission = submit_report(draft, pictures, get_storage())
    db.session.commit()
    return submission


def drive(case: Case, org: Org, status: CaseStatus) -> Case:
    """Take a new case through the workflow, as its team would, up to `status`."""
    path = {
        CaseStatus.NEW: [],
        CaseStatus.ACCEPTED: ["accept"],
        CaseStatus.ASSIGNED: ["accept", "assign"],
        CaseStatus.INVESTIGATING: ["accept", "assign", "start"],
        CaseStatus.RESOLVED: ["accept", "assign", "start", "resolve"],
        CaseStatus.CLOSED: ["accept", "assign", "start", "resolve", "approve"],
        CaseStatus.REJECTED: ["reject"],
        CaseStatus.TRANSFERRED: ["transfer"],
    }[status]
    steps = {
        "accept": lambda: transitions.accept_case(org.lead, case),
        "assign": lambda: transitions.assign_case(org.lead, case, assignee=org.inspector),
        "start": lambda: transitions.start_investigation(org.inspector, case),
        "resolve": lambda: transitions.resolve_case(
            org.inspector,
            case,
            outcome="fine",
            fine_amount=15_000_000,
            public_summary="Cơ sở bị xử phạt 15.000.000 đồng.",
            legal_basis="NĐ 98/2020, Điều 11",
        ),
        "approve": lambda: transitions.approve_resolution(org.lead, case),
        "reject": lambda: transitions.reject_case(
            org.lead, case, reason="not_specific", public_reason="Thông tin chưa đủ cụ thể."
        ),
        "transfer": lambda: transitions.transfer_case(
            org.lead,
            case,
            destination="police",
            agency="Công an quận Hoàn Kiếm",
            reason="Dấu hiệu tội phạm.",
        ),
    }
    for step in path:
        steps[step]()
        db.session.commit()
    return case


@pytest.fixture
def make_case(org):
    def make(status: CaseStatus = CaseStatus.NEW, **report_args) -> Case:
        submission = new_report(org.team, **report_args)
        case = submission.report.case
        case.tracking_code = submission.tracking_code
        return drive(case, org, status)

    return make

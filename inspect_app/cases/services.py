"""Case-domain rules."""

from __future__ import annotations

from sqlalchemy import select

from inspect_app.accounts.models import Office, Team, team_wards
from inspect_app.cases.models import Case, Category, PublicUpdate, Report
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.text import fold

# The QLTT scope of violations (Law on Market Surveillance Force 2016 and Decree 98/2020).
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("counterfeit", "Hàng giả", "Counterfeit goods"),
    ("prohibited", "Hàng cấm", "Prohibited goods"),
    ("smuggled", "Hàng nhập lậu", "Smuggled goods"),
    ("unknown_origin", "Không rõ nguồn gốc xuất xứ", "Goods of unknown origin"),
    ("ip_infringement", "Xâm phạm sở hữu trí tuệ", "Intellectual property infringement"),
    ("quality", "Chất lượng / đo lường", "Quality / measurement"),
    ("food_safety", "An toàn thực phẩm", "Food safety"),
    ("labelling", "Ghi nhãn", "Labelling"),
    ("pricing", "Giá", "Pricing"),
    ("ecommerce", "Thương mại điện tử", "E-commerce"),
    ("trade_fraud", "Gian lận thương mại", "Commercial fraud"),
    ("other", "Khác", "Other"),
)


def load_default_categories() -> int:
    """Add the default categories that are missing; never overwrite admin edits."""
    existing = set(db.session.scalars(select(Category.code)))
    added = 0
    for order, (code, name_vi, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        if code not in existing:
            db.session.add(
                Category(code=code, name_vi=name_vi, name_en=name_en, sort_order=order, active=True)
            )
            added += 1
    db.session.flush()
    return added


def route_team(province_code: int, ward_code: int | None, online: bool) -> Team | None:
    """The team that receives a new report.

    A physical place goes to the team whose jurisdiction holds the ward; an online
    seller to the province's e-commerce team; otherwise the office's default team.
    None when the province has no office configured (admins see such cases).
    """
    office = db.session.scalar(select(Office).where(Office.province_code == province_code))
    if office is None:
        return None
    teams = [t for t in office.teams if t.active]
    if online:
        for team in teams:
            if team.is_ecommerce:
                return team
    elif ward_code is not None:
        team = db.session.scalar(
            select(Team)
            .join(team_wards, team_wards.c.team_id == Team.id)
            .where(team_wards.c.ward_code == ward_code, Team.active)
        )
        if team is not None:
            return team
    for team in teams:
        if team.is_default:
            return team
    return teams[0] if teams else None


def open_case(report: Report, team: Team | None) -> Case:
    """Every submitted report opens a case in state `new`, with a public first step."""
    case = Case(
        status=CaseStatus.NEW.value,
        kind=report.kind,
        source=report.source,
        category_id=report.category_id,
        team=team,
        province_code=report.province_code,
        ward_code=report.ward_code,
        title=case_title(report),
        search_text=report_search_text(report),
        received_at=report.submitted_at,
        last_activity_at=report.submitted_at,
        version=1,
    )
    case.public_updates.append(
        PublicUpdate(status=CaseStatus.NEW.value, created_at=report.submitted_at)
    )
    report.case = case
    db.session.add_all([case, report])
    db.session.flush()
    return case


def case_title(report: Report) -> str:
    parts = [report.product, report.brand, report.seller_name]
    return " · ".join(p for p in parts if p)[:300]


def report_search_text(report: Report) -> str:
    """Accent-folded product, brand, seller, address and description — never identity."""
    fields = [
        report.product,
        report.brand,
        report.seller_name,
        report.street_address,
        report.platform,
        report.seller_url,
        report.description,
    ]
    return fold(" ".join(f for f in fields if f))

"""Demo cases: every team gets cases in every state, with their history, so the
queue, the case pages and the audit log show something real on first run."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO

from PIL import Image, ImageDraw
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

GOODS = (
    (
        "counterfeit",
        "Sữa bột Similac 900g",
        "Abbott",
        "Tem chống hàng giả bị mờ, hạn dùng in lệch.",
    ),
    ("counterfeit", "Nước giặt Omo Matic 3,6 kg", "Unilever", "Bao bì in nhòe, giá rẻ bằng nửa."),
    ("quality", "Mũ bảo hiểm trẻ em", "Protec", "Không có tem hợp quy CR, vỏ mỏng, dễ vỡ."),
    ("ip_infringement", "Túi xách Louis Vuitton", "Louis Vuitton", "Hàng nhái bán công khai."),
    ("smuggled", "Thuốc lá Marlboro", "Marlboro", "Không có tem nhập khẩu, bán theo cây."),
    ("food_safety", "Bánh trung thu nhân thập cẩm", "", "Không nhãn, không hạn sử dụng."),
    ("unknown_origin", "Mỹ phẩm trắng da", "Ohui", "Nhãn toàn tiếng nước ngoài, không nhãn phụ."),
    ("labelling", "Rượu vang đỏ", "Bordeaux", "Không có nhãn phụ tiếng Việt."),
    ("pricing", "Xăng RON 95", "", "Bơm thiếu, giá niêm yết không đúng."),
    ("trade_fraud", "Phân bón NPK 16-16-8", "Đầu Trâu", "Nghi pha trộn, hàm lượng thấp."),
)
SELLERS = (
    "Cửa hàng Minh Anh",
    "Tạp hóa Bình Minh",
    "Shop Hằng Nga",
    "Đại lý Phúc Lộc",
    "Siêu thị mini An Khang",
    "Quầy hàng chợ Đồng Xuân số 12",
    "Cửa hàng Thành Đạt",
)
SHOPS_ONLINE = (
    ("Shopee", "hangchinhhang_99"),
    ("TikTok Shop", "mypham.xachtay"),
    ("Facebook", "Kho sỉ Hà Nội"),
    ("Lazada", "Đồ hiệu giá tốt"),
)
STREETS = ("12 Phố Huế", "45 Hàng Bông", "88 Trần Duy Hưng", "3 Lê Văn Lương", "27 Nguyễn Trãi")
FLOW: dict[CaseStatus, tuple[str, ...]] = {
    CaseStatus.NEW: (),
    CaseStatus.ACCEPTED: ("accept",),
    CaseStatus.ASSIGNED: ("accept", "assign"),
    CaseStatus.INVESTIGATING: ("accept", "assign", "start"),
    CaseStatus.RESOLVED: ("accept", "assign", "start", "resolve"),
    CaseStatus.CLOSED: ("accept", "assign", "start", "resolve", "approve"),
    CaseStatus.REJECTED: ("reject",),
    CaseStatus.TRANSFERRED: ("transfer",),
    CaseStatus.MERGED: ("merge",),
}


def _demo_photo(rng: random.Random, label: str) -> bytes:
    """A small generated picture standing in for a citizen's photo."""
    image = Image.new("RGB", (800, 600), tuple(rng.randrange(90, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(0, 700), rng.randrange(0, 500)
        draw.rectangle(
            (x, y, x + rng.randrange(40, 160), y + rng.randrange(30, 120)),
            outline=(30, 30, 30),
            width=4,
        )
    draw.text((20, 20), label, fill=(0, 0, 0))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _draft(rng: random.Random, team: Team, index: int) -> ReportDraft:
    code, product, brand, description = GOODS[index % len(GOODS)]
    category = db.session.scalar(select(Category).where(Category.code == code))
    named = index % 3 == 0
    identity = (
        ReporterIdentity(
            name=rng.choice(("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường")),
            phone=f"09{rng.randrange(10_000_000, 99_999_999)}",
            email=f"nguoidan{index}@example.vn",
        )
        if named
        else None
    )
    online = team.is_ecommerce
    platform, seller = rng.choice(SHOPS_ONLINE) if online else ("", rng.choice(SELLERS))
    return ReportDraft(
        category_id=category.id,
        product=product,
        brand=brand,
        description=description,
        location_type=LocationType.ONLINE if online else LocationType.PHYSICAL,
        province_code=team.office.province_code,
        ward_code=None if online else rng.choice(team.wards).code,
        street_address="" if online else rng.choice(STREETS),
        seller_name=seller,
        platform=platform,
        seller_url=f"https://{platform.lower().replace(' ', '')}.vn/{index}" if online else "",
        identity=identity,
        consent=named,
        formal_denunciation=named,
    )


def _steps(
    case: Case, lead: User, inspector: User, merge_target: Case | None
) -> dict[str, Callable]:
    return {
        "accept": lambda now: transitions.accept_case(lead, case, now=now),
        "assign": lambda now: transitions.assign_case(lead, case, assignee=inspector, now=now),
        "start": lambda now: transitions.start_investigation(inspector, case, now=now),
        "resolve": lambda now: transitions.resolve_case(
            inspector,
            case,
            outcome="fine",
            fine_amount=12_500_000,
            legal_basis="Nghị định 98/2020/NĐ-CP, Điều 11",
            public_summary=(
                "Đã kiểm tra, lập biên bản và xử phạt vi phạm hành chính cơ sở kinh doanh."
            ),
            now=now,
        ),
        "approve": lambda now: transitions.approve_resolution(lead, case, now=now),
        "reject": lambda now: transitions.reject_case(
            lead,
            case,
            reason="not_specific",
            now=now,
            public_reason="Thông tin chưa đủ cụ thể để xác minh; mời bạn gửi thêm địa chỉ và ảnh.",
        ),
        "transfer": lambda now: transitions.transfer_case(
            lead,
            case,
            destination="police",
            agency="Công an phường Hoàn Kiếm",
            reason="Có dấu hiệu tội phạm sản xuất, buôn bán hàng giả.",
            now=now,
        ),
        "merge": lambda now: transitions.merge_case(lead, case, target=merge_target, now=now),
    }


def seed_team_cases(team: Team, lead: User, inspector: User, now: datetime, seed: int) -> int:
    """One case per state (two new ones), received over the last weeks, with photos."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    storage = get_storage()
    created = 0
    open_target = None
    statuses = [CaseStatus.NEW, *FLOW, CaseStatus.INVESTIGATING]
    for index, status in enumerate(statuses):
        received = now - timedelta(days=rng.randrange(2, 40), hours=rng.randrange(0, 9))
        photo = _demo_photo(rng, f"#{seed}-{index}")
        submission = submit_report(
            _draft(rng, team, index + seed),
            [(photo, process_photo(photo, "anh.jpg"))],
            storage,
            now=received,
        )
        case = submission.report.case
        moment = received
        for step in FLOW[status]:
            moment += timedelta(days=rng.randrange(1, 4), hours=rng.randrange(1, 6))
            _steps(case, lead, inspector, open_target)[step](min(moment, now))
        if status is CaseStatus.INVESTIGATING and open_target is None:
            open_target = case
        created += 1
    return created


def seed_demo_cases(now: datetime) -> int:
    total = 0
    teams = db.session.scalars(select(Team).order_by(Team.code)).all()
    for number, team in enumerate(teams):
        members = {u.role: u for u in team.members}
        lead, inspector = members.get(Role.TEAM_LEAD.value), members.get(Role.INSPECTOR.value)
        if lead and inspector:
            total += seed_team_cases(team, lead, inspector, now, seed=number + 1)
    return total

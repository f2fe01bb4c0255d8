"""Duplicate suggestions at triage: open cases of the same ward with a similar seller
(accents or not) or a photo that looks alike (re-encoded, resized) are offered with
the reason; unrelated and finished cases are not; only the team lead, who can merge,
sees the block."""

from __future__ import annotations

import random
import re
from io import BytesIO

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from inspect_app.cases.duplicates import suggest_duplicates
from inspect_app.cases.models import Case, Category, LocationType
from inspect_app.cases.workflow import CaseStatus
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, submit_report
from tests.cases.conftest import drive
from tests.helpers import login

S = CaseStatus
SAME_SELLER = "cùng người bán, cùng phường"
SAME_PHOTO = "ảnh giống hệt"


def scene(seed: str, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with shapes on a gradient, like a shop front: what a perceptual
    hash is made for (pure noise would not survive re-encoding)."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = [x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 250)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)(box, fill=colour)
    return image


def jpeg(image: Image.Image, quality: int, size: tuple[int, int] | None = None) -> bytes:
    buffer = BytesIO()
    (image.resize(size) if size else image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _file(org, product: str, seller: str, *, photos: tuple[bytes, ...] = (), ward: int = 0):
    category_id = db.session.scalar(select(Category.id).where(Category.code == "counterfeit"))
    draft = ReportDraft(
        category_id=category_id,
        product=product,
        description="Nghi vấn vi phạm.",
        location_type=LocationType.PHYSICAL,
        province_code=org.team.office.province_code,
        ward_code=org.team.wards[ward].code,
        seller_name=seller,
        street_address="45 Hàng Bài",
    )
    pictures = [(data, process_photo(data, f"{n}.jpg")) for n, data in enumerate(photos)]
    submission = submit_report(draft, pictures, get_storage())
    db.session.commit()
    return submission.report.case


def _suggested(html: str) -> dict[int, str]:
    """Case id -> the reasons, from the page's "possible duplicates" block."""
    if 'data-testid="duplicates"' not in html:
        return {}
    block = html.split('data-testid="duplicates"', 1)[1].split("</ul>", 1)[0]
    rows = re.findall(
        r'<a href="/cases/(\d+)" class="case-link">.*?</a>\s*'
        r'<p class="dup-reasons" data-testid="dup-reasons">(.*?)</p>',
        block,
        re.S,
    )
    return {int(case_id): reasons for case_id, reasons in rows}


@pytest.fixture
def triage(org):
    """A new case to triage, and the open and finished cases around it."""
    shop = scene("shop-front")
    cases = {
        # The one the lead is triaging: seller typed without accents, one photo.
        "new": _file(org, "Sữa bột Similac 900g", "Tap hoa Binh Minh", photos=(jpeg(shop, 92),)),
        # The same shop, reported earlier with accents, now being investigated.
        "same_seller": drive(
            _file(org, "Bánh kẹo nhập lậu", "Tạp hóa Bình Minh"), org, S.INVESTIGATING
        ),
        # Another report of the same picture: recompressed and resized by a phone app.
        "same_photo": _file(
            org, "Mỹ phẩm Ohui", "Shop Thu Trang", photos=(jpeg(shop, 55, (400, 300)),)
        ),
        # Same ward, nothing else in common (and a different picture).
        "unrelated": _file(
            org, "Rượu vang Pháp", "Cửa hàng Đức Anh", photos=(jpeg(scene("cellar"), 90),)
        ),
        # The same shop, but those cases are finished.
        "closed": drive(_file(org, "Dầu ăn Neptune", "Tạp hóa Bình Minh"), org, S.CLOSED),
        "rejected": drive(_file(org, "Nước giặt Omo", "Tạp hoá Bình Minh"), org, S.REJECTED),
        # The same shop's name in another ward of the team: another shop.
        "other_ward": _file(org, "Bột ngọt Ajinomoto", "Tạp hóa Bình Minh", ward=1),
        # The same picture sent for a shop in another ward.
        "other_ward_photo": _file(
            org, "Giày Nike", "Shop Gia Huy", photos=(jpeg(shop, 70),), ward=1
        ),
    }
    for case in cases.values():
        assert case.team_id == org.team.id
    return cases


def test_similar_seller_and_similar_photo_are_suggested_with_their_reason(org, triage):
    suggestions = {s.case.id: s.reasons for s in suggest_duplicates(triage["new"])}
    assert set(suggestions) == {triage["same_seller"].id, triage["same_photo"].id}
    # In officers' words, never a score or a distance.
    assert suggestions[triage["same_seller"].id] == [SAME_SELLER]
    assert suggestions[triage["same_photo"].id] == [SAME_PHOTO]


def test_the_team_leads_triage_page_shows_the_suggestions(app, org, triage):
    client = app.test_client()
    login(client, org.lead)
    html = client.get(f"/cases/{triage['new'].id}").get_data(as_text=True)
    assert 'data-testid="duplicates"' in html
    shown = _suggested(html)
    assert set(shown) == {triage["same_seller"].id, triage["same_photo"].id}
    assert shown[triage["same_seller"].id] == SAME_SELLER
    assert shown[triage["same_photo"].id] == SAME_PHOTO
    assert "khoảng cách" not in html
    for key in ("unrelated", "closed", "rejected", "other_ward", "other_ward_photo"):
        assert f'href="/cases/{triage[key].id}"' not in html, key
    # The suggestion names the case it points at, so the lead can judge it.
    assert "Bánh kẹo nhập lậu" in html


def test_the_inspector_does_not_get_the_suggestions(app, org, triage):
    client = app.test_client()
    login(client, org.inspector)
    response = client.get(f"/cases/{triage['new'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="duplicates"' not in html
    assert f'href="/cases/{triage["same_seller"].id}"' not in html


def test_suggestions_are_for_triage_only(app, org, triage):
    """Once accepted, the case can no longer be merged: no suggestions block."""
    drive(triage["new"], org, S.ACCEPTED)
    client = app.test_client()
    login(client, org.lead)
    html = client.get(f"/cases/{triage['new'].id}").get_data(as_text=True)
    assert 'data-testid="duplicates"' not in html


def test_a_case_without_anything_in_common_gets_no_suggestion(org, triage):
    lonely = _file(org, "Máy lọc nước Kangaroo", "Điện máy Hoàng Phát")
    assert suggest_duplicates(lonely) == []
    db.session.expire_all()
    assert db.session.get(Case, lonely.id).status == "new"

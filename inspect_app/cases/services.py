"""Case-domain rules."""

from __future__ import annotations

from sqlalchemy import select

from inspect_app.cases.models import Category
from inspect_app.extensions import db

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

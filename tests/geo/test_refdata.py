"""Reference data: 34 provinces, 3,321 communes/wards, categories; idempotent loads."""

from __future__ import annotations

from sqlalchemy import func, select

from inspect_app.cases.models import Category
from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward
from inspect_app.refdata import load_reference_data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_counts_of_the_2025_two_tier_system(app_ctx):
    assert _count(Province) == 34
    assert _count(Ward) == 3321
    hanoi = db.session.get(Province, 1)
    assert hanoi.name == "Thành phố Hà Nội"
    assert db.session.get(Ward, 4).name == "Phường Ba Đình"


def test_categories_have_vietnamese_and_english_names(app_ctx):
    names = {c.name_vi: c.name_en for c in db.session.scalars(select(Category))}
    assert len(names) == 12
    assert names["Hàng giả"] == "Counterfeit goods"
    assert "Gian lận thương mại" in names and "Khác" in names


def test_loading_again_changes_nothing(app_ctx):
    summary = load_reference_data()
    assert "provinces 0 added, 0 updated, 0 retired" in summary
    assert "wards 0 added, 0 updated, 0 retired" in summary
    assert "categories 0 added" in summary


def test_a_newer_package_updates_names_and_retires_without_breaking_references(app_ctx):
    ward = db.session.get(Ward, 4)
    ward.name = "Old name"
    ghost = Ward(
        code=999999,
        name="Xã đã sáp nhập",
        division_type="xã",
        codename="x",
        province_code=1,
        active=True,
    )
    db.session.add(ghost)
    db.session.flush()
    summary = load_reference_data()
    assert "wards 0 added, 1 updated, 1 retired" in summary
    assert db.session.get(Ward, 4).name == "Phường Ba Đình"
    assert db.session.get(Ward, 999999).active is False
    db.session.rollback()


def test_admin_edited_category_names_survive_reload(app_ctx):
    category = db.session.scalar(select(Category).where(Category.code == "other"))
    category.name_en = "Something else"
    db.session.flush()
    load_reference_data()
    assert category.name_en == "Something else"
    db.session.rollback()

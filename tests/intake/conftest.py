"""Fixtures for intake tests: a routed organisation and a form builder."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app.cases.models import Case, Category, Report
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db


@pytest.fixture
def org(make_team):
    """Hà Nội office with a ward team (default), a second ward team and e-commerce."""
    ward_team = make_team("HN-DOI01", wards=5, is_default=True)
    other_team = make_team("HN-DOI02", wards=5)
    ecommerce = make_team("HN-TMDT", is_ecommerce=True, wards=0)
    return {
        "ward_team": ward_team,
        "other_team": other_team,
        "ecommerce": ecommerce,
        "ward": ward_team.wards[0].code,
        "other_ward": other_team.wards[0].code,
    }


@pytest.fixture
def category_id(app_ctx) -> int:
    return db.session.scalar(select(Category.id).where(Category.code == "counterfeit"))


@pytest.fixture
def tip(org, category_id):
    """Builds the multipart body of a valid anonymous tip; override any field."""

    def build(photos: list[tuple[bytes, str]] = (), **overrides) -> dict:
        data = {
            "category": str(category_id),
            "product": "Sữa bột Similac 900g",
            "brand": "Abbott",
            "description": "Hộp sữa có tem chống hàng giả bị mờ, giá rẻ bất thường.",
            "location_type": "physical",
            "province": "1",
            "ward": str(org["ward"]),
            "street_address": "12 Phố Huế",
            "seller_name": "Cửa hàng Minh Anh",
            "identity": "anonymous",
            "photos": [(BytesIO(content), name) for content, name in photos],
        }
        data.update(overrides)
        return data

    return build


def post_report(client, data, path: str = "/report"):
    return client.post(path, data=data, content_type="multipart/form-data")


def stored_counts() -> tuple[int, int, int]:
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return count(Report), count(Case), count(Photo)


def files_under(root: str) -> set[Path]:
    return {p for p in Path(root).rglob("*") if p.is_file()}

"""Loading and looking up administrative units."""

from __future__ import annotations

from dataclasses import dataclass

import vietnam_provinces as vp
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.geo.models import Province, Ward
from inspect_app.text import fold


@dataclass
class LoadResult:
    added: int = 0
    updated: int = 0
    retired: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.retired} retired"


def _sync(model, rows: dict[int, dict]) -> LoadResult:
    """Upsert `rows` (code → attributes) into `model`; mark absent codes inactive."""
    result = LoadResult()
    existing = {obj.code: obj for obj in db.session.scalars(select(model))}
    for code, attrs in rows.items():
        obj = existing.get(code)
        if obj is None:
            db.session.add(model(code=code, active=True, **attrs))
            result.added += 1
            continue
        changed = {k: v for k, v in attrs.items() if getattr(obj, k) != v}
        if changed or not obj.active:
            for key, value in changed.items():
                setattr(obj, key, value)
            obj.active = True
            result.updated += 1
    for code, obj in existing.items():
        if code not in rows and obj.active:
            obj.active = False
            result.retired += 1
    db.session.flush()
    return result


def load_administrative_units() -> tuple[LoadResult, LoadResult]:
    """Bring provinces and wards in line with the installed `vietnam-provinces` data.

    Idempotent: a second run changes nothing. Rows are keyed by official code, so
    references from teams and reports keep working when names change; codes that
    disappear are retired (inactive), never deleted.
    """
    provinces = {
        int(p.code): {
            "name": p.name,
            "division_type": str(p.division_type),
            "codename": p.codename,
        }
        for p in vp.Province.iter_all()
    }
    wards = {
        int(w.code): {
            "name": w.name,
            "division_type": str(w.division_type),
            "codename": w.codename,
            "province_code": int(w.province_code),
        }
        for w in vp.Ward.iter_all()
    }
    return _sync(Province, provinces), _sync(Ward, wards)


def data_version() -> str:
    return f"vietnam-provinces {vp.__version__} (data {vp.__data_version__})"


def active_provinces() -> list[Province]:
    return list(db.session.scalars(select(Province).where(Province.active).order_by(Province.name)))


def wards_of(province_code: int) -> list[Ward]:
    return list(
        db.session.scalars(
            select(Ward).where(Ward.province_code == province_code, Ward.active).order_by(Ward.name)
        )
    )


def search_wards(province_code: int, query: str = "") -> list[Ward]:
    """A province's active wards whose name contains `query`, accent- and
    case-insensitively ("ba dinh" finds "Ba Đình"; NFC or NFD input alike)."""
    wanted = fold(query)
    wards = wards_of(province_code)
    return [w for w in wards if wanted in fold(w.name)] if wanted else wards

"""Duplicate suggestions for triage: similar open cases, and photos that look alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inspect_app.cases.models import OPEN_STATUSES, Case, Report
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from inspect_app.text import fold

MAX_CANDIDATES = 300
PHASH_MAX_DISTANCE = 10  # of 64 bits: near-identical pictures, recompressed or resized
NAME_SIMILARITY = 0.5


@dataclass
class Suggestion:
    case: Case
    reasons: list[str] = field(default_factory=list)


def _tokens(text: str) -> set[str]:
    return {t for t in fold(text).split() if len(t) > 1}


def _similar(a: str, b: str) -> bool:
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return False
    return len(left & right) / len(left | right) >= NAME_SIMILARITY


def _hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def _candidates(case: Case) -> list[Case]:
    """Open cases of the same team in the same ward (or online, in the same team)."""
    query = select(Case).where(
        Case.id != case.id,
        Case.team_id == case.team_id,
        Case.status.in_([s.value for s in OPEN_STATUSES]),
    )
    query = query.where(
        Case.ward_code == case.ward_code if case.ward_code else Case.ward_code.is_(None)
    )
    query = query.options(selectinload(Case.reports))
    return list(db.session.scalars(query.order_by(Case.received_at.desc()).limit(MAX_CANDIDATES)))


IDENTICAL_PHOTO = 6  # bits of 64: the same picture, re-saved, recompressed or resized


def _matches(case: Case, other: Case, attr: str) -> bool:
    mine = {getattr(r, attr) for r in case.reports if getattr(r, attr)}
    theirs = {getattr(r, attr) for r in other.reports if getattr(r, attr)}
    return any(_similar(a, b) for a in mine for b in theirs)


def _reasons(case: Case, other: Case, photo_distance: int | None) -> list[str]:
    """Why `other` may be the same matter, in officers' words ("ảnh giống hệt",
    "cùng người bán, cùng phường") — never a score or a distance."""
    reasons = []
    if photo_distance is not None:
        reasons.append(
            str(_l("identical photo"))
            if photo_distance <= IDENTICAL_PHOTO
            else str(_l("very similar photo"))
        )
    if _matches(case, other, "seller_name"):
        reasons.append(
            str(_l("same seller, same ward")) if case.ward_code else str(_l("same seller"))
        )
    if _matches(case, other, "product"):
        reasons.append(str(_l("same product")))
    return reasons


def _photo_matches(case: Case, candidates: list[Case]) -> dict[int, int]:
    """Candidate case id -> smallest perceptual-hash distance to one of our photos."""
    ours = [p.phash for p in case.photos]
    if not ours or not candidates:
        return {}
    rows = db.session.execute(
        select(Report.case_id, Photo.phash)
        .join(Photo, Photo.report_id == Report.id)
        .where(Report.case_id.in_([c.id for c in candidates]))
    )
    best: dict[int, int] = {}
    for case_id, phash in rows:
        distance = min(_hamming(phash, mine) for mine in ours)
        if distance <= PHASH_MAX_DISTANCE:
            best[case_id] = min(distance, best.get(case_id, 64))
    return best


def suggest_duplicates(case: Case, limit: int = 5) -> list[Suggestion]:
    """Open cases of the team in the same ward (or online) that share a photo, the
    seller or the product; the most reasons first, then the closest photo."""
    candidates = _candidates(case)
    photo_distance = _photo_matches(case, candidates)
    found = []
    for other in candidates:
        distance = photo_distance.get(other.id)
        reasons = _reasons(case, other, distance)
        if reasons:
            closeness = -(distance if distance is not None else 64)
            found.append((len(reasons), closeness, other, reasons))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [Suggestion(case=other, reasons=reasons) for _n, _d, other, reasons in found[:limit]]

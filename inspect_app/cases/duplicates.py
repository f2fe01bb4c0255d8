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


def _name_reasons(case: Case, other: Case) -> list[str]:
    reasons = []
    for attr, label in (("seller_name", _l("similar seller")), ("product", _l("similar product"))):
        mine = {getattr(r, attr) for r in case.reports if getattr(r, attr)}
        theirs = {getattr(r, attr) for r in other.reports if getattr(r, attr)}
        if any(_similar(a, b) for a in mine for b in theirs):
            reasons.append(str(label))
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
    candidates = _candidates(case)
    photo_distance = _photo_matches(case, candidates)
    suggestions = []
    for other in candidates:
        reasons = [str(_l("same commune/ward"))] if case.ward_code else []
        reasons += _name_reasons(case, other)
        if other.id in photo_distance:
            reasons.append(
                str(_l("a photo looks alike (distance %(d)d)", d=photo_distance[other.id]))
            )
        if len(reasons) > (1 if case.ward_code else 0):
            suggestions.append(Suggestion(case=other, reasons=reasons))
    suggestions.sort(key=lambda s: len(s.reasons), reverse=True)
    return suggestions[:limit]

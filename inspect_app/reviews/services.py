"""The rules of audit reviews: drawing the sample, recording verdicts, findings.

Functions change objects and flush; the caller commits once.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Permission
from inspect_app.audit.services import record_event
from inspect_app.cases import transitions
from inspect_app.cases.access import case_scope
from inspect_app.cases.deadlines import start_of_local_day
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.bounds import DATE_LIMITS, date_in_range
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.reviews.models import AuditReview, AuditReviewItem, Decision, Verdict
from inspect_app.text import normalize_text

MAX_SAMPLE = 200
MAX_SEED = 2**63 - 1  # the largest value of a signed BIGINT
TITLE_MAX = 200
NOTE_MAX = 4000
SAMPLED_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)


class ReviewError(Exception):
    """A refused request; `str()` is the translated message for the user."""

    status_code = 400


class ReviewNotAllowed(ReviewError):
    status_code = 403


class AlreadyReviewed(ReviewError):
    status_code = 409


# Access


def audit_province(user: User) -> int | None:
    """The province whose cases `user` audits, or None if they audit none."""
    office = user.office_of_scope
    if not user.can(Permission.AUDIT_CASES) or office is None:
        return None
    return office.province_code


def can_audit(user: User, review: AuditReview) -> bool:
    province = audit_province(user)
    return province is not None and province == review.province_code


def review_for(user: User, review_id: int) -> AuditReview | None:
    """The review if `user` may audit it; None hides other provinces' reviews."""
    review = db.session.get(AuditReview, review_id)
    return review if review is not None and can_audit(user, review) else None


def item_of(review: AuditReview, item_id: int) -> AuditReviewItem | None:
    item = db.session.get(AuditReviewItem, item_id)
    return item if item is not None and item.review_id == review.id else None


# Drawing the sample


def resolved_between(period_start: date, period_end: date) -> tuple[datetime, datetime]:
    """The instants bounding the Vietnamese days period_start .. period_end: [since, until)."""
    since = start_of_local_day(period_start)
    until = start_of_local_day(period_end + timedelta(days=1))
    return since, until


def population_ids(user: User, period_start: date, period_end: date) -> list[int]:
    """Ids of the resolved or closed cases in `user`'s reach resolved in the period.

    Ordered by id: the sample is drawn from this list, so its order is part of what
    makes a seed reproduce a sample.
    """
    since, until = resolved_between(period_start, period_end)
    query = (
        select(Case.id)
        .where(
            case_scope(user),
            Case.status.in_(SAMPLED_STATUSES),
            Case.resolved_at >= since,
            Case.resolved_at < until,
        )
        .order_by(Case.id)
    )
    return list(db.session.scalars(query))


def _check_request(
    title: str, period_start: date, period_end: date, size: int, seed: int | None
) -> str:
    """Validate a sample request; returns the normalised title."""
    text = normalize_text(title)
    if not text:
        raise ReviewError(_l("Give the review a title."))
    if len(text) > TITLE_MAX:
        raise ReviewError(_l("Text is limited to %(n)d characters.", n=TITLE_MAX))
    if not (date_in_range(period_start) and date_in_range(period_end)):
        raise ReviewError(_l("The period must lie between %(min)s and %(max)s.", **DATE_LIMITS))
    if period_end < period_start:
        raise ReviewError(_l("The end of the period is before its start."))
    if not 1 <= size <= MAX_SAMPLE:
        raise ReviewError(_l("The sample size must be between 1 and %(max)d.", max=MAX_SAMPLE))
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ReviewError(_l("The seed must be a whole number from 0 to %(max)d.", max=MAX_SEED))
    return text


def _require_province(user: User) -> int:
    province = audit_province(user)
    if province is None:
        raise ReviewNotAllowed(_l("You cannot run audit reviews."))
    return province


def draw_sample(
    user: User,
    *,
    title: str,
    period_start: date,
    period_end: date,
    size: int,
    seed: int | None = None,
    now: datetime | None = None,
) -> AuditReview:
    """Draw `size` cases at random from those resolved in the period.

    The seed is stored: the same seed over the same population draws the same
    sample, so anyone can check the draw was not hand-picked.
    """
    province = _require_province(user)
    text = _check_request(title, period_start, period_end, size, seed)
    population = population_ids(user, period_start, period_end)
    if not population:
        raise ReviewError(_l("No case of your province was resolved in this period."))
    if seed is None:
        seed = secrets.randbits(63)
    # A seeded PRNG on purpose: the draw must be reproducible, not secret.
    sample = random.Random(seed).sample(population, min(size, len(population)))  # noqa: S311
    now = now or utcnow()
    review = AuditReview(
        title=text,
        province_code=province,
        period_start=period_start,
        period_end=period_end,
        requested_size=size,
        seed=seed,
        created_by=user,
        created_at=now,
    )
    review.items = [
        AuditReviewItem(case_id=case_id, position=position, verdict=Verdict.PENDING.value)
        for position, case_id in enumerate(sample, start=1)
    ]
    db.session.add(review)
    db.session.flush()
    data = {
        "review": review.id,
        "seed": seed,
        "size": size,
        "sampled": len(sample),
        "population": len(population),
    }
    record_event(actor=user, action="review.create", data=data, at=now)
    return review


# Reviewing


def _decision(value: Decision | str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        raise ReviewError(_l("Choose a verdict.")) from None


def _note(value: str | None, decision: Decision) -> str:
    text = normalize_text(value)
    if not text and decision is Decision.REOPEN:
        raise ReviewError(_l("Give the reason for reopening."))
    if not text and decision is Decision.NOTE:
        raise ReviewError(_l("Write the note."))
    if len(text) > NOTE_MAX:
        raise ReviewError(_l("Text is limited to %(n)d characters.", n=NOTE_MAX))
    return text


def _lock(review: AuditReview, item: AuditReviewItem) -> None:
    """Reload both rows under a lock (PostgreSQL; SQLite writes are serialised at
    BEGIN): two reviewers can neither both decide one item nor both miss that the
    review became complete."""
    db.session.refresh(review, with_for_update=True)
    db.session.refresh(item, with_for_update=True)


def _has_pending(review: AuditReview) -> bool:
    query = select(AuditReviewItem.id).where(
        AuditReviewItem.review_id == review.id,
        AuditReviewItem.verdict == Verdict.PENDING.value,
    )
    return db.session.scalar(query.limit(1)) is not None


def review_item(
    user: User,
    item: AuditReviewItem,
    *,
    verdict: Decision | str,
    note: str | None = "",
    now: datetime | None = None,
) -> None:
    """Record the verdict on one sampled case; "reopen" sends the case back to
    investigating with the note as the reason. A verdict is final."""
    review = item.review
    if not can_audit(user, review):
        raise ReviewNotAllowed(_l("You cannot run audit reviews."))
    _lock(review, item)
    if not item.is_pending:
        raise AlreadyReviewed(_l("This case has already been reviewed; its verdict is final."))
    decision = _decision(verdict)
    text = _note(note, decision)
    now = now or utcnow()
    if decision is Decision.REOPEN:
        transitions.reopen_case(user, item.case, reason=text, by_audit=True, now=now)
    item.verdict, item.note = decision.verdict.value, text
    item.reviewed_by, item.reviewed_at = user, now
    db.session.flush()
    if not _has_pending(review):
        review.completed_at = now
    data = {"review": review.id, "item": item.id, "verdict": item.verdict, "note": text}
    record_event(actor=user, action="review.item", case=item.case, data=data, at=now)


# Reading


@dataclass(frozen=True)
class ReviewProgress:
    review: AuditReview
    reviewed: int
    total: int


def list_reviews(user: User) -> list[ReviewProgress]:
    """The reviews of `user`'s province, newest first, with how far each has got."""
    province = audit_province(user)
    if province is None:
        return []
    reviewed = func.count(sql_case((AuditReviewItem.verdict != Verdict.PENDING.value, 1)))
    query = (
        select(AuditReview, reviewed, func.count(AuditReviewItem.id))
        .outerjoin(AuditReviewItem, AuditReviewItem.review_id == AuditReview.id)
        .where(AuditReview.province_code == province)
        .group_by(AuditReview.id)
        .order_by(AuditReview.created_at.desc(), AuditReview.id.desc())
    )
    return [ReviewProgress(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class Findings:
    counts: dict[Verdict, int]
    total: int
    flagged: list[AuditReviewItem]  # reopened or noted, in sample order

    @property
    def reviewed(self) -> int:
        return self.total - self.counts[Verdict.PENDING]


def review_findings(review: AuditReview) -> Findings:
    counts = Counter(item.verdict_enum for item in review.items)
    flagged = [
        item for item in review.items if item.verdict_enum in (Verdict.REOPENED, Verdict.NOTED)
    ]
    return Findings(
        counts={verdict: counts[verdict] for verdict in Verdict},
        total=len(review.items),
        flagged=flagged,
    )

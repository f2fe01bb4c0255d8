"""The retention schedule: which reports' personal data is due for destruction, and
destroying it.

After a case has ended (closed, not accepted, transferred, or merged into another
that ended) for the months its reports' kind allows, the reporters' sealed
identities, identifying photo facts and original photos are destroyed by deleting
their data keys (crypto-shredding; the sweep later removes the undecryptable
files). The case's facts — what, where, the outcome — stay for statistics. A legal
hold on a case stops all of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from inspect_app.accounts.models import User
from inspect_app.audit.services import record_event
from inspect_app.cases.models import Case, Report, ReportKind
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from inspect_app.notify.services import forget_reporter_address
from inspect_app.retention.models import DEFAULT_MONTHS, LegalHold, RetentionRule
from inspect_app.sealing.models import SealedKey
from inspect_app.sealing.services import shred_report
from inspect_app.text import normalize_text

ENDED_STATUSES = (
    CaseStatus.CLOSED,
    CaseStatus.REJECTED,
    CaseStatus.TRANSFERRED,
    CaseStatus.MERGED,
)
BATCH = 200


class RetentionError(ValueError):
    """A request about retention that breaks a rule; the message is user-facing."""


def retention_months() -> dict[ReportKind, int]:
    """Months of retention per report kind: the rules, over the defaults."""
    months = dict(DEFAULT_MONTHS)
    for rule in db.session.scalars(select(RetentionRule)):
        months[ReportKind(rule.kind)] = rule.months
    return months


def load_default_rules() -> int:
    """Add the default rule of every kind that has none (never overwrite an edit)."""
    existing = set(db.session.scalars(select(RetentionRule.kind)))
    missing = [kind for kind in ReportKind if kind.value not in existing]
    db.session.add_all(RetentionRule(kind=k.value, months=DEFAULT_MONTHS[k]) for k in missing)
    db.session.flush()
    return len(missing)


def set_rule(kind: ReportKind, months: int, *, actor: User | None) -> bool:
    """Change how long a kind keeps personal data; audited. True when it changed."""
    if not 1 <= months <= 1200:
        raise RetentionError(_l("Choose between 1 and 1200 months."))
    rule = db.session.scalar(select(RetentionRule).where(RetentionRule.kind == kind.value))
    before = rule.months if rule else DEFAULT_MONTHS[kind]
    if rule is None:
        rule = RetentionRule(kind=kind.value, months=before)
        db.session.add(rule)
    if before == months:
        db.session.flush()
        return False
    rule.months, rule.updated_at = months, utcnow()
    rule.updated_by_id = actor.id if actor else None
    db.session.flush()
    record_event(
        actor=actor,
        action="retention.rule_changed",
        data={"kind": kind.value, "before": before, "after": months},
    )
    return True


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (day clamped to the month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    days = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _holds_personal_data():
    """SQL on Report: something of the reporter is still there to destroy."""
    return or_(
        Report.identity_sealed.is_not(None),
        Report.legacy_identity_enc.is_not(None),
        Report.progress_email_enc.is_not(None),
        exists().where(SealedKey.report_id == Report.id),
        exists().where(
            Photo.report_id == Report.id,
            or_(Photo.facts_sealed.is_not(None), Photo.original_key_sealed.is_not(None)),
        ),
    )


def _due_query(kind: ReportKind, cutoff: datetime):
    ended_at = func.coalesce(Case.closed_at, Case.last_activity_at)
    return (
        select(Report)
        .join(Case, Case.id == Report.case_id)
        .where(
            Report.kind == kind.value,
            Case.status.in_([s.value for s in ENDED_STATUSES]),
            ended_at <= cutoff,
            ~exists().where(LegalHold.case_id == Case.id),
            _holds_personal_data(),
        )
        .order_by(Report.id)
    )


def due_reports(now: datetime, limit: int = BATCH) -> Iterator[list[Report]]:
    """Batches of reports whose personal data is due for destruction at `now`."""
    for kind, months in retention_months().items():
        query = _due_query(kind, months_before(now, months))
        last_id = 0
        while batch := list(db.session.scalars(query.where(Report.id > last_id).limit(limit))):
            yield batch
            last_id = batch[-1].id


@dataclass
class RetentionResult:
    reports: int = 0
    cases: set[int] = field(default_factory=set)
    destroyed: dict[str, int] = field(default_factory=dict)

    def add(self, what: dict[str, int]) -> None:
        for name, count in what.items():
            self.destroyed[name] = self.destroyed.get(name, 0) + count


def destroy_batch(reports: list[Report], result: RetentionResult, now: datetime) -> None:
    """Shred the reports' personal data; one audit event per case says what went."""
    per_case: dict[int, dict] = {}
    for report in reports:
        what = shred_report(report, now=now)
        what["progress_emails"] = forget_reporter_address(report.id)
        result.reports += 1
        result.add(what)
        entry = per_case.setdefault(report.case_id, {"reports": []})
        entry["reports"].append({"report": report.id, **what})
    for case_id, data in per_case.items():
        result.cases.add(case_id)
        record_event(
            actor=None,
            action="retention.destroyed",
            case=db.session.get(Case, case_id),
            data=data,
            at=now,
        )


# --- legal holds ------------------------------------------------------------------------


def legal_hold_of(case: Case) -> LegalHold | None:
    return db.session.get(LegalHold, case.id)


def place_hold(user: User, case: Case, reason: str, *, now: datetime | None = None) -> None:
    """Keep a case's personal data whatever the retention rule says; audited."""
    text = normalize_text(reason)
    if not text:
        raise RetentionError(_l("Say why the data must be kept."))
    if legal_hold_of(case) is not None:
        raise RetentionError(_l("This case is already on legal hold."))
    now = now or utcnow()
    db.session.add(
        LegalHold(case_id=case.id, reason=text[:1000], placed_by_id=user.id, placed_at=now)
    )
    db.session.flush()
    record_event(actor=user, action="case.legal_hold", case=case, data={"reason": text}, at=now)


def release_hold(user: User, case: Case, *, now: datetime | None = None) -> None:
    hold = legal_hold_of(case)
    if hold is None:
        raise RetentionError(_l("This case is not on legal hold."))
    db.session.delete(hold)
    db.session.flush()
    record_event(actor=user, action="case.legal_hold_released", case=case, data={}, at=now)


def retention_pass(now: datetime, *, dry_run: bool = False) -> RetentionResult:
    """Destroy (or, dry run, list) everything due at `now`; the caller commits."""
    result = RetentionResult()
    for batch in due_reports(now):
        if dry_run:
            result.reports += len(batch)
            result.cases.update(report.case_id for report in batch)
            continue
        destroy_batch(batch, result, now)
    return result

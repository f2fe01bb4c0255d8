"""`flask seed-bulk`: the spread of the data, the audit chain, idempotence, resuming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.accounts.models import User
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.services import verify_chain
from inspect_app.bulkseed.generator import (
    HEAVY_EVERY,
    case_team,
    plan_case,
    province_weights,
)
from inspect_app.bulkseed.loader import load_progress, seed_bulk
from inspect_app.bulkseed.rows import (
    CASE_COLUMNS,
    ENVELOPE_COLUMNS,
    NOTE_COLUMNS,
    PHOTO_COLUMNS,
    REPORT_COLUMNS,
    SEALED_KEY_COLUMNS,
    UPDATE_COLUMNS,
)
from inspect_app.cases.deadlines import LOCAL_TZ, recompute_deadlines
from inspect_app.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseNote,
    PublicUpdate,
    Report,
    ReportKind,
    ReportSource,
)
from inspect_app.cases.workflow import CaseStatus
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from inspect_app.geo.models import Province
from inspect_app.sealing.models import KeyEnvelope, SealedKey

SEED = 42
ANCHOR = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# --- the generator alone (no database) -------------------------------------------


def test_generator_reaches_every_province_by_population():
    codes, _ = province_weights()
    seen = [case_team(SEED, index)[0] for index in range(5_000)]
    assert set(seen) == set(codes) and len(codes) == 34
    # Hồ Chí Minh City (the most populous) gets far more cases than Lai Châu.
    assert seen.count(79) > 10 * seen.count(12)


def test_plans_are_deterministic_and_consistent():
    assert plan_case(SEED, 1234, ANCHOR) == plan_case(SEED, 1234, ANCHOR)
    assert plan_case(SEED, 1234, ANCHOR) != plan_case(SEED + 1, 1234, ANCHOR)
    for index in range(2_000):
        plan = plan_case(SEED, index, ANCHOR)
        assert 1 <= len(plan.reports) <= 5
        assert plan.events[0].action == "open" and plan.events[0].at == plan.received_at
        times = [event.at for event in plan.events]
        assert times == sorted(times) and times[-1] < ANCHOR
        assert all(t.microsecond == 0 and t.tzinfo is UTC for t in times)
        if plan.merge_target is not None:
            assert plan.merge_target < index
            assert case_team(SEED, plan.merge_target) == (plan.province_code, plan.team_slot)


def test_heavy_cases_have_five_reports_and_about_fifty_events():
    plan = plan_case(SEED, HEAVY_EVERY, ANCHOR)
    assert plan.heavy and len(plan.reports) == 5 and plan.status is CaseStatus.INVESTIGATING
    assert 47 <= len(plan.events) <= 52


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        (Case, CASE_COLUMNS),
        (Report, REPORT_COLUMNS),
        (Photo, PHOTO_COLUMNS),
        (CaseNote, NOTE_COLUMNS),
        (PublicUpdate, UPDATE_COLUMNS),
        (SealedKey, SEALED_KEY_COLUMNS),
        (KeyEnvelope, ENVELOPE_COLUMNS),
    ],
)
def test_rows_give_every_column(model, columns):
    """COPY applies no model defaults: every column must be given explicitly."""
    assert sorted(columns) == sorted(model.__table__.columns.keys())


# --- seeding the database ---------------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seeding_spreads_cases_and_keeps_the_chain(app_ctx):
    now = datetime.now(UTC)
    assert seed_bulk(300, seed=SEED, batch_size=128, now=now) == 300
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert statuses == {s.value for s in CaseStatus}
    assert set(db.session.scalars(select(Report.kind).distinct())) == {k.value for k in ReportKind}
    sources = set(db.session.scalars(select(Report.source).distinct()))
    assert sources == {s.value for s in ReportSource}
    per_case = select(func.count()).select_from(Report).group_by(Report.case_id).subquery()
    low, high = db.session.execute(select(func.min(per_case.c[0]), func.max(per_case.c[0]))).one()
    assert low >= 1 and high <= 5 and _count(Report) > 300
    assert _count(Photo) and _count(CaseNote) and _count(PublicUpdate) >= 300
    assert 6 * 300 < _count(AuditEvent) < 14 * 300
    assert verify_chain().ok


def test_open_cases_have_deadlines_past_and_future(app_ctx):
    seed_bulk(300, seed=SEED, now=datetime.now(UTC))
    today = datetime.now(LOCAL_TZ).date()
    open_cases = select(Case).where(Case.status.in_([s.value for s in OPEN_STATUSES]))
    dues = [case.next_due for case in db.session.scalars(open_cases)]
    assert dues and None not in dues
    assert min(dues) < today < max(dues)


def test_deadlines_are_those_the_workflow_computes(app_ctx):
    seed_bulk(120, seed=SEED, now=ANCHOR)
    for case in db.session.scalars(select(Case).order_by(Case.id)):
        stored = (case.accept_due, case.notify_due, case.resolve_due, case.next_due)
        recompute_deadlines(case, ANCHOR)
        assert (case.accept_due, case.notify_due, case.resolve_due, case.next_due) == stored
    db.session.rollback()


def test_merged_cases_point_at_earlier_cases_of_their_team(app_ctx):
    seed_bulk(300, seed=SEED, now=ANCHOR)
    merged = db.session.scalars(select(Case).where(Case.status == "merged")).all()
    assert merged
    for case in merged:
        assert case.merged_into_id < case.id and case.merged_into.team_id == case.team_id


def test_rerun_adds_nothing_and_a_bigger_run_only_the_difference(app_ctx):
    assert seed_bulk(150, seed=SEED, batch_size=64, now=ANCHOR) == 150
    reports, events = _count(Report), _count(AuditEvent)
    assert seed_bulk(150, seed=SEED, batch_size=64) == 0
    assert (_count(Case), _count(Report), _count(AuditEvent)) == (150, reports, events)
    assert seed_bulk(200, seed=SEED, batch_size=64) == 50
    assert _count(Case) == 200 and load_progress().done == 200
    assert verify_chain().ok


def test_resumed_run_equals_a_single_run(app_ctx):
    """Ids and content depend on the case index only, not on how the run was cut."""
    seed_bulk(90, seed=SEED, batch_size=40, now=ANCHOR)
    seed_bulk(130, seed=SEED, batch_size=40)
    first = db.session.execute(select(Case.id, Case.status, Case.title).order_by(Case.id)).all()
    assert len(first) == 130
    plan = plan_case(SEED, 100, ANCHOR)
    case = db.session.get(Case, load_progress().case_id(100))
    assert case.status == plan.status.value and case.received_at == plan.received_at


def test_other_seed_is_refused(app_ctx):
    seed_bulk(10, seed=SEED, now=ANCHOR)
    with pytest.raises(ValueError, match="--seed 42"):
        seed_bulk(20, seed=7)


def test_every_province_has_an_office_with_three_teams(app_ctx):
    from inspect_app.accounts.models import Office, Team

    seed_bulk(5, seed=SEED, now=ANCHOR - timedelta(days=1))
    assert _count(Office) == _count(Province) == 34
    assert _count(Team) == 3 * 34


def test_a_batch_built_while_someone_else_wrote_is_refused(app_ctx):
    """Batches are built ahead of loading (on PostgreSQL in a child process); an audit
    event appended between two batches moves the chain's head, so the next batch is
    refused whole, and a re-run resumes."""
    from inspect_app.audit.services import record_event
    from inspect_app.bulkseed.loader import ConcurrentWriter

    def someone_else_writes(_count: int) -> None:
        record_event(actor=None, action="test.concurrent_write")
        db.session.commit()

    with pytest.raises(ConcurrentWriter):
        seed_bulk(8, seed=SEED, batch_size=4, now=ANCHOR, on_batch=someone_else_writes)
    db.session.rollback()
    assert _count(Case) == 4 and load_progress().done == 4
    assert seed_bulk(8, seed=SEED, batch_size=4) == 4
    assert _count(Case) == 8 and verify_chain().ok


def test_command_seeds_then_has_nothing_to_add(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-bulk", "--cases", "12", "--batch", "5"])
    assert first.exit_code == 0, first.output
    assert "Added 12 cases (12 in all)" in first.output
    again = runner.invoke(args=["seed-bulk", "--cases", "12"])
    assert again.exit_code == 0 and "nothing to add" in again.output
    other = runner.invoke(args=["seed-bulk", "--cases", "20", "--seed", "7"])
    assert other.exit_code != 0 and "--seed 42" in other.output


def test_bulk_identities_are_sealed_to_the_lead_and_the_director(app_ctx):
    """Named bulk reports carry sealed identities like real ones (one shared key pair
    for all bulk officers, so seeding stays fast); nothing is in the clear."""
    seed_bulk(60, seed=SEED, now=ANCHOR)
    named = db.session.scalars(select(Report).where(Report.reporter_named)).all()
    assert named and all(r.identity_sealed for r in named)
    assert "Nguyễn Văn Bình" not in " ".join(r.identity_sealed for r in named)
    report = named[0]
    [sealed] = report.sealed_keys
    holders = {e.user_id for e in sealed.envelopes}
    lead_and_director = {
        u.id
        for u in db.session.scalars(
            select(User).where(User.team_id == report.case.team_id, User.role == "team_lead")
        )
    } | {
        u.id
        for u in db.session.scalars(
            select(User).where(
                User.role == "director", User.office_id == report.case.team.office_id
            )
        )
    }
    assert lead_and_director <= holders
    photos = db.session.scalars(select(Photo)).all()
    assert photos and all(p.file_id and p.view_key_enc for p in photos)

"""The audit log: appends chain, tampering is detected, the database refuses edits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta, timezone
from threading import Barrier
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from inspect_app.audit.models import GENESIS_HASH, AuditEvent, AuditHead, audit_purge_permit
from inspect_app.audit.purge import allow_audit_purge, purge_audit_log
from inspect_app.audit.services import (
    AuditChainError,
    VerifyResult,
    case_timeline,
    event_hash,
    record_event,
    verify_chain,
)
from inspect_app.cases.models import Case, Category, LocationType, ReportKind, ReportSource
from inspect_app.dbsetup import write_intent
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, submit_report

events = AuditEvent.__table__


@pytest.fixture(autouse=True)
def _purge_audit_rows(app):
    """Until conftest's wipe purges the audit log itself (its DELETE is refused)."""
    yield
    with app.app_context():
        purge_audit_log()
        db.session.commit()


@pytest.fixture
def category_id(app_ctx) -> int:
    return db.session.scalar(select(Category.id).order_by(Category.id).limit(1))


@pytest.fixture
def make_case(category_id):
    def make(product: str = "Sữa bột Similac 900g") -> Case:
        draft = ReportDraft(
            category_id=category_id,
            product=product,
            description="Tem chống hàng giả bị mờ.",
            location_type=LocationType.PHYSICAL,
            province_code=1,
            ward_code=4,
        )
        case = submit_report(draft, [], storage=get_storage()).report.case
        db.session.commit()
        return case

    return make


def append(n: int, **kwargs) -> list[AuditEvent]:
    appended = [record_event(actor=None, action=f"test.event_{i}", **kwargs) for i in range(n)]
    db.session.commit()
    return appended


def tamper(statement) -> None:
    """Change the log behind the service's back, as someone with database access could."""
    with allow_audit_purge():
        db.session.execute(statement)
    db.session.commit()


def verify_cli(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output.strip()


# --- appending -------------------------------------------------------------------


def head_now() -> tuple[int, str]:
    head = db.session.get(AuditHead, 1, populate_existing=True)
    return (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)


def test_the_first_event_links_to_genesis(app_ctx):
    (event,) = append(1)
    assert (event.seq, event.prev_hash) == (1, GENESIS_HASH)
    assert head_now() == (1, event.hash)


def test_appends_chain_and_verify(make_user, make_case):
    user = make_user()
    case = make_case()  # opening a case may itself be audited
    start_seq, start_hash = head_now()
    record_event(actor=user, action="case.accept", case=case, data={"note": "Nhận vụ việc"})
    record_event(actor=None, action="system.deadline_warning", case=case)
    record_event(actor=user, action="user.login", data={"ip": "10.0.0.1"})
    record_event(actor=None, action="system.nightly")
    db.session.commit()

    query = select(AuditEvent).where(AuditEvent.seq > start_seq).order_by(AuditEvent.seq)
    rows = db.session.scalars(query).all()
    assert [e.seq - start_seq for e in rows] == [1, 2, 3, 4]
    assert [e.prev_hash for e in rows] == [start_hash] + [e.hash for e in rows[:-1]]
    assert all(e.hash == event_hash(e) for e in rows)
    assert [(e.actor_id, e.actor_label) for e in rows] == [
        (user.id, user.email),
        (None, "system"),
        (user.id, user.email),
        (None, "system"),
    ]
    assert [e.case_id for e in rows] == [case.id, case.id, None, None]
    assert rows[0].data == {"note": "Nhận vụ việc"}
    assert rows[0].data_json == '{"note":"Nhận vụ việc"}'
    assert head_now() == (start_seq + 4, rows[-1].hash)
    assert verify_chain() == VerifyResult(ok=True, checked=start_seq + 4)


def test_canonical_data_and_utc_time(app_ctx):
    hanoi = timezone(timedelta(hours=7))
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=hanoi)
    record_event(
        actor=None, action="test.data", at=at, data={"b": [1, 2], "a": datetime(2026, 1, 2)}
    )
    db.session.commit()
    db.session.expire_all()

    event = db.session.scalar(select(AuditEvent))
    assert event.occurred_at == at and event.occurred_at.tzinfo == UTC
    assert event.data_json == '{"a":"2026-01-02 00:00:00","b":[1,2]}'
    assert event.hash == event_hash(event)


def test_an_unflushed_case_gets_its_id(category_id):
    case = Case(
        kind=ReportKind.TIP.value,
        source=ReportSource.CITIZEN.value,
        category_id=category_id,
        province_code=1,
        title="Chưa lưu",
    )
    db.session.add(case)
    event = record_event(actor=None, action="case.opened", case=case)
    assert case.id is not None and event.case_id == case.id


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"action": "Case Accept"}, ValueError),
        ({"action": "case.accept|x"}, ValueError),
        ({"action": "case." + "x" * 60}, ValueError),
        ({"action": "case.accept", "at": datetime(2026, 1, 1)}, ValueError),
    ],
)
def test_bad_input_is_refused(app_ctx, kwargs, error):
    with pytest.raises(error):
        record_event(actor=None, **kwargs)


def test_case_timeline_holds_only_that_case_in_order(make_case):
    first, second = make_case("Rượu vang"), make_case("Nước mắm")
    record_event(actor=None, action="case.accept", case=first)
    record_event(actor=None, action="case.accept", case=second)
    record_event(actor=None, action="user.login")
    record_event(actor=None, action="case.assign", case=first)
    record_event(actor=None, action="case.resolve", case=first)
    db.session.commit()

    timeline = case_timeline(first.id)
    direct = select(AuditEvent.seq).where(AuditEvent.case_id == first.id)
    assert [e.seq for e in timeline] == sorted(db.session.scalars(direct))
    assert [e.action for e in timeline][-3:] == ["case.accept", "case.assign", "case.resolve"]
    assert all(e.case_id == second.id for e in case_timeline(second.id))
    assert [e.action for e in case_timeline(second.id)][-1] == "case.accept"
    assert case_timeline(second.id + 1000) == []


# --- verification ----------------------------------------------------------------


def test_empty_log_is_intact(app, app_ctx):
    assert verify_chain() == VerifyResult(ok=True, checked=0)
    assert verify_cli(app) == (0, "audit chain intact: 0 events")


@pytest.mark.parametrize(
    "change",
    [
        {"data_json": '{"amount":1}'},
        {"action": "case.reject"},
        {"occurred_at": datetime(2020, 1, 1, tzinfo=UTC)},
        {"actor_label": "someone@example.vn"},
        {"prev_hash": "f" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_altered_event_breaks_the_chain_at_its_seq(app, app_ctx, change):
    append(5, data={"amount": 2})
    tamper(update(events).where(events.c.seq == 3).values(**change))

    result = verify_chain()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 3, 2)
    expected = "prev_hash" if "prev_hash" in change else "hash mismatch"
    assert expected in result.reason
    code, output = verify_cli(app)
    assert code == 1 and output.startswith("audit chain BROKEN at event seq 3: ")


def test_a_rehashed_alteration_breaks_the_link_to_the_next_event(app_ctx):
    append(4)
    row = db.session.execute(select(events).where(events.c.seq == 2)).one()
    forged = event_hash(SimpleNamespace(**{**row._asdict(), "action": "case.reject"}))
    tamper(update(events).where(events.c.seq == 2).values(action="case.reject", hash=forged))

    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_raw_sql_alteration_is_detected(app, app_ctx):
    append(3)
    tamper(text("""UPDATE audit_events SET data_json = '{"x": 1}' WHERE seq = 2"""))
    assert verify_cli(app) == (1, "audit chain BROKEN at event seq 2: hash mismatch")


def test_a_deleted_middle_event_is_a_gap(app, app_ctx):
    append(5)
    tamper(delete(events).where(events.c.seq == 3))

    result = verify_chain()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 4, 2)
    assert "seq 3" in result.reason
    code, output = verify_cli(app)
    assert code == 1 and output.startswith("audit chain BROKEN at event seq 4: ")


def test_a_deleted_first_event_is_detected(app_ctx):
    append(3)
    tamper(delete(events).where(events.c.seq == 1))
    assert verify_chain().first_broken_seq == 2


def test_deleted_newest_events_are_detected_by_the_head(app, app_ctx):
    append(5)
    tamper(delete(events).where(events.c.seq >= 4))

    result = verify_chain()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 4, 3)
    assert "newest events missing" in result.reason
    assert verify_cli(app)[0] == 1


def test_a_head_with_a_wrong_hash_is_detected(app_ctx):
    append(3)
    tamper(update(AuditHead.__table__).values(last_hash="0" * 64))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_a_head_moved_back_is_detected(app_ctx):
    appended = append(4)
    tamper(update(AuditHead.__table__).values(last_seq=2, last_hash=appended[1].hash))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "beyond the head" in result.reason


def test_a_missing_head_is_detected_and_blocks_appends(app, app_ctx):
    append(2)
    tamper(delete(AuditHead.__table__))

    assert verify_chain() == VerifyResult(False, 2, None, "audit head row missing")
    assert verify_cli(app) == (1, "audit chain BROKEN: audit head row missing")
    with pytest.raises(AuditChainError):
        record_event(actor=None, action="test.more")


def test_verification_walks_in_batches(app_ctx):
    append(7)
    assert verify_chain(batch_size=2) == VerifyResult(ok=True, checked=7)
    assert verify_chain(batch_size=7) == VerifyResult(ok=True, checked=7)
    tamper(update(events).where(events.c.seq == 5).values(action="case.reject"))
    assert verify_chain(batch_size=2).first_broken_seq == 5


def test_cli_reports_an_intact_chain(app, app_ctx):
    append(3)
    assert verify_cli(app) == (0, "audit chain intact: 3 events")


# --- the database refuses changes ------------------------------------------------


def test_database_refuses_update_without_the_permit(app_ctx):
    append(2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(update(events).where(events.c.seq == 1).values(action="case.reject"))
    db.session.rollback()
    assert db.session.scalar(select(events.c.action).where(events.c.seq == 1)) == "test.event_0"


def test_database_refuses_delete_without_the_permit(app_ctx):
    append(2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(delete(events).where(events.c.seq == 2))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(events)) == 2


def test_database_refuses_truncate_on_postgresql(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    append(1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_events CASCADE"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(events)) == 1


def test_the_permit_ends_with_its_block(app_ctx):
    append(2)
    with allow_audit_purge():
        db.session.execute(delete(events).where(events.c.seq == 2))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(delete(events).where(events.c.seq == 1))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(events)) == 2
    assert db.session.scalar(select(func.count()).select_from(audit_purge_permit)) == 0


# --- concurrency -----------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["write_intent", "undeclared"])
def test_concurrent_appends_do_not_fork_the_chain(app, declared):
    """Two workers, each with its own app context and connection, commit per event.

    Without `write_intent()` SQLite still serialises them: the first write of
    `record_event` takes the write lock before the head is read.
    """
    start = Barrier(2)

    def worker(n: int) -> None:
        with app.app_context(), write_intent() if declared else nullcontext():
            start.wait(timeout=10)
            for i in range(20):
                record_event(actor=None, action="test.concurrent", data={"worker": n, "i": i})
                db.session.commit()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(worker, n) for n in (1, 2)]:
            future.result(timeout=60)

    with app.app_context():
        assert verify_chain() == VerifyResult(ok=True, checked=40)
        seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(1, 41))

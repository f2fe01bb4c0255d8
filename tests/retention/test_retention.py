"""The retention schedule: personal data of reports whose case ended long enough ago
is destroyed (crypto-shredding), the case's facts stay, a legal hold stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from inspect_app.audit.models import AuditEvent
from inspect_app.cases.models import Case, ReportKind
from inspect_app.cases.workflow import CaseStatus
from inspect_app.evidence.services import get_storage
from inspect_app.evidence.storage import display_key, original_key
from inspect_app.evidence.sweep import sweep_configured_storage
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.retention import services as retention
from inspect_app.scheduler.jobs import run_retention
from inspect_app.sealing.models import KeyEnvelope, SealedKey
from tests.helpers import log_in_fully

S = CaseStatus
NOW = datetime(2030, 6, 1, 3, 0, tzinfo=UTC)


def _ended(case: Case, months_ago: int) -> Case:
    """Make the case have ended that many months (of 30 days) before NOW."""
    moment = NOW - timedelta(days=30 * months_ago + 1)
    db.session.execute(
        update(Case).where(Case.id == case.id).values(closed_at=moment, last_activity_at=moment)
    )
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Case, case.id)


def _progress_emails() -> int:
    query = select(func.count()).where(OutboxMessage.kind == "reporter")
    return db.session.scalar(query)


def _run(app, *args: str):
    result = app.test_cli_runner().invoke(
        args=["retention", "run", "--now", NOW.isoformat(), *args]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_due_personal_data_is_destroyed_and_the_facts_stay(app, org, make_case):
    case = make_case(S.CLOSED, named=True, photos=1, email_updates=True)  # denunciation
    case = _ended(case, months_ago=61)
    assert _progress_emails() == 3  # the receipt; accepted, resolved
    report = case.reports[0]
    photo = report.photos[0]
    assert report.identity_sealed and photo.original_key_sealed

    dry = _run(app, "--dry-run")
    assert "would destroy the personal data of 1 reports in 1 cases" in dry
    assert db.session.get(Case, case.id).reports[0].identity_sealed is not None

    out = _run(app)
    assert "destroyed the personal data of 1 reports" in out
    case = db.session.get(Case, case.id)
    report = case.reports[0]
    assert report.identity_sealed is None and report.identity_destroyed_at is not None
    assert report.photos[0].original_key_sealed is None and report.photos[0].facts_sealed is None
    assert db.session.scalars(select(SealedKey)).all() == []
    assert db.session.scalars(select(KeyEnvelope)).all() == []
    assert case.status == "closed" and case.outcome == "fine" and report.product
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.destroyed")
    )
    assert event.case_id == case.id and event.actor_id is None
    assert event.data["reports"] == [
        {
            "report": report.id,
            "identity": 1,
            "photo_facts": 0,
            "originals": 1,
            "keys": 2,
            "progress_emails": 3,
        }
    ]
    assert _progress_emails() == 0, "the address goes with the e-mails that held it"
    assert "of 0 reports" in _run(app), "once only"

    # The sweep then removes the undecryptable original; the copies stay for officers.
    result = sweep_configured_storage(grace_seconds=0)
    storage = get_storage()
    assert original_key(photo.file_id) in result.removed
    assert storage.exists(display_key(photo.file_id))


def test_nothing_goes_before_its_time_or_while_the_case_is_open(app, org, make_case):
    recent = _ended(make_case(S.CLOSED, named=True), months_ago=59)  # denunciations: 60
    open_case = make_case(S.INVESTIGATING, named=True)
    _ended(open_case, months_ago=120)
    tip = _ended(make_case(S.REJECTED, photos=1), months_ago=11)  # tips: 12
    assert "of 0 reports" in _run(app)
    for case in (recent, open_case, tip):
        assert db.session.get(Case, case.id).reports[0].sealed_keys


def test_each_kind_has_its_own_period_editable_and_audited(app, org, make_case):
    tip = _ended(make_case(S.REJECTED, photos=1), months_ago=7)
    assert "of 0 reports" in _run(app)
    client = app.test_client()
    log_in_fully(client, org.admin)
    form = {"r-tip": "6", "r-denunciation": "60", "r-complaint": "36", "r-submit": "1"}
    assert client.post("/admin/settings", data=form).status_code == 302
    assert retention.retention_months()[ReportKind.TIP] == 6
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.rule_changed")
    )
    assert event.actor_id == org.admin.id and event.data == {
        "kind": "tip",
        "before": 12,
        "after": 6,
    }
    assert "of 1 reports" in _run(app)
    assert db.session.get(Case, tip.id).reports[0].sealed_keys == []
    bad = client.post("/admin/settings", data={**form, "r-tip": "0"})
    assert bad.status_code == 400


def test_a_legal_hold_keeps_everything_until_released(app, org, make_case):
    case = _ended(make_case(S.CLOSED, named=True, photos=1), months_ago=70)
    client = app.test_client()
    log_in_fully(client, org.lead)
    response = client.post(
        f"/cases/{case.id}/legal-hold", data={"hold-reason": "Đang có khiếu kiện tại tòa án."}
    )
    assert response.status_code == 302
    assert 'data-testid="legal-hold"' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "of 0 reports" in _run(app)
    assert db.session.get(Case, case.id).reports[0].identity_sealed is not None

    assert client.post(f"/cases/{case.id}/legal-hold/release").status_code == 302
    assert "of 1 reports" in _run(app)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
    ).all()
    assert actions[-3:] == ["case.legal_hold", "case.legal_hold_released", "retention.destroyed"]


def test_only_leads_and_directors_place_holds(app, org, make_case):
    case = make_case(S.CLOSED)
    client = app.test_client()
    log_in_fully(client, org.inspector)
    response = client.post(f"/cases/{case.id}/legal-hold", data={"hold-reason": "x"})
    assert response.status_code == 403
    outsider = app.test_client()
    log_in_fully(outsider, org.other_lead)
    assert (
        outsider.post(f"/cases/{case.id}/legal-hold", data={"hold-reason": "x"}).status_code == 404
    )


def test_the_scheduler_runs_it_once_a_day(app, org, make_case):
    case = _ended(make_case(S.CLOSED, named=True), months_ago=61)
    assert run_retention(NOW) == (
        "personal data of 1 reports destroyed, 0 API answers past 24 hours purged"
    )
    db.session.commit()
    assert run_retention(NOW + timedelta(hours=2)) is None
    assert db.session.get(Case, case.id).reports[0].identity_destroyed_at is not None


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2030, 3, 31, tzinfo=UTC), 1, datetime(2030, 2, 28, tzinfo=UTC)),
        (datetime(2032, 3, 31, tzinfo=UTC), 1, datetime(2032, 2, 29, tzinfo=UTC)),
        (datetime(2030, 1, 15, tzinfo=UTC), 13, datetime(2028, 12, 15, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment, months, expected):
    assert retention.months_before(moment, months) == expected

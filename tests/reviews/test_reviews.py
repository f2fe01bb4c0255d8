"""Audit reviews: the sample, the verdicts, who may see what, and the pages."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.audit.models import AuditEvent
from inspect_app.audit.services import case_timeline
from inspect_app.cases import transitions
from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.reviews.models import AuditReview, Verdict
from inspect_app.reviews.services import (
    AlreadyReviewed,
    ReviewError,
    draw_sample,
    population_ids,
    review_findings,
    review_item,
)
from tests.helpers import current_code, login, totp_secret_from_page

NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)
IN_NOVEMBER = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)


def _resolved_at(case: Case, when: datetime) -> Case:
    case.resolved_at = when
    db.session.commit()
    return case


def _resolved_cases(make_case, count: int, status=CaseStatus.RESOLVED) -> list[Case]:
    return [_resolved_at(make_case(status), IN_NOVEMBER) for _ in range(count)]


def _draw(user, size: int = 20, seed: int | None = None, **period) -> AuditReview:
    review = draw_sample(
        user,
        title="Kiểm tra tháng 11",
        period_start=period.get("start", NOV_START),
        period_end=period.get("end", NOV_END),
        size=size,
        seed=seed,
    )
    db.session.commit()
    return review


def _sampled(review: AuditReview) -> list[int]:
    return [item.case_id for item in review.items]


def _log_in_fully(client, user) -> None:
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


# The sample


def test_population_is_the_provinces_resolved_and_closed_cases_of_the_period(org, make_case):
    inside = _resolved_cases(make_case, 2) + _resolved_cases(make_case, 1, CaseStatus.CLOSED)
    # Boundaries are days in Vietnam (UTC+7).
    first_local_minute = _resolved_at(
        make_case(CaseStatus.RESOLVED), datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    )
    last_local_minute = _resolved_at(
        make_case(CaseStatus.CLOSED), datetime(2026, 11, 30, 16, 59, tzinfo=UTC)
    )
    _resolved_at(make_case(CaseStatus.RESOLVED), datetime(2026, 10, 31, 16, 59, tzinfo=UTC))
    _resolved_at(make_case(CaseStatus.RESOLVED), datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    far = _resolved_cases(make_case, 1)[0]
    far.province_code = 79
    # Not a resolved state, whatever its timestamp says.
    _resolved_at(make_case(CaseStatus.INVESTIGATING), IN_NOVEMBER)
    db.session.commit()

    expected = sorted(c.id for c in [*inside, first_local_minute, last_local_minute])
    assert population_ids(org.director, NOV_START, NOV_END) == expected
    assert population_ids(org.other_director, NOV_START, NOV_END) == [far.id]

    review = _draw(org.director, size=3, seed=20261130)
    assert _sampled(review) == random.Random(20261130).sample(expected, 3)
    assert [item.position for item in review.items] == [1, 2, 3]
    assert review.province_code == 1 and review.requested_size == 3


def test_the_same_seed_draws_the_same_sample_again(org, make_case):
    _resolved_cases(make_case, 6)
    first = _draw(org.director, size=3)
    assert 0 <= first.seed < 2**63
    again = _draw(org.director, size=3, seed=first.seed)
    assert _sampled(again) == _sampled(first)
    assert again.seed == first.seed

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "review.create").order_by(AuditEvent.seq)
    ).first()
    assert event.case_id is None and event.actor_id == org.director.id
    assert event.data == {
        "review": first.id,
        "seed": first.seed,
        "size": 3,
        "sampled": 3,
        "population": 6,
    }


def test_a_sample_larger_than_the_population_takes_every_case(org, make_case):
    cases = _resolved_cases(make_case, 2)
    review = _draw(org.director, size=10, seed=1)
    assert sorted(_sampled(review)) == sorted(c.id for c in cases)
    assert review.requested_size == 10


@pytest.mark.parametrize(
    ("size", "start", "end"),
    [
        (5, NOV_END, NOV_START),  # the period ends before it starts
        (0, NOV_START, NOV_END),
        (201, NOV_START, NOV_END),
        (5, date(2026, 12, 1), date(2026, 12, 31)),  # nothing resolved then
    ],
)
def test_bad_requests_are_refused(org, make_case, size, start, end):
    _resolved_cases(make_case, 1)
    with pytest.raises(ReviewError) as refused:
        _draw(org.director, size=size, start=start, end=end)
    assert str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditReview.id))) == 0


def test_a_director_of_another_province_finds_nothing_to_sample(org, make_case):
    _resolved_cases(make_case, 2)
    with pytest.raises(ReviewError):
        _draw(org.other_director)


# Verdicts


def test_ok_and_note_verdicts_and_the_findings(org, make_case):
    _resolved_cases(make_case, 3)
    review = _draw(org.director, seed=7)
    first, second, third = review.items

    review_item(org.director, first, verdict="ok", note="")
    with pytest.raises(ReviewError):
        review_item(org.director, second, verdict="noted", note="  ")
    review_item(org.director, second, verdict="noted", note="Thiếu biên bản kiểm tra.")
    db.session.commit()
    assert first.verdict == Verdict.OK.value and first.reviewed_by_id == org.director.id
    assert first.reviewed_at is not None and review.completed_at is None

    review_item(org.director, third, verdict="ok", note="Hồ sơ đầy đủ.")
    db.session.commit()
    assert review.completed_at is not None

    findings = review_findings(review)
    assert findings.counts == {
        Verdict.PENDING: 0,
        Verdict.OK: 2,
        Verdict.REOPENED: 0,
        Verdict.NOTED: 1,
    }
    assert (findings.reviewed, findings.total) == (3, 3)
    assert findings.flagged == [second]
    assert second.case.status == CaseStatus.RESOLVED.value  # a note changes nothing

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.item"))
    assert sorted(e.case_id for e in events) == sorted(i.case_id for i in review.items)


@pytest.mark.parametrize("status", [CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_reopen_sends_the_case_back_with_the_reason_and_is_final(org, make_case, status):
    case = _resolved_cases(make_case, 1, status)[0]
    item = _draw(org.director).items[0]

    with pytest.raises(ReviewError):
        review_item(org.director, item, verdict="reopen", note="")
    review_item(org.director, item, verdict="reopen", note="Mức phạt chưa đúng Điều 11.")
    db.session.commit()

    assert case.status == CaseStatus.INVESTIGATING.value
    assert item.verdict == Verdict.REOPENED.value
    reopen = [e for e in case_timeline(case.id) if e.action == "case.reopen"]
    assert reopen[-1].data == {"reason": "Mức phạt chưa đúng Điều 11.", "by_audit": True}
    assert reopen[-1].actor_id == org.director.id
    for verdict in ("ok", "reopen"):
        with pytest.raises(AlreadyReviewed):
            review_item(org.director, item, verdict=verdict, note="Lần nữa.")
        db.session.rollback()
    assert item.verdict == Verdict.REOPENED.value


def test_a_case_reopened_by_its_team_since_the_draw_cannot_be_reopened_again(org, make_case):
    case = _resolved_cases(make_case, 1)[0]
    item = _draw(org.director).items[0]
    transitions.reopen_case(org.lead, case, reason="Bổ sung chứng cứ.")
    db.session.commit()

    with pytest.raises(transitions.TransitionNotAllowed):
        review_item(org.director, item, verdict="reopen", note="Mức phạt chưa đúng.")
    db.session.rollback()
    assert item.verdict == Verdict.PENDING.value
    review_item(org.director, item, verdict="noted", note="Đội đã tự mở lại.")
    db.session.commit()
    assert item.verdict == Verdict.NOTED.value


# Access


@pytest.mark.parametrize("who", ["inspector", "lead", "admin", "association"])
def test_officers_without_the_audit_permission_get_403(client, org, who):
    _log_in_fully(client, getattr(org, who))
    for path in ("/audits", "/audits/new"):
        assert client.get(path).status_code == 403, path


def test_another_provinces_director_gets_404(client, org, make_case):
    _resolved_cases(make_case, 2)
    review = _draw(org.director)
    item = review.items[0]
    _log_in_fully(client, org.other_director)

    assert client.get(f"/audits/{review.id}").status_code == 404
    posted = client.post(
        f"/audits/{review.id}/items/{item.id}", data={f"item-{item.id}-verdict": "ok"}
    )
    assert posted.status_code == 404
    assert f"/audits/{review.id}" not in client.get("/audits").get_data(as_text=True)
    assert item.verdict == Verdict.PENDING.value


def test_an_item_of_another_review_is_404(client, org, make_case):
    _resolved_cases(make_case, 2)
    mine, other = _draw(org.director), _draw(org.director)
    stranger = other.items[0]
    _log_in_fully(client, org.director)
    response = client.post(
        f"/audits/{mine.id}/items/{stranger.id}", data={f"item-{stranger.id}-verdict": "ok"}
    )
    assert response.status_code == 404
    assert client.get("/audits/999999").status_code == 404


# The pages


def test_a_director_draws_reviews_and_reopens_a_case_through_the_pages(client, org, make_case):
    cases = [make_case(CaseStatus.RESOLVED), make_case(CaseStatus.CLOSED)]
    today = datetime.now(LOCAL_TZ).date()
    _log_in_fully(client, org.director)
    assert client.get("/audits").status_code == 200
    assert client.get("/audits/new").status_code == 200

    form = {
        "title": "Kiểm tra xác suất quý IV",
        "period_start": (today - timedelta(days=1)).isoformat(),
        "period_end": (today + timedelta(days=1)).isoformat(),
        "size": "5",
        "seed": "42",
    }
    backwards = dict(form, period_start=form["period_end"], period_end=form["period_start"])
    assert client.post("/audits/new", data=backwards).status_code == 400
    created = client.post("/audits/new", data=form)
    assert created.status_code == 302
    review_id = int(re.fullmatch(r"/audits/(\d+)", created.headers["Location"]).group(1))
    review = db.session.get(AuditReview, review_id)
    assert review.seed == 42 and sorted(_sampled(review)) == sorted(c.id for c in cases)

    page = client.get(f"/audits/{review_id}").get_data(as_text=True)
    for case in cases:
        assert f'href="/cases/{case.id}"' in page
    assert 'data-testid="seed">42<' in page

    item = review.items[0]
    url, field = f"/audits/{review_id}/items/{item.id}", f"item-{item.id}"
    refused = client.post(url, data={f"{field}-verdict": "reopen", f"{field}-note": ""})
    assert refused.status_code == 400
    assert "Hãy nêu lý do mở lại." in refused.get_data(as_text=True)

    reason = "Chưa thu thập đủ chứng cứ."
    saved = client.post(url, data={f"{field}-verdict": "reopen", f"{field}-note": reason})
    assert saved.status_code == 302
    assert item.case.status == CaseStatus.INVESTIGATING.value
    again = client.post(url, data={f"{field}-verdict": "ok"})
    assert again.status_code == 409

    page = client.get(f"/audits/{review_id}").get_data(as_text=True)
    assert 'data-testid="count-reopened">1<' in page
    assert 'data-testid="count-pending">1<' in page
    flagged = page.split('data-testid="flagged"')[1].split("</ul>")[0]
    assert f'href="/cases/{item.case_id}"' in flagged and reason in flagged
    listing = client.get("/audits").get_data(as_text=True)
    assert "1/2" in listing.split('data-testid="progress"')[1]

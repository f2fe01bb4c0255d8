"""Two officers act on the same case at the same moment: exactly one succeeds; the
other is refused in Vietnamese, either "someone else changed this case" (their
write collided: ConcurrentChange) or "not possible while the case is …" (their
request ran after the winner's, as SQLite's BEGIN IMMEDIATE makes it); never a 500.
The database keeps one assignee and one audit event, and the audit chain does not
fork. Each race runs several times on fresh cases, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from inspect_app.accounts import services as accounts
from inspect_app.accounts.models import User
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.services import verify_chain
from inspect_app.cases import transitions
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbsetup import write_intent
from inspect_app.extensions import db
from tests.helpers import login

ROUNDS = 5
JOIN_SECONDS = 60
REFUSALS = (transitions.ConcurrentChange, transitions.TransitionNotAllowed)


@dataclass
class Outcome:
    ok: bool = False
    error: BaseException | None = None
    message: str = ""  # the refusal as the officer reads it


def _run_together(app, jobs: list[Callable[[threading.Barrier], None]]) -> list[Outcome]:
    """Run each job in its own thread and application context (its own database
    session and connection), as two requests would run; the jobs meet at a barrier."""
    barrier = threading.Barrier(len(jobs), timeout=JOIN_SECONDS)
    outcomes = [Outcome() for _ in jobs]

    def run(job, outcome: Outcome) -> None:
        with app.app_context():
            try:
                job(barrier)
                outcome.ok = True
            except REFUSALS as exc:
                outcome.error, outcome.message = exc, str(exc)  # translated here
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                outcome.error = exc
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in zip(jobs, outcomes, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
        assert not thread.is_alive(), "a racer hung"
    return outcomes


def _one_winner(outcomes: list[Outcome]) -> tuple[int, Outcome]:
    unexpected = [o.error for o in outcomes if o.error and not isinstance(o.error, REFUSALS)]
    assert not unexpected, unexpected
    winners = [i for i, o in enumerate(outcomes) if o.ok]
    assert len(winners) == 1, outcomes
    [loser] = [o for o in outcomes if not o.ok]
    return winners[0], loser


def _events(case_id: int, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == action)
        )
    )


def _concurrent_change_message() -> str:
    """What a loser whose change collided reads: the Vietnamese translation."""
    message = str(transitions.ConcurrentChange())
    with force_locale("en"):
        english = str(transitions.ConcurrentChange())
    assert message != english, "the message is translated"
    assert message.startswith("Người khác vừa thay đổi")
    return message


def _refusal_now(user_id: int, case_id: int, attempt) -> str:
    """What the loser reads when their action reaches the case after the winner's:
    the refusal the app gives for that action in the case's new state."""
    user, case = db.session.get(User, user_id), db.session.get(Case, case_id)
    with pytest.raises(transitions.TransitionNotAllowed) as refused:
        attempt(user, case)
    db.session.rollback()
    message = str(refused.value)
    with force_locale("en"):
        english = str(refused.value)
    assert message != english, "the message is translated"
    return message


def _loser_message_is_right(loser: Outcome, loser_id: int, case_id: int, attempt) -> None:
    if isinstance(loser.error, transitions.ConcurrentChange):
        assert loser.message == _concurrent_change_message()
    else:
        assert loser.message == _refusal_now(loser_id, case_id, attempt)


def _claim(user, case) -> None:
    transitions.claim_case(user, case)


def _claim_as_a_request(user_id: int, case_id: int):
    """A POST request: write intent from the start (BEGIN IMMEDIATE on SQLite), the
    case loaded inside the request, one commit."""

    def job(barrier: threading.Barrier) -> None:
        with write_intent():
            barrier.wait()
            _claim(db.session.get(User, user_id), db.session.get(Case, case_id))
            db.session.commit()

    return job


def test_two_inspectors_claim_the_same_case_at_once(app, org, make_case):
    racers = (org.inspector.id, org.inspector2.id)
    for _ in range(ROUNDS):
        case_id = make_case(CaseStatus.ACCEPTED).id
        db.session.commit()
        outcomes = _run_together(app, [_claim_as_a_request(u, case_id) for u in racers])
        winner, loser = _one_winner(outcomes)
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert case.status == "assigned" and case.assignee_id == racers[winner]
        [event] = _events(case_id, "case.claim")
        assert event.actor_id == racers[winner] and event.data == {"assignee": racers[winner]}
        _loser_message_is_right(loser, racers[1 - winner], case_id, _claim)
    assert verify_chain().ok, "the audit chain did not fork"


def _after_reading(user_id: int, case_id: int, act: Callable[[User, Case], None]):
    """Both officers have read the accepted case (as on the page in front of them)
    before either writes: the case's version column must turn the second write away,
    on SQLite as on PostgreSQL. The read began the transaction outside the write
    intent, so on SQLite it is the conditional UPDATE's row count that decides."""

    def job(barrier: threading.Barrier) -> None:
        user, case = db.session.get(User, user_id), db.session.get(Case, case_id)
        assert case.status == "accepted"
        barrier.wait()
        with write_intent():
            act(user, case)
            db.session.commit()

    return job


def test_two_claims_on_a_case_both_have_read(app, org, make_case):
    racers = (org.inspector.id, org.inspector2.id)
    for _ in range(ROUNDS):
        case_id = make_case(CaseStatus.ACCEPTED).id
        db.session.commit()
        outcomes = _run_together(app, [_after_reading(u, case_id, _claim) for u in racers])
        winner, loser = _one_winner(outcomes)
        assert isinstance(loser.error, transitions.ConcurrentChange)
        assert loser.message == _concurrent_change_message()
        db.session.expire_all()
        assert db.session.get(Case, case_id).assignee_id == racers[winner]
        assert len(_events(case_id, "case.claim")) == 1
    assert verify_chain().ok


def test_the_lead_assigns_one_case_to_two_inspectors_at_once(app, org, make_case):
    lead_id = org.lead.id
    choices = (org.inspector.id, org.inspector2.id)

    def assign_to(assignee_id: int):
        def act(user, case) -> None:
            transitions.assign_case(user, case, assignee=db.session.get(User, assignee_id))

        return act

    for _ in range(ROUNDS):
        case_id = make_case(CaseStatus.ACCEPTED).id
        db.session.commit()
        outcomes = _run_together(
            app, [_after_reading(lead_id, case_id, assign_to(a)) for a in choices]
        )
        winner, loser = _one_winner(outcomes)
        assert isinstance(loser.error, transitions.ConcurrentChange)
        assert loser.message == _concurrent_change_message()
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert case.status == "assigned" and case.assignee_id == choices[winner]
        [event] = _events(case_id, "case.assign")
        assert event.data == {"assignee": choices[winner], "previous": None}
        assert [u.status for u in case.public_updates].count("assigned") == 1
    assert verify_chain().ok


def test_two_assignments_as_requests_never_lose_an_update(app, org, make_case):
    """As two POSTs, SQLite runs the writes one after the other: the second request
    finds the case assigned and reassigns it, which a lead may do. Whatever the
    engine does, the case ends with the assignee of the last committed assignment
    and the audit log holds every assignment that happened, each naming the one
    before it."""
    lead_id = org.lead.id
    choices = (org.inspector.id, org.inspector2.id)

    def assign_to(assignee_id: int, case_id: int):
        def job(barrier: threading.Barrier) -> None:
            with write_intent():
                barrier.wait()
                user, case = db.session.get(User, lead_id), db.session.get(Case, case_id)
                transitions.assign_case(user, case, assignee=db.session.get(User, assignee_id))
                db.session.commit()

        return job

    for _ in range(ROUNDS):
        case_id = make_case(CaseStatus.ACCEPTED).id
        db.session.commit()
        outcomes = _run_together(app, [assign_to(a, case_id) for a in choices])
        for outcome in outcomes:
            assert outcome.ok or isinstance(outcome.error, transitions.ConcurrentChange), outcome
        succeeded = [choices[i] for i, o in enumerate(outcomes) if o.ok]
        assert succeeded
        db.session.expire_all()
        events = sorted(_events(case_id, "case.assign"), key=lambda e: e.seq)
        assert sorted(e.data["assignee"] for e in events) == sorted(succeeded)
        assert [e.data["previous"] for e in events] == [
            None,
            *[e.data["assignee"] for e in events][:-1],
        ]
        assert db.session.get(Case, case_id).assignee_id == events[-1].data["assignee"]
    assert verify_chain().ok


# --- Through HTTP -----------------------------------------------------------------


def test_two_officers_press_take_this_case_at_the_same_moment(app, org, make_case):
    """The team lead and an inspector both take the case through the web page: one
    is redirected to the case, the other gets 409 with the reason — never a 500."""
    people = (org.lead, org.inspector)
    ids = tuple(p.id for p in people)
    names = {p.id: p.full_name for p in people}
    clients = []
    for person in people:
        client = app.test_client()
        login(client, person)
        clients.append(client)
    for _ in range(ROUNDS):
        case_id = make_case(CaseStatus.ACCEPTED).id
        db.session.commit()
        for client in clients:  # both have the case open, with its button
            assert "/actions/claim" in client.get(f"/cases/{case_id}").get_data(as_text=True)
        responses: list = [None, None]

        def press(i: int, url: str, responses: list = responses):
            def job(barrier: threading.Barrier) -> None:
                barrier.wait()
                responses[i] = clients[i].post(url)

            return job

        url = f"/cases/{case_id}/actions/claim"
        outcomes = _run_together(app, [press(i, url) for i in range(2)])
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        codes = [r.status_code for r in responses]
        assert sorted(codes) == [302, 409], codes
        winner = codes.index(302)
        loser = 1 - winner
        assert responses[winner].headers["Location"] == f"/cases/{case_id}"
        html = responses[loser].get_data(as_text=True)
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert case.assignee_id == ids[winner]
        assert len(_events(case_id, "case.claim")) == 1
        # The loser reads why, and sees who has the case now.
        messages = (
            _concurrent_change_message(),
            _refusal_now(ids[loser], case_id, _claim),
        )
        assert any(m in html for m in messages), html
        assert names[ids[winner]] in html
    assert verify_chain().ok


def test_two_leads_assign_from_the_same_page_one_is_told_it_changed(app, org, make_case):
    """Both leads' pages were rendered with the same case version: whichever engine
    and order, the second assignment is refused (409) instead of silently replacing
    the first one."""
    other = accounts.create_user(
        email="lead.b@example.vn",
        password="correct horse battery",
        role="team_lead",
        team=org.team,
        full_name="Đội phó",
    )
    db.session.commit()
    clients = []
    for person in (org.lead, other):
        client = app.test_client()
        login(client, person)
        clients.append(client)
    for _ in range(ROUNDS):
        case = make_case(CaseStatus.ACCEPTED)
        case_id, version = case.id, case.version
        db.session.commit()
        responses: list = [None, None]
        targets = (org.inspector.id, org.inspector2.id)

        def press(i, responses=responses, case_id=case_id, version=version, targets=targets):
            def job(barrier: threading.Barrier) -> None:
                barrier.wait()
                responses[i] = clients[i].post(
                    f"/cases/{case_id}/actions/assign",
                    data={"assign-assignee": targets[i], "version": version},
                )

            return job

        outcomes = _run_together(app, [press(0), press(1)])
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        codes = sorted(r.status_code for r in responses)
        assert codes == [302, 409], codes
        assert len(_events(case_id, "case.assign")) == 1
    assert verify_chain().ok

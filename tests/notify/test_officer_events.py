"""Work that arrives is announced: in the app at once and by e-mail (at once, or in the
daily digest as each officer chose per kind), with the outbox's rules — nothing lost
while SMTP is down, nothing sent twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from inspect_app.cases import transitions
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify import officer_events
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import Delivery, MessageKind, Notification
from inspect_app.notify.services import deliver_pending
from inspect_app.scheduler.jobs import tick
from tests.cases.conftest import drive, new_report
from tests.helpers import login
from tests.notify.conftest import at, delivered_keys, outbox_rows

S = CaseStatus


def _notices(user, kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _accepted(org, **report):
    case = new_report(org.team, **report).report.case
    return drive(case, org, S.ACCEPTED)


def _settings(app) -> SmtpSettings:
    return SmtpSettings.from_config(app.config)


def test_an_assignment_reaches_the_inspector_in_the_app_and_by_email_once(app, org, mailbox):
    case = _accepted(org)
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    db.session.commit()
    [notice] = _notices(org.inspector, "assigned")
    assert notice.case_id == case.id and notice.read_at is None
    assert notice.message == f"Vụ việc #{case.id} đã được phân công cho bạn"
    [row] = outbox_rows(kind="assigned")
    assert row.recipient_user_id == org.inspector.id
    assert deliver_pending(utcnow(), _settings(app)).sent >= 1
    assert deliver_pending(utcnow(), _settings(app)).sent == 0
    [received] = [r for r in mailbox.to(org.inspector.email) if "phân công" in r.message["Subject"]]
    assert f"/cases/{case.id}" in received.text
    assert "Người thực hiện: Trần Thị Lan." in received.text
    assert delivered_keys(mailbox)[row.key] == 1


def test_smtp_down_loses_no_notice_and_sends_it_once_when_back(app, org, mailbox):
    case = _accepted(org)
    mailbox.stop()
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    db.session.commit()
    now = utcnow()
    assert deliver_pending(now, _settings(app)).sent == 0
    mailbox.start()
    from datetime import timedelta

    deliver_pending(now + timedelta(minutes=5), _settings(app))
    deliver_pending(now + timedelta(minutes=10), _settings(app))
    [row] = outbox_rows(kind="assigned")
    assert row.status == "sent" and delivered_keys(mailbox)[row.key] == 1


def test_a_reassignment_is_announced_to_the_new_inspector(org):
    case = _accepted(org)
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    db.session.commit()
    transitions.assign_case(org.lead, case, assignee=org.inspector2)
    db.session.commit()
    [notice] = _notices(org.inspector2, "assigned")
    assert "được chuyển cho bạn" in notice.message
    assert len(_notices(org.inspector, "assigned")) == 1


def test_nobody_is_told_about_their_own_action(org):
    case = _accepted(org)
    transitions.assign_case(org.lead, case, assignee=org.lead)
    db.session.commit()
    assert _notices(org.lead, "assigned") == []


def test_team_leads_are_told_of_new_cases_and_resolutions_to_approve(org):
    case = new_report(org.team).report.case
    [triage] = _notices(org.lead, "triage")
    assert triage.case_id == case.id and "phân loại" in triage.message
    assert _notices(org.other_lead, "triage") == [], "only the case's team"
    drive(case, org, S.RESOLVED)
    [approval] = _notices(org.lead, "approval")
    assert approval.case_id == case.id and "phê duyệt" in approval.message


def test_a_case_sent_to_another_team_is_announced_to_its_leads(org):
    case = new_report(org.team).report.case
    transitions.route_case(org.lead, case, team=org.other_team, reason="Địa bàn đội 2.")
    db.session.commit()
    [notice] = _notices(org.other_lead, "triage")
    assert notice.case_id == case.id


def test_the_inspector_is_told_when_their_case_is_reopened(org):
    case = drive(new_report(org.team).report.case, org, S.CLOSED)
    transitions.reopen_case(org.lead, case, reason="Thiếu biên bản tiêu hủy.")
    db.session.commit()
    [notice] = _notices(org.inspector, "reopened")
    assert notice.case_id == case.id


def test_the_reporter_information_hook_tells_the_assignee_once(org):
    case = drive(new_report(org.team).report.case, org, S.INVESTIGATING)
    now = utcnow()
    assert officer_events.reporter_added_information(case, reference="followup=7", now=now) == 1
    assert officer_events.reporter_added_information(case, reference="followup=7", now=now) == 0
    db.session.commit()
    [notice] = _notices(org.inspector, "reporter_info")
    assert "bổ sung thông tin" in notice.message
    officer_events.reporter_added_information(case, reference="answer=3", now=now, answered=True)
    db.session.commit()
    assert "trả lời" in _notices(org.inspector, "reporter_info")[-1].message


def test_a_digest_officer_gets_the_notice_now_and_the_email_next_morning(app, org, mailbox):
    officer_events.set_preferences(org.inspector, {MessageKind.ASSIGNED: Delivery.DIGEST})
    db.session.commit()
    first, second = _accepted(org, product="Sữa bột"), _accepted(org, product="Dầu gội")
    for case in (first, second):
        transitions.assign_case(org.lead, case, assignee=org.inspector)
        db.session.commit()
    assert len(_notices(org.inspector, "assigned")) == 2, "in the app at once"
    assert outbox_rows(kind="assigned") == [], "no e-mail yet"
    day = date(2027, 1, 15)
    tick(at(day, 6))  # before DIGEST_HOUR: nothing
    assert outbox_rows(kind="digest", recipient_user_id=org.inspector.id) == []
    tick(at(day, 8))
    tick(at(day, 9))
    digests = [
        r
        for r in outbox_rows(kind="digest")
        if r.key.startswith(f"notices:user={org.inspector.id}")
    ]
    assert len(digests) == 1
    assert f"/cases/{first.id}" in digests[0].body_text
    assert f"/cases/{second.id}" in digests[0].body_text
    assert not any(n.digest_pending for n in _notices(org.inspector))
    assert (
        len([r for r in mailbox.to(org.inspector.email) if "Thông báo" in r.message["Subject"]])
        == 1
    )


def test_the_settings_page_offers_each_kind_for_the_role(app, org):
    client = app.test_client()
    login(client, org.inspector)
    html = client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="delivery-assigned"' in html and 'name="delivery-triage"' not in html
    response = client.post(
        "/notifications/settings",
        data={
            "delivery-assigned": "digest",
            "delivery-reporter_info": "immediate",
            "delivery-reopened": "immediate",
        },
    )
    assert response.status_code == 303
    prefs = officer_events.preferences_of(db.session.merge(org.inspector))
    assert prefs[MessageKind.ASSIGNED] is Delivery.DIGEST
    assert prefs[MessageKind.REOPENED] is Delivery.IMMEDIATE
    lead = app.test_client()
    login(lead, org.lead)
    assert 'name="delivery-triage"' in lead.get("/notifications/settings").get_data(as_text=True)


def test_the_unread_count_is_served_for_the_menu_to_poll(app, org):
    case = _accepted(org)
    client = app.test_client()
    login(client, org.inspector)
    assert client.get("/notifications/unread.json").get_json() == {"unread": 0}
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    db.session.commit()
    response = client.get("/notifications/unread.json")
    assert response.get_json() == {"unread": 1}
    assert response.headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/notifications/unread.json").status_code == 302


def test_the_poll_does_not_keep_an_idle_session_alive(app, org):
    client = app.test_client()
    login(client, org.inspector)
    with client.session_transaction() as session:
        session["seen_at"] = 1000  # long ago
        seen = session["seen_at"]
    app.config["SESSION_IDLE_MINUTES"], saved = 10**9, app.config["SESSION_IDLE_MINUTES"]
    try:
        assert client.get("/notifications/unread.json").status_code == 200
        with client.session_transaction() as session:
            assert session["seen_at"] == seen, "asking for the count is not activity"
        client.get("/notifications")
        with client.session_transaction() as session:
            assert session["seen_at"] > seen, "a page is"
    finally:
        app.config["SESSION_IDLE_MINUTES"] = saved

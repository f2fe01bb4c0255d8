"""The jobs, driven by `tick(now)` and `scheduler tick --now` against a real SMTP
server: reminders, escalations and digests arrive once, only on working days, and
an officer's new alerts arrive together in one e-mail."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.notify.models import DeadlineAlert
from inspect_app.scheduler.alerts import MAX_LISTED
from inspect_app.scheduler.jobs import tick
from tests.helpers import login
from tests.notify.conftest import (
    alerts_delivered,
    at,
    delivered_keys,
    outbox_rows,
    received_for,
    set_due,
)

S = CaseStatus
DUE = date(2027, 1, 20)  # a Wednesday: reminders on Fri 15 (3 working days) and Tue 19 (1)


def _sent(box, prefix: str) -> Counter:
    return Counter({key: n for key, n in delivered_keys(box).items() if key.startswith(prefix)})


def _ticks(moment, times: int = 10) -> dict[str, str]:
    for _ in range(times):
        summary = tick(moment)
    return summary


def test_reminders_three_and_one_working_day_before_arrive_once_each(org, make_case, mailbox):
    case = set_due(make_case(S.INVESTIGATING), DUE)
    tick(at(date(2027, 1, 14)))  # four working days before: nothing yet
    assert outbox_rows(kind="reminder") == []

    _ticks(at(date(2027, 1, 15)))
    _ticks(at(date(2027, 1, 19), 10))

    assert alerts_delivered(mailbox, "reminder") == {
        (case.id, DUE, 3, org.inspector.id): 1,
        (case.id, DUE, 1, org.inspector.id): 1,
    }
    assert set(mailbox.message_ids().values()) == {1}  # nothing at all arrived twice
    first = outbox_rows(kind="reminder")[0]
    (reminder,) = received_for(mailbox, first.key)
    assert f"#{case.id}" in reminder.message["Subject"]
    assert f"http://127.0.0.1:5000/cases/{case.id}" in reminder.text
    assert f'href="http://127.0.0.1:5000/cases/{case.id}"' in reminder.html


def test_emails_are_in_the_officers_language(org, make_case, mailbox):
    org.inspector.locale = "en"
    db.session.commit()
    set_due(make_case(S.INVESTIGATING), DUE)
    tick(at(date(2027, 1, 15)))
    (english,) = [
        r for r in mailbox.to(org.inspector.email) if r.message["Subject"].startswith("Reminder")
    ]
    assert english.message["Subject"].startswith("Reminder: case #")
    assert "due on 20/01/2027 (3 working days left)" in english.text
    assert "State: Investigating." in english.text

    (lead_digest,) = mailbox.to(org.lead.email)  # no language chosen: Vietnamese
    with force_locale("vi"):
        left = ngettext("%(num)d working day left", "%(num)d working days left", 3)
    assert left != "3 working days left" and left in lead_digest.text
    assert '<html lang="vi">' in lead_digest.html


def test_an_unassigned_case_reminds_the_team_lead(org, make_case, mailbox):
    case = set_due(make_case(S.ACCEPTED), DUE)
    _ticks(at(date(2027, 1, 15)), times=3)
    assert alerts_delivered(mailbox, "reminder") == {(case.id, DUE, 3, org.lead.id): 1}
    assert outbox_rows(kind="reminder")[0].recipient_user_id == org.lead.id


def test_a_deactivated_assignee_is_replaced_by_the_team_lead(org, make_case, mailbox):
    case = set_due(make_case(S.INVESTIGATING), DUE)
    org.inspector.active = False
    db.session.commit()
    tick(at(date(2027, 1, 15)))
    assert alerts_delivered(mailbox, "reminder") == {(case.id, DUE, 3, org.lead.id): 1}


def test_overdue_goes_to_the_team_lead_then_the_director_after_n_days(
    org, make_case, mailbox, mail_settings
):
    mail_settings["ESCALATE_TO_DIRECTOR_DAYS"] = 3
    due = date(2027, 1, 18)  # a Monday
    case = set_due(make_case(S.INVESTIGATING), due)

    _ticks(at(date(2027, 1, 19)))  # 1 day overdue
    _ticks(at(date(2027, 1, 20)))  # 2 days
    assert alerts_delivered(mailbox, "overdue") == {(case.id, due, 0, org.lead.id): 1}
    assert alerts_delivered(mailbox, "escalation") == {}

    _ticks(at(date(2027, 1, 21)))  # 3 days: the province's director
    _ticks(at(date(2027, 1, 25)))
    assert alerts_delivered(mailbox, "escalation") == {(case.id, due, 0, org.director.id): 1}
    assert alerts_delivered(mailbox, "overdue") == {(case.id, due, 0, org.lead.id): 1}
    (escalation,) = mailbox.to(org.director.email)
    assert f"#{case.id}" in escalation.message["Subject"]
    assert mailbox.to(org.other_director.email) == []
    assert mailbox.to(org.other_lead.email) == []


def test_a_new_deadline_is_alerted_again(org, make_case, mailbox):
    case = set_due(make_case(S.INVESTIGATING), date(2027, 1, 18))
    tick(at(date(2027, 1, 19)))
    set_due(case, date(2027, 1, 20))  # extended, and missed again
    _ticks(at(date(2027, 1, 21)), times=3)
    assert alerts_delivered(mailbox, "overdue") == {
        (case.id, date(2027, 1, 18), 0, org.lead.id): 1,
        (case.id, date(2027, 1, 20), 0, org.lead.id): 1,
    }


def test_an_officer_gets_one_email_listing_all_new_alerts(client, org, make_case, mailbox):
    org.lead.locale = "en"
    db.session.commit()
    cases = [
        set_due(make_case(S.INVESTIGATING, product=f"Sản phẩm {n}"), date(2027, 1, 11 + n))
        for n in range(3)
    ]
    _ticks(at(date(2027, 1, 19)), times=3)

    (email,) = [r for r in mailbox.to(org.lead.email) if "Overdue" in r.message["Subject"]]
    assert email.message["Subject"] == "Overdue: 3 cases have passed their deadline"
    lines = email.text.splitlines()
    links = [f"http://127.0.0.1:5000/cases/{case.id}" for case in cases]
    assert [line for line in lines if line in links] == links  # oldest deadline first
    assert "8 days overdue (11/01/2027)" in email.text
    for case in cases:
        assert f'href="http://127.0.0.1:5000/cases/{case.id}"' in email.html
    (message,) = outbox_rows(kind="overdue")
    alerts = db.session.scalars(select(DeadlineAlert).filter_by(kind="overdue")).all()
    assert {(alert.case_id, alert.created_at) for alert in alerts} == {
        (case.id, message.created_at) for case in cases
    }

    login(client, org.lead)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("Overdue: 3 cases have passed their deadline") == 1


def test_a_long_list_ends_with_a_link_to_the_queue(org, make_case, mailbox):
    org.lead.locale = "en"
    db.session.commit()
    for n in range(MAX_LISTED + 2):
        set_due(make_case(S.ACCEPTED, product=f"Hàng {n}"), DUE)
    tick(at(date(2027, 1, 15)))
    (email,) = [r for r in mailbox.to(org.lead.email) if "Reminder" in r.message["Subject"]]
    assert email.message["Subject"] == f"Reminder: {MAX_LISTED + 2} cases are due soon"
    assert email.text.count("http://127.0.0.1:5000/cases/") == MAX_LISTED
    assert "… and 2 more cases: see the queue\r\nhttp://127.0.0.1:5000/cases?due=3" in email.text


def test_one_digest_per_officer_per_day_and_none_without_pressing_cases(org, make_case, mailbox):
    pressing = set_due(make_case(S.INVESTIGATING), DUE)
    far = set_due(make_case(S.ACCEPTED, product="Nước mắm"), date(2027, 3, 1))

    tick(at(date(2027, 1, 18), 6, 30))  # before the job hours
    assert outbox_rows(kind="digest") == []
    _ticks(at(date(2027, 1, 18), 8), times=3)
    _ticks(at(date(2027, 1, 18), 15), times=3)
    monday = {
        f"digest:user={org.inspector.id}:date=2027-01-18": 1,
        f"digest:user={org.lead.id}:date=2027-01-18": 1,
    }
    assert _sent(mailbox, "digest:") == monday
    (digest,) = received_for(mailbox, f"digest:user={org.inspector.id}:date=2027-01-18")
    lines = digest.text.splitlines()
    assert f"http://127.0.0.1:5000/cases/{pressing.id}" in lines
    assert f"http://127.0.0.1:5000/cases/{far.id}" not in lines

    tick(at(date(2027, 1, 19), 9))
    assert len(_sent(mailbox, "digest:")) == 4  # a new day, a new digest each
    for officer in (org.inspector2, org.other_lead, org.other_inspector, org.director):
        assert _sent(mailbox, f"digest:user={officer.id}:") == {}


def test_no_digest_when_nothing_is_due_soon(org, make_case, mailbox):
    set_due(make_case(S.INVESTIGATING), date(2027, 3, 1))
    tick(at(date(2027, 1, 18), 8))
    assert outbox_rows() == []
    assert mailbox.received == []


@pytest.mark.parametrize(
    "moment",
    [
        at(date(2027, 2, 7), 8),  # a Sunday
        at(date(2027, 2, 8), 8),  # Mùng ba Tết, a public holiday
        at(date(2027, 2, 11), 19),  # a working day, after the job hours
    ],
    ids=["sunday", "tet-holiday", "evening"],
)
def test_no_jobs_on_days_off_or_outside_the_hours(org, make_case, mailbox, moment):
    # Due right after Tết: its 1-working-day reminder has been due since 3 Feb.
    set_due(make_case(S.INVESTIGATING), date(2027, 2, 11))
    set_due(make_case(S.INVESTIGATING, product="Rượu ngoại"), date(2027, 2, 1))  # overdue
    summary = tick(moment)
    assert summary["reminders"] == summary["escalations"] == summary["digests"] == "not now"
    assert outbox_rows() == []


def test_the_first_working_day_after_tet_catches_up_with_the_latest_reminder(
    org, make_case, mailbox
):
    due = date(2027, 2, 11)
    case = set_due(make_case(S.INVESTIGATING), due)
    tick(at(due, 8))
    assert alerts_delivered(mailbox, "reminder") == {(case.id, due, 1, org.inspector.id): 1}


def test_smtp_down_during_ticks_loses_nothing_and_sends_once_when_back(org, make_case, mailbox):
    set_due(make_case(S.INVESTIGATING), DUE)
    mailbox.stop()
    start = at(date(2027, 1, 15))
    tick(start)
    rows = outbox_rows()
    assert rows and all(r.status == "pending" and r.attempts == 1 for r in rows)
    _ticks(start, times=5)  # the retry is not due yet
    assert all(r.attempts == 1 for r in outbox_rows())
    tick(start + timedelta(minutes=1))
    assert all(r.attempts == 2 for r in outbox_rows())

    mailbox.start()
    _ticks(start + timedelta(minutes=3), times=5)
    assert {r.status for r in outbox_rows()} == {"sent"}
    assert sorted(delivered_keys(mailbox)) == sorted(r.key for r in rows)
    assert set(mailbox.message_ids().values()) == {1}


def test_tick_command_takes_vietnam_time_or_an_offset(app, org, make_case, mailbox):
    case = set_due(make_case(S.INVESTIGATING), DUE)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "tick", "--now", "2027-01-15T08:00"])
    assert result.exit_code == 0, result.output
    assert "tick at 2027-01-15T08:00+07:00" in result.output
    assert "reminders: 1 alert in 1 e-mail" in result.output
    assert "outbox: 3 sent" in result.output  # the reminder and two digests

    same = runner.invoke(args=["scheduler", "tick", "--now", "2027-01-15T01:00+00:00"])
    assert "reminders: 0 alerts in 0 e-mails" in same.output
    assert "outbox: 0 sent" in same.output
    assert alerts_delivered(mailbox, "reminder") == {(case.id, DUE, 3, org.inspector.id): 1}

    bad = runner.invoke(args=["scheduler", "tick", "--now", "15/01/2027"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_a_failing_job_does_not_stop_the_others(org, make_case, mailbox, mail_settings):
    mail_settings["REMINDER_WORKING_DAYS"] = "three"
    set_due(make_case(S.INVESTIGATING), DUE)
    summary = tick(at(date(2027, 1, 15)))
    assert summary["reminders"].startswith("failed: ValueError")
    assert summary["digests"] == "2"
    assert summary["outbox"].startswith("2 sent")

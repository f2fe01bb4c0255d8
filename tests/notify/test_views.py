"""In-app notifications with their unread count, and the administrators' outbox page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from inspect_app.scheduler.jobs import tick
from tests.cases.conftest import drive
from tests.helpers import current_code, login, totp_secret_from_page
from tests.notify.conftest import at, outbox_rows, set_due

S = CaseStatus


def _menu_count(html: str) -> int:
    match = re.search(r"data-unread-count>(\d+)<", html)
    assert match, "the menu shows the notifications link"
    return int(match.group(1))


@pytest.fixture
def english(org):
    for user in (org.inspector, org.inspector2, org.admin):
        user.locale = "en"
    db.session.commit()


def test_an_officer_sees_the_reminder_in_the_app_and_marks_it_read(client, org, make_case, english):
    case = set_due(make_case(S.INVESTIGATING), date(2027, 1, 20))
    tick(at(date(2027, 1, 15)))  # no SMTP server configured: e-mails stay queued
    assert login(client, org.inspector).status_code == 302

    page = client.get("/notifications").get_data(as_text=True)
    assert _menu_count(page) == 1
    assert f"Reminder: case #{case.id} is due on 20/01/2027" in page
    assert f'href="/cases/{case.id}"' in page
    assert "Unread" in page
    assert _menu_count(client.get("/cases").get_data(as_text=True)) == 1

    assert client.post("/notifications/read").status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert _menu_count(page) == 0 and "Unread" not in page
    assert f"Reminder: case #{case.id}" in page  # still listed, now read


def test_notifications_are_private_to_their_officer(client, org, make_case):
    set_due(make_case(S.INVESTIGATING), date(2027, 1, 20))
    tick(at(date(2027, 1, 15)))
    login(client, org.inspector2)
    page = client.get("/notifications").get_data(as_text=True)
    assert "#1 " not in page and 'data-testid="notifications"' not in page


def test_notifications_need_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _admin_client(app, admin):
    client = app.test_client()
    login(client, admin)
    secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
    client.post("/login/enrol", data={"code": current_code(secret)})
    return client


def test_the_admin_outbox_shows_queued_rows_with_masked_recipients(app, org, make_case, english):
    case = make_case(S.NEW, named=True, email_updates=True)
    drive(case, org, S.ACCEPTED)  # a reporter e-mail
    set_due(case, date(2027, 1, 20))
    tick(at(date(2027, 1, 15)))  # a reminder to the team lead, and digests
    assert {row.kind for row in outbox_rows()} >= {"reporter", "reminder"}

    page = _admin_client(app, org.admin).get("/admin/outbox").get_data(as_text=True)
    assert 'data-testid="smtp-not-configured"' in page
    assert re.search(r'data-testid="count-pending">\s*(\d+)', page).group(1) == str(
        len(outbox_rows())
    )
    assert "(reporter)" in page and "an@example.vn" not in page
    lead_local, domain = org.lead.email.split("@")
    assert f"{lead_local[0]}***@{domain}" in page and org.lead.email not in page
    assert "Deadline reminder" in page and "Progress e-mail to a reporter" in page


def test_only_administrators_see_the_outbox(client, org):
    login(client, org.lead)
    assert client.get("/admin/outbox").status_code == 403

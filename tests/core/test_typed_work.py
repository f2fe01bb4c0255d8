"""Typed work is never lost: a note, reason or outcome sent after the staff session
expired, or with a stale CSRF token, comes back on its page after logging in
again — for the officer who typed it, once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from inspect_app.cases.models import CaseNote
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.typed_work import COOKIE, KeptText
from inspect_app.extensions import db
from tests.cases.conftest import drive, new_report
from tests.factories import PASSWORD
from tests.helpers import login

NOTE = "Đã làm việc với chủ cơ sở; hẹn nộp hóa đơn chứng từ trước 15/12."


def _expire(client) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = 1  # idle for decades


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, name
    return found.group(1).strip()


def test_a_note_sent_after_the_session_expired_is_back_after_login(app, org):
    case = drive(new_report(org.team).report.case, org, CaseStatus.INVESTIGATING)
    client = app.test_client()
    login(client, org.inspector)
    _expire(client)
    response = client.post(f"/cases/{case.id}/notes", data={"note-body": NOTE})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/cases/{case.id}"
    assert COOKIE in response.headers.get("Set-Cookie", "")
    assert _count(CaseNote) == 0 and _count(KeptText) == 1
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "được giữ lại" in login_page

    response = client.post(
        f"/login?next=/cases/{case.id}", data={"email": org.inspector.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == f"/cases/{case.id}", "the page, not the POST URL"
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _textarea(html, "note-body") == NOTE
    assert "đã được khôi phục" in html
    assert _count(KeptText) == 0, "given back once"
    assert _textarea(client.get(f"/cases/{case.id}").get_data(as_text=True), "note-body") == ""
    assert _count(CaseNote) == 0, "nothing was submitted without the officer"


def test_a_reason_comes_back_in_its_open_action_form(app, org):
    case = drive(new_report(org.team).report.case, org, CaseStatus.CLOSED)
    client = app.test_client()
    login(client, org.lead)
    _expire(client)
    reason = "Biên bản tiêu hủy chưa có chữ ký của chủ cơ sở."
    client.post(f"/cases/{case.id}/actions/reopen", data={"reopen-reason": reason})
    client.post(
        f"/login?next=/cases/{case.id}", data={"email": org.lead.email, "password": PASSWORD}
    )
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _textarea(html, "reopen-reason") == reason
    panel = html.split('name="reopen-reason"', 1)[0].rsplit("<details", 1)[1]
    assert panel.startswith(' class="action-panel" open'), "the form is open"


def test_another_officer_on_the_same_browser_does_not_get_it(app, org):
    case = drive(new_report(org.team).report.case, org, CaseStatus.INVESTIGATING)
    client = app.test_client()
    login(client, org.inspector)
    _expire(client)
    client.post(f"/cases/{case.id}/notes", data={"note-body": NOTE})
    client.post("/login", data={"email": org.inspector2.email, "password": PASSWORD})
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert NOTE not in html
    assert _count(KeptText) == 0, "and it is gone"


def test_nothing_is_kept_for_a_request_without_a_session(app, org):
    case = drive(new_report(org.team).report.case, org, CaseStatus.INVESTIGATING)
    response = app.test_client().post(f"/cases/{case.id}/notes", data={"note-body": NOTE})
    assert response.status_code == 302
    assert _count(KeptText) == 0


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_stale_csrf_token_keeps_the_text_and_returns_to_the_page(app, org, csrf_on):
    case = drive(new_report(org.team).report.case, org, CaseStatus.INVESTIGATING)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"email": org.inspector.email, "password": PASSWORD, "csrf_token": token}
    )
    response = client.post(
        f"/cases/{case.id}/notes", data={"note-body": NOTE, "csrf_token": "stale"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.id}"
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _textarea(html, "note-body") == NOTE
    assert "Biểu mẫu đã hết hạn" in html
    assert _count(CaseNote) == 0


def test_a_page_without_a_matching_form_shows_the_text_to_copy(app, org, make_user):
    from inspect_app.accounts.permissions import Role

    staff = make_user(Role.ASSOCIATION_STAFF)
    client = app.test_client()
    login(client, staff)
    _expire(client)
    client.post("/stats/drafts/new", data={"title": "Quý IV", "commentary": "Nhận xét dài…"})
    client.post("/login?next=/stats/drafts/new", data={"email": staff.email, "password": PASSWORD})
    html = client.get("/stats/drafts/new").get_data(as_text=True)
    box = html.split('data-testid="kept-text"', 1)[1].split("</section>", 1)[0]
    assert "Nhận xét dài…" in box

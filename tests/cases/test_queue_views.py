"""The queue's room: saved views as chips, the filter button's count, counts capped for
large match sets, the export of what is listed (only cases within reach, audited),
and bulk actions checked and audited case by case with a summary."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from inspect_app.audit.models import AuditEvent
from inspect_app.cases import queue as queue_module
from inspect_app.cases import transitions
from inspect_app.cases.models import Case
from inspect_app.cases.saved_views import SavedView
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from tests.cases.conftest import drive
from tests.cases.test_queue import _file, _listed, _log_in_fully

S = CaseStatus


def _client(app, user):
    client = app.test_client()
    _log_in_fully(client, user)
    return client


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>([^<]*)</div>', html))


# --- Views and filters ------------------------------------------------------------


def test_builtin_views_are_chips_and_the_current_one_is_marked(app, org):
    mine = drive(_file(org.team, "Sữa bột Similac"), org, S.ASSIGNED)  # to org.inspector
    other = drive(_file(org.team, "Dầu gội Clear"), org, S.ACCEPTED)
    html = _client(app, org.inspector).get("/cases?assignee=mine").get_data(as_text=True)
    chips = html.split('data-testid="views"', 1)[1].split("</nav>", 1)[0]
    assert [re.sub(r"\s+", " ", c) for c in re.findall(r">([^<>]+)</a>", chips)] == [
        "Của tôi",
        "Chờ phân loại",
        "Quá hạn",
        "Sắp đến hạn",
    ]
    assert re.search(r'aria-current="page">Của tôi<', chips)
    assert "<h1>Việc của tôi</h1>" in html
    assert _listed(html) == [mine.id] and other.id not in _listed(html)


def test_the_filter_button_counts_the_filters_in_use(app, org):
    client = _client(app, org.lead)
    html = client.get("/cases").get_data(as_text=True)
    assert 'data-testid="filter-count"' not in html
    html = client.get("/cases?status=new&due=overdue&q=sữa&sort=age").get_data(as_text=True)
    assert re.search(r'data-testid="filter-count">2<', html), "search and sort are not filters"


def test_an_officer_saves_a_view_and_gets_it_back_as_a_chip(app, org):
    case = _file(org.team, "Sữa bột Similac")
    client = _client(app, org.lead)
    response = client.post(
        "/cases/views", data={"view-name": "Sữa chờ xử lý", "view-query": "q=sua&status=new"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases?q=sua&status=new"
    html = client.get("/cases?status=new&q=sua").get_data(as_text=True)
    assert re.search(r'aria-current="page">Sữa chờ xử lý<', html)
    assert _listed(html) == [case.id]
    # Only the officer's own: another lead of the team sees no such chip and cannot
    # delete it.
    view = db.session.scalar(select(SavedView))
    other = _client(app, org.other_lead)
    assert "Sữa chờ xử lý" not in other.get("/cases").get_data(as_text=True)
    assert other.post(f"/cases/views/{view.id}/delete").status_code == 404
    assert client.post(f"/cases/views/{view.id}/delete").status_code == 303
    assert db.session.scalar(select(SavedView)) is None


def test_a_view_without_filters_or_name_is_refused(app, org):
    client = _client(app, org.lead)
    response = client.post("/cases/views", data={"view-name": "Tất cả", "view-query": ""})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hãy chọn bộ lọc trước" in html
    assert db.session.scalar(select(SavedView)) is None


def test_counts_of_a_large_match_set_are_capped_and_say_so(app, org, monkeypatch):
    for product in ("Sữa bột Similac", "Sữa tắm Dove", "Sữa chua Vinamilk"):
        _file(org.team, product)
    client = _client(app, org.lead)
    html = client.get("/cases?q=sua").get_data(as_text=True)
    assert re.search(r'data-testid="queue-total">3 vụ việc', html)
    monkeypatch.setattr(queue_module, "COUNT_CAP", 2)
    html = client.get("/cases?q=sua").get_data(as_text=True)
    assert re.search(r'data-testid="queue-total">Hơn 2 vụ việc', html)
    assert "quá nhiều để đếm theo từng trạng thái" in html
    assert len(_listed(html)) == 3, "the list itself is complete"


# --- Export -----------------------------------------------------------------------


def test_the_export_lists_only_cases_within_reach_and_is_audited(app, org):
    ours = _file(org.team, '=HYPERLINK("http://x") Sữa bột')
    theirs = _file(org.other_team, "Rượu vang Pháp")
    client = _client(app, org.lead)
    response = client.get("/cases/export.csv?status=all")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Số vụ việc", "Vụ việc"]
    assert [r[0] for r in rows[1:]] == [str(ours.id)]
    assert rows[1][1].startswith("'="), "a formula is written as text"
    assert "Rượu vang" not in response.get_data(as_text=True)
    events = _events("queue.export")
    assert len(events) == 1 and events[0].actor_id == org.lead.id
    assert events[0].data == {
        "format": "csv",
        "filters": {"status": "all"},
        "cases": 1,
        "truncated": False,
    }
    director = _client(app, org.director)
    book = load_workbook(io.BytesIO(director.get("/cases/export.xlsx?status=all").get_data()))
    sheet = book.worksheets[0]
    ids = sorted(int(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True))
    assert ids == sorted([ours.id, theirs.id]), "the director's province"
    far = _client(app, org.other_director)
    far_rows = far.get("/cases/export.csv?status=all").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(far_rows)))) == 1, "only the header"


def test_export_needs_the_queue_permission(app, org):
    assert _client(app, org.association).get("/cases/export.csv").status_code == 403
    assert app.test_client().get("/cases/export.csv").status_code == 302


# --- Bulk actions -----------------------------------------------------------------


def _bulk(client, action: str, ids, **fields):
    data = {"bulk-action": action, "bulk-case_ids": [str(i) for i in ids], "back": "/cases"}
    data.update({f"bulk-{k}": v for k, v in fields.items()})
    return client.post("/cases/bulk", data=data)


def test_bulk_accept_reports_what_was_done_and_what_was_refused(app, org):
    first = _file(org.team, "Sữa bột Similac")
    second = _file(org.team, "Dầu gội Clear")
    done = drive(_file(org.team, "Bột giặt Omo"), org, S.ACCEPTED)
    client = _client(app, org.lead)
    response = _bulk(client, "accept", [first.id, done.id, second.id])
    assert response.status_code == 303
    html = client.get("/cases").get_data(as_text=True)
    flashes = _flashes(html)
    assert "Đã thụ lý 2 vụ việc." in flashes
    assert f"1 vụ việc bị từ chối — #{done.id}: " in flashes
    assert "không thể thực hiện “Thụ lý”" in flashes
    db.session.expire_all()
    assert {db.session.get(Case, c.id).status for c in (first, second)} == {"accepted"}
    assert sorted(e.case_id for e in _events("case.accept")) == sorted(
        [first.id, second.id, done.id]
    ), "one event per case (the third was accepted before)"


def test_bulk_assign_each_case_with_its_own_event_and_refusals_listed(app, org):
    first = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    second = drive(_file(org.team, "Dầu gội Clear"), org, S.ACCEPTED)
    new = _file(org.team, "Bột giặt Omo")
    client = _client(app, org.lead)
    response = _bulk(client, "assign", [first.id, new.id, second.id], assignee=org.inspector2.id)
    assert response.status_code == 303
    flashes = _flashes(client.get("/cases").get_data(as_text=True))
    assert "Đã phân công 2 vụ việc cho Phạm Thu Hà." in flashes
    assert f"#{new.id}:" in flashes
    for case in (first, second):
        case = db.session.get(Case, case.id)
        assert case.status == "assigned" and case.assignee_id == org.inspector2.id
    events = _events("case.assign")
    assert sorted(e.case_id for e in events) == sorted([first.id, second.id])
    assert {(e.actor_id, e.data["assignee"]) for e in events} == {(org.lead.id, org.inspector2.id)}


def test_select_all_on_the_page_without_script(app, org):
    cases = [_file(org.team, p) for p in ("Sữa bột Similac", "Dầu gội Clear")]
    client = _client(app, org.lead)
    page_ids = ",".join(str(c.id) for c in cases)
    response = client.post(
        "/cases/bulk",
        data={"bulk-action": "accept", "bulk-all_on_page": "y", "bulk-page_ids": page_ids},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Case, c.id).status for c in cases} == {"accepted"}


def test_bulk_send_to_another_team(app, org):
    case = _file(org.team, "Sữa bột Similac")
    client = _client(app, org.lead)
    _bulk(client, "route", [case.id], team=org.other_team.id, reason="Địa bàn của đội 2.")
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.team_id == org.other_team.id and case.status == "new"
    assert _events("case.route")[0].data["reason"] == "Địa bàn của đội 2."


def test_bulk_with_a_case_out_of_reach_does_nothing(app, org):
    ours = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    theirs = _file(org.other_team, "Rượu vang Pháp")
    transitions.accept_case(org.other_lead, theirs)
    db.session.commit()
    versions = {c.id: c.version for c in (ours, theirs)}
    client = _client(app, org.lead)
    for ids in ([ours.id, theirs.id], [theirs.id, ours.id]):
        response = _bulk(client, "assign", ids, assignee=org.inspector.id)
        assert response.status_code == 404
        assert "Rượu vang" not in response.get_data(as_text=True)
    db.session.expire_all()
    for case_id, version in versions.items():
        case = db.session.get(Case, case_id)
        assert case.status == "accepted" and case.assignee_id is None
        assert case.version == version
    assert _events("case.assign") == []


@pytest.mark.parametrize("person", ["inspector", "director"])
def test_bulk_actions_are_refused_to_inspectors_and_directors(app, org, person):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    client = _client(app, getattr(org, person))
    response = _bulk(client, "assign", [case.id], assignee=org.inspector.id)
    assert response.status_code == 403
    assert db.session.get(Case, case.id).assignee_id is None
    html = client.get("/cases").get_data(as_text=True)
    assert 'id="bulk-form"' not in html

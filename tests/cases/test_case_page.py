"""The case page's room: deadlines met or missed once a case has ended (never a live
countdown), where a merged case went, officers' names on the timeline, merging by
tapping a suggestion, the assign list, and messages that read as sentences."""

from __future__ import annotations

import re
from datetime import timedelta

from inspect_app.cases import transitions
from inspect_app.cases.deadlines import local_day
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.extensions import db
from tests.cases.conftest import drive
from tests.cases.test_queue import _file, _log_in_fully

S = CaseStatus


def _client(app, user):
    client = app.test_client()
    _log_in_fully(client, user)
    return client


def _milestone(html: str, key: str) -> str:
    found = re.search(rf'data-testid="milestone-{key}">(.*?)</li>', html, re.S)
    assert found, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_a_closed_case_shows_each_deadline_met_or_missed(app, org):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.CLOSED)
    # Resolved four days after its deadline.
    case.resolve_due = local_day(case.resolved_at) - timedelta(days=4)
    db.session.commit()
    html = _client(app, org.lead).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "đúng hạn" in _milestone(html, "accept")
    assert "trễ 4 ngày" in _milestone(html, "resolve")
    assert 'data-testid="deadline-tag"' not in html, "no live countdown"
    assert "còn" not in _milestone(html, "resolve")


def test_a_merged_case_says_where_it_went(app, org):
    target = drive(_file(org.team, "Sữa bột Similac 900g"), org, S.ACCEPTED)
    source = _file(org.team, "Sua bot Similac")
    transitions.merge_case(org.lead, source, target=target)
    db.session.commit()
    html = _client(app, org.inspector).get(f"/cases/{source.id}").get_data(as_text=True)
    notice = html.split('data-testid="merged-into"', 1)[1].split("</div>", 1)[0]
    assert f'href="/cases/{target.id}"' in notice and "Sữa bột Similac 900g" in notice
    assert "đúng hạn" in _milestone(html, "accept"), "the merge decided it"
    assert 'data-testid="deadline-tag"' not in html


def test_an_open_case_counts_down_its_current_deadline(app, org):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.INVESTIGATING)
    html = _client(app, org.inspector).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "đúng hạn" in _milestone(html, "accept")
    assert re.search(r"còn \d+ ngày làm việc", _milestone(html, "resolve"))
    assert 'data-testid="deadline-tag"' in html


def test_the_timeline_names_officers_not_their_addresses(app, org):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.ASSIGNED)
    html = _client(app, org.director).get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Trần Thị Lan" in timeline
    assert org.lead.email not in timeline


def test_merge_by_tapping_a_suggestion_then_confirming(app, org):
    target = drive(
        _file(org.team, "Sữa bột Similac 900g", seller="Tạp hóa Bình Minh"), org, S.ACCEPTED
    )
    source = _file(org.team, "Sua bot Similac", seller="Tap hoa Binh Minh")
    client = _client(app, org.lead)
    html = client.get(f"/cases/{source.id}").get_data(as_text=True)
    link = f"/cases/{source.id}/merge/{target.id}"
    assert f'href="{link}"' in html
    confirm = client.get(link)
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert f"Gộp vụ #{source.id} vào vụ #{target.id}?" in page
    assert db.session.get(Case, source.id).status == "new", "nothing happens before confirming"
    response = client.post(
        f"/cases/{source.id}/actions/merge",
        data={"merge-target": target.id, "version": source.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, source.id).merged_into_id == target.id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Đã gộp vụ việc vào vụ #{target.id}." in html


def test_the_merge_confirmation_refuses_what_cannot_be_merged(app, org):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    other = _file(org.team, "Dầu gội Clear")
    client = _client(app, org.lead)
    response = client.get(f"/cases/{case.id}/merge/{other.id}")
    assert response.status_code == 303, "an accepted case is merged no more"
    theirs = _file(org.other_team, "Rượu vang Pháp")
    assert client.get(f"/cases/{other.id}/merge/{theirs.id}").status_code == 404


def test_the_assign_list_starts_with_a_prompt_and_shows_open_cases(app, org):
    drive(_file(org.team, "Bột giặt Omo"), org, S.ASSIGNED)  # to org.inspector
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    html = _client(app, org.lead).get(f"/cases/{case.id}").get_data(as_text=True)
    select = html.split('id="assign-assignee"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert options[0] == "Chọn kiểm soát viên…"
    assert "Lê Văn Minh — 1 vụ đang xử lý" in options
    assert "Phạm Thu Hà — 0 vụ đang xử lý" in options
    # Submitting the prompt is refused with a message, not a 500.
    response = _client(app, org.lead).post(
        f"/cases/{case.id}/actions/assign", data={"assign-assignee": ""}
    )
    assert response.status_code == 400
    assert "Chọn một kiểm soát viên." in response.get_data(as_text=True)


def test_messages_after_an_action_read_as_sentences(app, org):
    case = drive(_file(org.team, "Sữa bột Similac"), org, S.ACCEPTED)
    client = _client(app, org.lead)
    response = client.post(
        f"/cases/{case.id}/actions/assign",
        data={"assign-assignee": org.inspector2.id},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Đã phân công vụ việc cho Phạm Thu Hà." in html
    assert "Đã thực hiện" not in html

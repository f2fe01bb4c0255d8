"""The case queue: who sees which cases, every filter, accent-insensitive search,
keyset pagination in every sort order, counts per state, deadline highlighting,
bulk assignment, and 400 (never 500) for filter values that make no sense."""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from inspect_app.accounts.models import Team
from inspect_app.cases import queue_views, transitions
from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.cases.models import Case, Category, IntakeChannel, LocationType
from inspect_app.cases.queue import InvalidCursor, QueueFilters, encode_cursor, queue_page
from inspect_app.cases.workflow import CaseStatus
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import (
    AssociationIntake,
    ReportDraft,
    ReporterIdentity,
    submit_report,
)
from tests.cases.conftest import drive
from tests.helpers import current_code, login, totp_secret_from_page

S = CaseStatus
TODAY = date(2026, 12, 2)  # a Wednesday with no holiday near it
CALENDAR = WorkingCalendar()
OPEN = [s.value for s in (S.NEW, S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING)]


def _log_in_fully(client, user) -> None:
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


def _file(
    team: Team,
    product: str,
    *,
    seller: str = "Cơ sở Minh Long",
    description: str = "Nghi vấn vi phạm.",
    category: str = "counterfeit",
    ward: int = 0,
    named: bool = False,
    association=None,
    received: datetime | None = None,
) -> Case:
    """A report filed the way intake files it, opening a case of `team`."""
    category_id = db.session.scalar(select(Category.id).where(Category.code == category))
    identity = (
        ReporterIdentity(name="Nguyễn Văn An", phone="0912345678") if named or association else None
    )
    draft = ReportDraft(
        category_id=category_id,
        product=product,
        description=description,
        location_type=LocationType.PHYSICAL,
        province_code=team.office.province_code,
        ward_code=team.wards[ward].code,
        seller_name=seller,
        street_address="12 Phố Huế",
        identity=identity,
        consent=identity is not None,
        formal_denunciation=named,
    )
    intake = (
        AssociationIntake(
            staff=association,
            channel=IntakeChannel.HOTLINE,
            received_on=date(2026, 11, 20),
            reference="HBV-2026-118",
        )
        if association
        else None
    )
    submission = submit_report(draft, [], get_storage(), association=intake, now=received)
    db.session.commit()
    case = submission.report.case
    assert case.team_id == team.id
    return case


def _far_team() -> Team:
    return db.session.scalar(select(Team).where(Team.code == "HCM-DOI01"))


def _ids(user, **filters) -> set[int]:
    options = {k: filters.pop(k) for k in ("cursor", "page_size") if k in filters}
    page = queue_page(user, QueueFilters(**filters), today=TODAY, calendar=CALENDAR, **options)
    return {case.id for case in page.cases}


def _listed(html: str) -> list[int]:
    """Case ids in the order the queue table lists them."""
    table = html.split('data-testid="queue"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'<tr class="queue-card[^"]*" data-case-id="(\d+)"', table)]


def _set(case: Case, **values) -> None:
    for name, value in values.items():
        setattr(case, name, value)
    db.session.commit()


# --- Scope ------------------------------------------------------------------------


@pytest.fixture
def scoped(org):
    ours = {_file(org.team, "Sữa bột Similac").id, _file(org.team, "Dầu gội Clear").id}
    theirs = {_file(org.other_team, "Rượu vang Pháp").id}
    far = {_file(_far_team(), "Nước hoa Chanel").id}
    return {"ours": ours, "theirs": theirs, "far": far}


SCOPE = {
    "inspector": ("ours",),
    "lead": ("ours",),
    "other_lead": ("theirs",),
    "other_inspector": ("theirs",),
    "director": ("ours", "theirs"),  # the province's director
    "other_director": ("far",),  # another province's
}


@pytest.mark.parametrize("person", list(SCOPE))
def test_each_person_sees_their_scope_and_nothing_else(app, org, scoped, person):
    user = getattr(org, person)
    expected = set().union(*(scoped[part] for part in SCOPE[person]))
    assert _ids(user) == expected
    assert _ids(user, statuses=[]) == expected
    client = app.test_client()
    _log_in_fully(client, user)
    response = client.get("/cases?status=all")
    assert response.status_code == 200
    assert set(_listed(response.get_data(as_text=True))) == expected


def test_an_admin_reads_no_queue_unless_the_deployment_allows_it(app, org, scoped):
    client = app.test_client()
    _log_in_fully(client, org.admin)
    assert client.get("/cases?status=all").status_code == 403
    assert _ids(org.admin) == set()
    app.config["ADMINS_READ_CASES"] = True
    try:
        response = client.get("/cases?status=all")
        assert response.status_code == 200
        everything = scoped["ours"] | scoped["theirs"] | scoped["far"]
        assert set(_listed(response.get_data(as_text=True))) == everything
    finally:
        app.config["ADMINS_READ_CASES"] = False


def test_an_inspector_sees_the_whole_team_not_only_their_own(org, scoped):
    case = db.session.get(Case, min(scoped["ours"]))
    drive(case, org, S.ASSIGNED)
    assert case.assignee_id == org.inspector.id
    assert _ids(org.inspector2) == scoped["ours"]


# --- Filters ----------------------------------------------------------------------


@pytest.fixture
def varied(org):
    """Cases of org.team that differ in one respect each."""
    at = partial(datetime, tzinfo=UTC)
    cases = {
        # 23:30 on 9 Nov in Vietnam.
        "a": _file(org.team, "Sữa bột Similac", received=at(2026, 11, 9, 16, 30)),
        # 00:30 on 10 Nov in Vietnam, though still 9 Nov in UTC.
        "b": _file(
            org.team,
            "Nước mắm Nam Ngư",
            category="food_safety",
            ward=1,
            named=True,
            received=at(2026, 11, 9, 17, 30),
        ),
        "c": _file(
            org.team,
            "Nồi cơm điện Sunhouse",
            association=org.association,
            received=at(2026, 11, 15, 3, 0),
        ),
        "d": drive(_file(org.team, "Mũ bảo hiểm Protec"), org, S.ASSIGNED),
        "e": _file(org.team, "Bột giặt Omo"),
        "f": drive(_file(org.team, "Thuốc lá Marlboro"), org, S.CLOSED),
        "g": drive(_file(org.team, "Bánh trung thu"), org, S.REJECTED),
    }
    drive(cases["e"], org, S.ACCEPTED)
    transitions.claim_case(org.inspector2, cases["e"])
    db.session.commit()
    due = {
        "a": TODAY - timedelta(days=3),  # overdue
        "b": TODAY,  # due today
        "c": date(2026, 12, 4),  # 2 working days on
        "d": date(2026, 12, 7),  # 3 working days on (Monday)
        "e": date(2026, 12, 8),  # 4 working days on
    }
    for key, day in due.items():
        _set(cases[key], next_due=day)
    return cases


def _keys(varied, user, **filters) -> set[str]:
    found = _ids(user, **filters)
    return {key for key, case in varied.items() if case.id in found}


def test_state_filter_defaults_to_open_cases(org, varied):
    assert _keys(varied, org.lead) == {"a", "b", "c", "d", "e"}
    assert _keys(varied, org.lead, statuses=[]) == set("abcdefg")
    assert _keys(varied, org.lead, statuses=["closed"]) == {"f"}
    assert _keys(varied, org.lead, statuses=["rejected", "closed"]) == {"f", "g"}
    assert _keys(varied, org.lead, statuses=["assigned"]) == {"d", "e"}


def test_category_ward_source_and_kind_filters(org, varied):
    food = db.session.scalar(select(Category.id).where(Category.code == "food_safety"))
    assert _keys(varied, org.lead, category_id=food) == {"b"}
    assert _keys(varied, org.lead, ward_code=org.team.wards[1].code) == {"b"}
    assert _keys(varied, org.lead, ward_code=org.team.wards[0].code) == {"a", "c", "d", "e"}
    assert _keys(varied, org.lead, source="association") == {"c"}
    assert _keys(varied, org.lead, source="citizen") == {"a", "b", "d", "e"}
    assert _keys(varied, org.lead, kind="denunciation") == {"b"}
    assert _keys(varied, org.lead, kind="complaint") == {"c"}
    assert _keys(varied, org.lead, kind="tip") == {"a", "d", "e"}


def test_assignee_filters(org, varied):
    assert _keys(varied, org.inspector, assignee="mine") == {"d"}
    assert _keys(varied, org.inspector2, assignee="mine") == {"e"}
    assert _keys(varied, org.lead, assignee="mine") == set()
    assert _keys(varied, org.lead, assignee="unassigned") == {"a", "b", "c"}
    assert _keys(varied, org.lead, assignee=str(org.inspector2.id)) == {"e"}
    assert _keys(varied, org.lead, assignee=str(org.inspector.id), statuses=[]) == {"d", "f"}


def test_deadline_filters_count_working_days(org, varied):
    assert CALENDAR.add_working_days(TODAY, 3) == date(2026, 12, 7)
    assert _keys(varied, org.lead, overdue=True) == {"a"}
    assert _keys(varied, org.lead, due_within=3) == {"b", "c", "d"}
    assert _keys(varied, org.lead, due_within=4) == {"b", "c", "d", "e"}
    assert _keys(varied, org.lead, due_within=0) == {"b"}
    # A Saturday: the next three working days end on Wednesday 9 December.
    saturday = queue_page(
        org.lead,
        QueueFilters(due_within=3),
        today=date(2026, 12, 5),
        calendar=CALENDAR,
    )
    assert {c.id for c in saturday.cases} == {varied["d"].id, varied["e"].id}


def test_received_date_range_uses_vietnamese_days(org, varied):
    nov = partial(date, 2026, 11)
    assert _keys(varied, org.lead, received_to=nov(9)) == {"a"}
    assert _keys(varied, org.lead, received_from=nov(10), received_to=nov(10)) == {"b"}
    assert _keys(varied, org.lead, received_from=nov(10), received_to=nov(15)) == {"b", "c"}
    assert _keys(varied, org.lead, received_from=nov(16)) == {"d", "e"}


def test_filters_through_the_queue_page(app, org, varied):
    client = app.test_client()
    _log_in_fully(client, org.lead)

    def keys(query: str) -> set[str]:
        response = client.get(f"/cases?{query}")
        assert response.status_code == 200, query
        found = set(_listed(response.get_data(as_text=True)))
        return {key for key, case in varied.items() if case.id in found}

    food = db.session.scalar(select(Category.id).where(Category.code == "food_safety"))
    assert keys("") == {"a", "b", "c", "d", "e"}
    assert keys("status=all") == set("abcdefg")
    assert keys("status=closed") == {"f"}
    assert keys(f"category={food}") == {"b"}
    assert keys(f"ward={org.team.wards[1].code}") == {"b"}
    assert keys("source=association") == {"c"}
    assert keys("kind=denunciation") == {"b"}
    assert keys("assignee=unassigned") == {"a", "b", "c"}
    assert keys(f"assignee={org.inspector2.id}") == {"e"}
    assert keys("received_from=2026-11-10&received_to=2026-11-15") == {"b", "c"}
    # "Overdue" and "due within" count from the real today.
    today = datetime.now(LOCAL_TZ).date()
    _set(varied["a"], next_due=today - timedelta(days=2))
    _set(varied["b"], next_due=CALENDAR.add_working_days(today, 2))
    _set(varied["c"], next_due=today + timedelta(days=60))
    for key in "de":
        _set(varied[key], next_due=today + timedelta(days=90))
    assert keys("due=overdue") == {"a"}
    assert keys("due=3") == {"b"}


# --- Search -----------------------------------------------------------------------


@pytest.fixture
def searchable(org):
    phone = _file(
        org.team,
        "Điện thoại Samsung",
        seller="Hàng giả Đồng Xuân",
        description="Bán điện thoại nhái.",
    )
    other = _file(
        org.team, "Bánh kẹo Hải Hà", seller="Siêu thị Minh Long", description="Hết hạn sử dụng."
    )
    return phone, other


SEARCHES_FINDING_THE_PHONE = (
    "dien thoai",
    "hang gia",
    "DONG XUAN",
    "Điện Thoại",
    unicodedata.normalize("NFD", "điện thoại"),
    unicodedata.normalize("NFD", "HÀNG GIẢ ĐỒNG XUÂN"),
    "samsung dong",  # words from different fields
    "  dien   THOAI ",
)


@pytest.mark.parametrize("words", SEARCHES_FINDING_THE_PHONE)
def test_search_is_accent_and_case_insensitive(org, searchable, words):
    phone, _other = searchable
    assert _ids(org.lead, search=words) == {phone.id}


@pytest.mark.parametrize("words", ["tivi sony", "dien thoai sony", "xuan thanh", "%", "_", "\\"])
def test_search_does_not_find_unrelated_words(org, searchable, words):
    assert _ids(org.lead, search=words) == set()


def test_search_through_the_queue_page(app, org, searchable):
    phone, other = searchable
    client = app.test_client()
    _log_in_fully(client, org.lead)
    for words in (*SEARCHES_FINDING_THE_PHONE, "banh keo", "tivi sony"):
        response = client.get("/cases", query_string={"q": words})
        assert response.status_code == 200, words
        expected = [other.id] if words == "banh keo" else [] if words == "tivi sony" else [phone.id]
        assert _listed(response.get_data(as_text=True)) == expected, words
    # The words stay in the search box.
    html = client.get("/cases", query_string={"q": "điện thoại"}).get_data(as_text=True)
    assert 'value="điện thoại"' in html
    # A NUL byte (no keyboard types one) is refused up front, never a database error.
    assert client.get("/cases?q=dien%00thoai").status_code == 400


# --- Keyset pagination ------------------------------------------------------------


@pytest.fixture
def seven(org):
    """Seven cases with ties in every sort key, and two without a deadline."""
    at = partial(datetime, 2026, 11, tzinfo=UTC)
    spec = [
        # (state, next_due, received_at, last_activity_at)
        (S.NEW, date(2026, 12, 3), at(10, 1), at(20, 5)),
        (S.REJECTED, None, at(10, 1), at(20, 5)),
        (S.NEW, date(2026, 12, 3), at(9, 1), at(21, 5)),
        (S.ACCEPTED, date(2026, 12, 10), at(11, 1), at(20, 5)),
        (S.CLOSED, None, at(9, 1), at(19, 5)),
        (S.NEW, date(2026, 12, 1), at(10, 1), at(21, 5)),
        (S.NEW, date(2026, 12, 3), at(12, 1), at(22, 5)),
    ]
    cases = []
    for n, (state, due, received, activity) in enumerate(spec):
        case = drive(_file(org.team, f"Hàng mẫu số {n}"), org, state)
        _set(case, next_due=due, received_at=received, last_activity_at=activity)
        cases.append(case)
    assert sum(c.next_due is None for c in cases) == 2
    return cases


def _expected_order(cases: list[Case], sort: str) -> list[int]:
    if sort == "deadline":
        key = lambda c: (c.next_due is None, c.next_due or date.min, c.id)  # noqa: E731
        return [c.id for c in sorted(cases, key=key)]
    if sort == "age":
        return [c.id for c in sorted(cases, key=lambda c: (c.received_at, c.id))]
    return [c.id for c in sorted(cases, key=lambda c: (c.last_activity_at, c.id), reverse=True)]


def _walk(user, sort: str, page_size: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = queue_page(
            user,
            QueueFilters(statuses=[], sort=sort),
            today=TODAY,
            calendar=CALENDAR,
            cursor=cursor,
            page_size=page_size,
        )
        pages.append([c.id for c in page.cases])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 10, "the walk never ends"


@pytest.mark.parametrize("sort", ["deadline", "age", "activity"])
def test_keyset_pages_have_no_duplicates_or_gaps(org, seven, sort):
    expected = _expected_order(seven, sort)
    pages = _walk(org.lead, sort, 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == expected
    for size in range(1, 9):  # a page boundary at every position
        assert [i for p in _walk(org.lead, sort, size) for i in p] == expected, size


@pytest.mark.parametrize("sort", ["deadline", "age", "activity"])
def test_next_page_links_walk_the_same_order(app, org, seven, sort, monkeypatch):
    monkeypatch.setattr(queue_views, "queue_page", partial(queue_page, page_size=3))
    client = app.test_client()
    _log_in_fully(client, org.lead)
    url, seen, pages = f"/cases?status=all&sort={sort}", [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _listed(html)
        pages += 1
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "status=all" in url and f"sort={sort}" in url, "filters stay on"
    assert pages == 3
    assert seen == _expected_order(seven, sort)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TAMPERED = [
    "garbage",
    "!!!!",
    "%%%",
    "A" * 5000,
    _b64(b"not json"),
    _b64(b"\xff\xfe\x00"),
    _b64(b"Infinity"),
    _b64(b"[1, Infinity]"),
    encode_cursor([1, 2, 3]),
    encode_cursor({"next_due": "2026-12-03", "id": 5}),
    encode_cursor(["not a date", 3]),
    encode_cursor([None, "x"]),
    encode_cursor([None, 10**30]),
    encode_cursor(["2026-12-03", -(10**30)]),
    encode_cursor(["2026-12-03", 2**31]),  # beyond the ids the database holds
]
# Meaningless only for the time-keyed sorts: a day, or a time without its offset.
TAMPERED_TIMES = [
    encode_cursor(["2026-11-10", 3]),
    encode_cursor(["2026-11-10T08:00:00", 3]),
    encode_cursor([None, 3]),
]


@pytest.mark.parametrize("sort", ["deadline", "age", "activity"])
def test_a_tampered_cursor_is_refused_with_400(app, org, seven, sort):
    cursors = TAMPERED + (TAMPERED_TIMES if sort != "deadline" else [])
    for cursor in cursors:
        with pytest.raises(InvalidCursor):
            queue_page(
                org.lead,
                QueueFilters(statuses=[], sort=sort),
                today=TODAY,
                calendar=CALENDAR,
                cursor=cursor,
                page_size=3,
            )
    client = app.test_client()
    _log_in_fully(client, org.lead)
    for cursor in cursors:
        response = client.get(
            "/cases", query_string={"status": "all", "sort": sort, "after": cursor}
        )
        assert response.status_code == 400, cursor


# --- Counts, deadline display ----------------------------------------------------


def test_counts_per_state_follow_scope_and_other_filters(app, org, varied):
    _file(org.other_team, "Rượu vang Pháp")  # another team's: never counted
    page = queue_page(org.lead, QueueFilters(), today=TODAY, calendar=CALENDAR)
    assert page.counts == {
        "new": 3,
        "accepted": 0,
        "assigned": 2,
        "investigating": 0,
        "resolved": 0,
        "closed": 1,
        "rejected": 1,
        "merged": 0,
        "transferred": 0,
    }
    # Filtered, the listed states are counted under the filters; the others are not
    # counted (that would read matches the page does not show).
    page = queue_page(
        org.lead, QueueFilters(statuses=["closed"], kind="tip"), today=TODAY, calendar=CALENDAR
    )
    assert page.counts["closed"] == 1 and (page.total, page.total_capped) == (1, False)
    assert page.counts["new"] is None and page.counts["assigned"] is None
    page = queue_page(org.lead, QueueFilters(kind="tip"), today=TODAY, calendar=CALENDAR)
    assert (page.counts["new"], page.counts["assigned"], page.counts["closed"]) == (1, 2, None)
    client = app.test_client()
    _log_in_fully(client, org.lead)
    html = client.get("/cases").get_data(as_text=True)
    counts = dict(re.findall(r"\?status=(\w+)\"[^>]*>[^<]*<span class=\"count\">(\d+)<", html))
    assert counts["new"] == "3" and counts["assigned"] == "2" and counts["closed"] == "1"


def test_overdue_cases_are_marked_in_the_queue(app, org):
    late = _file(org.team, "Sữa bột Similac")
    fine = _file(org.team, "Dầu gội Clear")
    today = datetime.now(LOCAL_TZ).date()
    _set(late, next_due=today - timedelta(days=2))
    _set(fine, next_due=today + timedelta(days=30))
    client = app.test_client()
    _log_in_fully(client, org.lead)
    html = client.get("/cases").get_data(as_text=True)
    rows = re.findall(r'<tr class="queue-card (due-\w+)" data-case-id="(\d+)"', html)
    assert dict((int(i), level) for level, i in rows) == {late.id: "due-overdue", fine.id: "due-ok"}
    assert "quá hạn 2 ngày" in html  # "%(num)d days overdue" in Vietnamese
    assert _listed(html) == [late.id, fine.id], "the most urgent first"


# --- Bad filter values ------------------------------------------------------------

BAD_FILTERS = [
    ("category=abc", "category"),
    ("category=999999", "category"),
    ("ward=abc", "ward"),
    ("status=flying", "status"),
    ("source=martians", "source"),
    ("kind=rumour", "kind"),
    ("assignee=999999", "assignee"),
    ("due=5", "due"),
    ("sort=random", "sort"),
    ("received_from=notadate", "received_from"),
    ("received_to=2026-02-30", "received_to"),
    ("received_from=0001-01-01", "received_from"),  # would overflow into year 0 in UTC
    ("received_to=9999-12-31", "received_to"),  # the day after does not exist
    ("q=" + "x" * 201, "q"),
]


@pytest.mark.parametrize(("query", "field"), BAD_FILTERS, ids=[q[:24] for q, _ in BAD_FILTERS])
def test_invalid_filter_values_are_a_400_with_the_error_summary(app, org, query, field):
    _file(org.team, "Sữa bột Similac")
    client = app.test_client()
    _log_in_fully(client, org.lead)
    response = client.get(f"/cases?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and "Vui lòng sửa các mục sau:" in html
    assert f'href="#{field}"' in html, "the summary links to the field at fault"
    assert 'data-testid="queue"' not in html, "no half-filtered results"


def test_state_counts_match_in_total(org, varied):
    page = queue_page(org.lead, QueueFilters(statuses=[]), today=TODAY, calendar=CALENDAR)
    total = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.team_id == org.team.id)
    )
    assert sum(page.counts.values()) == total == 7


def test_a_search_pages_through_every_match_in_deadline_order(org):
    """A search runs as one query (NULLS LAST, keyset over the OR): pages of two walk
    every match once, the cases without a deadline last."""
    cases = [_file(org.team, f"Sữa bột lô {n}") for n in range(5)]
    _file(org.team, "Dầu gội Clear")  # not a match
    for n, case in enumerate(cases[:4]):
        _set(case, next_due=TODAY + timedelta(days=5 - n))
    _set(cases[4], next_due=None)
    seen, cursor = [], None
    while True:
        page = queue_page(
            org.lead,
            QueueFilters(search="sua bot"),
            today=TODAY,
            calendar=CALENDAR,
            cursor=cursor,
            page_size=2,
        )
        seen += [case.id for case in page.cases]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [c.id for c in reversed(cases[:4])] + [cases[4].id]

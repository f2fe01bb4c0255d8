"""Regression tests of the penetration test's findings (issue 13): each request below
was answered with a server error. Out-of-range ids are 404, other bad values 400 with
a message, on SQLite and PostgreSQL, and nothing is stored."""

from __future__ import annotations

import base64
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from inspect_app.cases.models import Category, Report
from inspect_app.cases.queue import InvalidCursor, decode_cursor
from inspect_app.core.bounds import MAX_ID, digits_up_to
from inspect_app.core.forms import coerce_id, coerce_optional_id
from inspect_app.extensions import db
from inspect_app.reviews.models import AuditReview
from inspect_app.stats.models import StatsReport
from tests.helpers import log_in_fully

# 2**31 is the first id PostgreSQL's integer cannot hold; 10**23 is past SQLite's
# 64-bit integers; a number of 5000 digits is past what Python parses by default.
BIG_IDS = (str(2**31), str(10**23), "9" * 5000)
EXTREME_DATES = ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01")


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("code", BIG_IDS)
def test_wards_of_a_province_code_out_of_range_is_404(client, code):
    assert client.get(f"/geo/provinces/{code}/wards").status_code == 404
    assert client.get("/geo/provinces/1/wards").status_code == 200


@pytest.mark.parametrize("field", ["province", "ward"])
@pytest.mark.parametrize("value", [*BIG_IDS, "-1", "0x10", "1e3"])
def test_a_tip_naming_a_province_or_ward_out_of_range_is_refused(
    app, client, make_team, field, value
):
    team = make_team()
    form = {
        "category": str(db.session.scalar(select(Category.id).limit(1))),
        "product": "Sữa bột",
        "description": "Tem giả.",
        "location_type": "physical",
        "province": str(team.office.province_code),
        "ward": str(team.wards[0].code),
        "identity": "anonymous",
        field: value,
    }
    response = client.post("/report", data=form)
    assert response.status_code == 400
    # The value is dropped: an unknown ward is refused, the province asked for again.
    expected = "Lựa chọn không hợp lệ." if field == "ward" else "Vui lòng chọn tỉnh hoặc thành phố."
    assert expected in response.get_data(as_text=True)
    assert _count(Report) == 0


@pytest.mark.parametrize(
    "target",
    [
        "/\r\nSet-Cookie: x=1",
        "/cases\r\n",
        "/\t/evil.com",
        "/\n/evil.com",
        "//evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "https://evil.com/",
        "javascript:alert(1)",
        "/\u2028/evil.com",
        "/\u200b/evil.com",
        "evil.com",
        "",
    ],
)
def test_the_language_switch_and_login_never_leave_the_site(client, make_user, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = make_user()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": "correct horse battery"},
    )
    assert response.status_code == 302
    # Not where the `next` pointed: the officer's own work (an inspector's cases).
    assert response.headers["Location"] == "/cases?assignee=mine"


def test_local_paths_are_followed(client):
    response = client.post("/lang/en", data={"next": "/stats?year=2026"})
    assert response.headers["Location"] == "/stats?year=2026"


@pytest.mark.parametrize("ident", BIG_IDS)
def test_admin_pages_with_ids_out_of_range_are_404(app, org, ident):
    client = app.test_client()
    log_in_fully(client, org.admin)
    assert client.get(f"/admin/users/{org.admin.id}").status_code == 200
    for path in (f"/admin/users/{ident}", f"/admin/teams/{ident}"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data={"submit": "1"}).status_code == 404, path
    assert client.post(f"/admin/users/{ident}/unlock").status_code == 404


@pytest.mark.parametrize("ident", BIG_IDS)
def test_audits_and_statistics_with_ids_out_of_range_are_404(app, org, ident):
    client = app.test_client()
    log_in_fully(client, org.director)
    for path in (f"/audits/{ident}", f"/stats/{ident}", f"/stats/drafts/{ident}"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/audits/{ident}/items/1",
        f"/audits/1/items/{ident}",
        f"/stats/drafts/{ident}",
        f"/stats/drafts/{ident}/publish",
        f"/stats/{ident}/correct",
    ):
        assert client.post(path).status_code == 404, path
    assert client.get(f"/stats/{ident}.csv").status_code == 404


@pytest.mark.parametrize("day", EXTREME_DATES)
@pytest.mark.parametrize("which", ["period_start", "period_end"])
def test_an_audit_sample_with_an_extreme_date_is_refused(app, org, day, which):
    client = app.test_client()
    log_in_fully(client, org.director)
    form = {"title": "Kiểm tra quý", "period_start": "2026-01-01", "period_end": "2026-03-31"}
    form.update({"size": "5", which: day})
    response = client.post("/audits/new", data=form)
    assert response.status_code == 400
    assert "Nhập ngày trong khoảng từ 01/01/2000 đến 31/12/2100." in response.get_data(as_text=True)
    assert _count(AuditReview) == 0


@pytest.mark.parametrize("day", EXTREME_DATES)
@pytest.mark.parametrize("which", ["start", "end"])
def test_a_statistics_draft_with_an_extreme_date_is_refused(app, org, day, which):
    client = app.test_client()
    log_in_fully(client, org.association)
    form = {"period_type": "custom", "start": "2026-01-01", "end": "2026-03-31", "province": "1"}
    form[which] = day
    response = client.post("/stats/drafts/new", data=form)
    assert response.status_code == 400
    assert "Nhập ngày trong khoảng từ 01/01/2000 đến 31/12/2100." in response.get_data(as_text=True)
    assert _count(StatsReport) == 0


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("age", "0001-01-01T00:00:00+14:00"),
        ("activity", "0001-01-01T00:00:00+14:00"),
        ("age", "9999-12-31T23:59:59-12:00"),
        ("deadline", "0001-01-01"),
        ("deadline", "9999-12-31"),
    ],
)
def test_a_queue_cursor_out_of_range_is_400(app, org, sort, key):
    cursor = _cursor([key, 1])
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, sort)
    client = app.test_client()
    log_in_fully(client, org.lead)
    response = client.get("/cases", query_string={"sort": sort, "after": cursor})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.get_data(as_text=True)


@pytest.mark.parametrize("limit", [1, 9, 10, 99, 101, 2024, MAX_ID])
def test_the_id_pattern_matches_exactly_one_to_the_limit(limit):
    pattern = re.compile(digits_up_to(limit))
    numbers = {*range(0, 3000), limit - 1, limit, limit + 1, 10 * limit, 2**32, 10**10 - 1}
    for n in numbers:
        assert bool(pattern.fullmatch(str(n))) == (1 <= n <= limit), n
    assert not pattern.fullmatch("01") and not pattern.fullmatch("1٣")


@pytest.mark.parametrize("value", ["0", "-1", "2147483648", "1٣", "²", " ", "1.0", "9" * 5000])
def test_form_ids_out_of_range_cannot_be_coerced(value):
    with pytest.raises(ValueError):
        coerce_id(value)
    assert coerce_id("2147483647") == MAX_ID and coerce_optional_id("") is None


def test_the_database_refuses_a_statistics_period_out_of_range(app_ctx, org):
    """The draft that failed every time it was opened cannot be stored any more."""
    draft = StatsReport(
        title="Nháp",
        period_type="custom",
        period_start=date(1, 1, 1),
        period_end=date(9999, 12, 31),
        association_id=org.association.association_id,
        created_by=org.association,
    )
    db.session.add(draft)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

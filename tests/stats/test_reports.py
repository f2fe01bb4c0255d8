"""Drafts, publication, immutability, corrections, exports and the public pages."""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import DBAPIError

from inspect_app.audit.models import AuditEvent, AuditHead
from inspect_app.cases import transitions
from inspect_app.cases.models import Case, Category
from inspect_app.core.settings import NAME_CONFIRMED_SELLERS, set_flag
from inspect_app.extensions import db
from inspect_app.stats import services
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from tests.stats.conftest import log_in, vn

Q3 = Period.quarter(2026, 3)
PUBLISHED_AT = vn("2026-10-02 09:00")


def _publish(dataset, province_code: int | None = 1, **changes) -> StatsReport:
    staff = dataset.org.association
    report = services.create_draft(staff, Q3, province_code, now=vn("2026-10-01 15:00"))
    services.update_draft(
        report,
        title=changes.get("title", "Quý 3/2026, Hà Nội"),
        commentary=changes.get("commentary", "Số vụ việc tăng so với quý trước."),
    )
    services.publish_report(report, staff, now=PUBLISHED_AT)
    db.session.commit()
    return report


@contextmanager
def statements():
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# Publication and immutability


def test_publishing_freezes_the_snapshot_who_when_and_data_version(dataset):
    before = db.session.get(AuditHead, 1).last_seq
    report = _publish(dataset)
    assert report.is_published and report.published_at == PUBLISHED_AT
    assert report.data_version == f"s{services.SCHEMA_VERSION}.a{before}"
    assert report.data_sha256 == services.sha256(report.data_json)
    data = services.published_snapshot(report)
    assert data["report"]["title"] == "Quý 3/2026, Hà Nội"
    assert data["report"]["commentary"] == "Số vụ việc tăng so với quý trước."
    assert data["report"]["published_by"] == dataset.org.association.full_name
    assert data["report"]["published_at"] == "2026-10-02T02:00:00+00:00"
    assert data["report"]["period"] == {
        "type": "quarter",
        "start": "2026-07-01",
        "end": "2026-09-30",
    }
    assert data["report"]["scope"] == {"province_code": 1, "province_name": "Thành phố Hà Nội"}
    totals = data["totals"]
    assert (totals["resolved"], totals["received"]) == (11, 14)
    assert (totals["median_days"], totals["p90_days"]) == (15, 45)
    assert totals["within_deadline_share"] == 0.7273  # 8 / 11
    # Goods in two cases (c2 4.000.000, c7 6.000.000): their sum is withheld.
    assert (totals["fines_vnd"], totals["goods_value_vnd"]) == (46_000_000, None)
    # Received 8, 5, 1 and resolved 6, 2, 3: the small month and the next-smallest
    # are hidden in each series.
    assert data["monthly"] == [
        {"month": "2026-07", "received": 8, "resolved": 6},
        {"month": "2026-08", "received": None, "resolved": None},
        {"month": "2026-09", "received": None, "resolved": None},
    ]
    assert "sellers" not in data
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stats.publish"))
    assert event_.data == {"report": report.id, "version": 1, "sha256": report.data_sha256}


def test_a_published_report_refuses_every_change(dataset):
    report = _publish(dataset)
    with pytest.raises(services.ReportFrozen):
        services.update_draft(report, title="Khác", commentary="")
    with pytest.raises(services.ReportFrozen):
        services.publish_report(report, dataset.org.association, now=vn("2026-10-03 09:00"))
    db.session.rollback()
    # The database refuses too, whoever writes.
    for change in ({"title": "Khác"}, {"data_json": "{}"}, {"status": "draft"}):
        with pytest.raises(DBAPIError):
            db.session.execute(
                update(StatsReport).where(StatsReport.id == report.id).values(**change)
            )
        db.session.rollback()
    db.session.refresh(report)
    assert report.title == "Quý 3/2026, Hà Nội" and report.is_published
    assert services.published_snapshot(report)["totals"]["resolved"] == 11


def test_a_snapshot_that_does_not_match_its_hash_is_not_served(dataset):
    report = _publish(dataset)
    report.data_json = report.data_json.replace('"resolved": 11', '"resolved": 12')
    with pytest.raises(services.SnapshotCorrupted):
        services.published_snapshot(report)
    db.session.rollback()


def test_a_period_is_published_once_it_has_ended(dataset):
    staff = dataset.org.association
    report = services.create_draft(staff, Q3, 1, now=vn("2026-09-20 09:00"))
    with pytest.raises(services.StatsError):
        services.publish_report(report, staff, now=vn("2026-09-30 23:59"))
    services.publish_report(report, staff, now=vn("2026-10-01 00:01"))
    assert report.is_published


def test_periods_and_titles_are_checked(dataset):
    staff = dataset.org.association
    now = vn("2026-10-01 09:00")
    with pytest.raises(services.StatsError):
        services.create_draft(staff, Period.custom(date(2026, 9, 1), date(2026, 8, 1)), 1, now=now)
    with pytest.raises(services.StatsError):
        services.create_draft(staff, Period.custom(date(2020, 1, 1), date(2026, 1, 1)), 1, now=now)
    with pytest.raises(services.StatsError):
        services.create_draft(staff, Q3, 999, now=now)
    report = services.create_draft(staff, Q3, 1, now=now)
    with pytest.raises(services.StatsError):
        services.update_draft(report, title="   ", commentary="")


# The public pages read only the snapshot


def test_public_pages_show_the_frozen_figures_and_never_read_the_cases(dataset, client):
    report = _publish(dataset)
    # Later events: another case resolved in the quarter, a fine changed, a category renamed.
    case = dataset.cases["c15"]
    transitions.resolve_case(
        dataset.org.inspector,
        case,
        outcome="fine",
        fine_amount=99_000_000,
        public_summary="Phạt.",
        now=vn("2026-09-10 10:00"),
    )
    db.session.execute(update(Case).where(Case.id == dataset.cases["c1"].id).values(fine_amount=1))
    db.session.execute(
        update(Category).where(Category.code == "counterfeit").values(name_vi="Đổi tên")
    )
    db.session.commit()
    assert services.preview(report)["totals"]["resolved"] == 12  # the live figures moved

    with statements() as seen:
        page = client.get(f"/stats/{report.id}")
        listing = client.get("/stats")
        exports = [client.get(f"/stats/{report.id}.{fmt}") for fmt in ("csv", "xlsx", "json")]
    assert page.status_code == listing.status_code == 200
    assert all(r.status_code == 200 for r in exports)
    assert not [s for s in seen if " cases" in s or "categories" in s], "no live data read"
    html = page.get_data(as_text=True)
    assert "46.000.000 ₫" in html and "99.000.000" not in html
    assert "Hàng giả" in html and "Đổi tên" not in html
    assert json.loads(exports[2].get_data(as_text=True))["totals"]["resolved"] == 11
    assert report.title in listing.get_data(as_text=True)


def test_the_report_page_has_charts_tables_and_downloads(dataset, client):
    report = _publish(dataset)
    html = client.get(f"/stats/{report.id}").get_data(as_text=True)
    for figure in ("trend", "deadline", "category", "outcome", "source", "kind", "ward"):
        assert f'data-testid="figure-{figure}"' in html
    # Every figure but the trend, whose small months are hidden (one scope, so no
    # province chart): a chart, or one sentence when all its figures are hidden.
    charts = html.count('role="img"')
    assert charts + html.count('data-testid="chart-sentence"') == 6
    assert html.count("<title id=") == charts and html.count("<desc id=") == charts
    assert "Số liệu bị ẩn (x) không được vẽ trên biểu đồ." in html
    assert "style=" not in html and "<script>" not in html
    assert '<td class="num">x</td>' in html  # hidden cells
    for fmt in ("csv", "xlsx", "json"):
        assert f"/stats/{report.id}.{fmt}" in html
    assert "Similac" not in html and "Nguyễn Văn An" not in html
    for asset in ("/stats/static/stats.css", "/stats/static/stats.js"):
        assert asset in html and client.get(asset).status_code == 200


def test_drafts_and_unknown_ids_do_not_exist_publicly(dataset, client):
    draft = services.create_draft(dataset.org.association, Q3, 1, now=vn("2026-10-01 09:00"))
    db.session.commit()
    for path in (f"/stats/{draft.id}", f"/stats/{draft.id}.csv", "/stats/2147483648", "/stats/0"):
        assert client.get(path).status_code == 404, path
    assert draft.title not in client.get("/stats").get_data(as_text=True)


# Corrections


def test_a_correction_is_a_new_version_that_says_what_it_supersedes(dataset, client):
    first = _publish(dataset)
    staff = dataset.org.association
    with pytest.raises(services.StatsError):
        services.start_correction(first, staff, note="  ", now=vn("2026-10-05 09:00"))
    second = services.start_correction(
        first, staff, note="Bổ sung vụ việc số 15.", now=vn("2026-10-05 09:00")
    )
    assert (second.version, second.supersedes_id, second.is_published) == (2, first.id, False)
    assert (second.title, second.period_start) == (first.title, first.period_start)
    with pytest.raises(services.StatsError):
        services.start_correction(second, staff, note="Nữa.", now=vn("2026-10-05 09:00"))
    with pytest.raises(services.ReportFrozen):
        services.start_correction(first, staff, note="Lần hai.", now=vn("2026-10-05 09:00"))
    services.publish_report(second, staff, now=vn("2026-10-06 09:00"))
    db.session.commit()

    newer = client.get(f"/stats/{second.id}").get_data(as_text=True)
    assert 'data-testid="supersedes"' in newer and f'href="/stats/{first.id}"' in newer
    assert "Bổ sung vụ việc số 15." in newer
    older = client.get(f"/stats/{first.id}").get_data(as_text=True)
    assert 'data-testid="superseded-by"' in older and f'href="/stats/{second.id}"' in older
    data = json.loads(client.get(f"/stats/{second.id}.json").get_data(as_text=True))
    assert data["report"]["supersedes"] == {"id": first.id, "version": 1}
    assert data["report"]["correction_note"] == "Bổ sung vụ việc số 15."
    listing = client.get("/stats").get_data(as_text=True)
    assert listing.index(f"/stats/{second.id}") < listing.index(f"/stats/{first.id}")


# Exports


def _csv(client, report) -> list[dict[str, str]]:
    response = client.get(f"/stats/{report.id}.csv")
    assert response.mimetype == "text/csv"
    assert f"thong-ke-{report.id}-v1.csv" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_csv_xlsx_and_json_parse_back_to_the_same_numbers(dataset, client):
    report = _publish(dataset)
    data = services.published_snapshot(report)

    body = client.get(f"/stats/{report.id}.json").get_data()
    assert body.decode() == report.data_json
    assert services.sha256(body.decode()) == report.data_sha256
    assert json.loads(body) == data

    rows = _csv(client, report)
    assert {r["report_id"] for r in rows} == {str(report.id)}
    assert {r["period_start"] for r in rows} == {"2026-07-01"}
    totals = {r["key"]: r["value"] for r in rows if r["section"] == "totals"}
    assert totals == {
        key: "" if value is None else str(value) for key, value in data["totals"].items()
    }
    # Two cases with goods: their sum would be those two cases' values.
    assert data["totals"]["goods_value_vnd"] is None
    assert data["suppression"]["withheld"] == ["goods_value_vnd"]
    assert float(totals["within_deadline_share"]) == 0.7273
    for name, expected in data["breakdowns"].items():
        got = [r for r in rows if r["section"] == name]
        assert [(r["key"], r["value"] or None, r["suppressed"] or None) for r in got] == [
            (c["key"], None if c["value"] is None else str(c["value"]), c["suppression"])
            for c in expected
        ]
    source = {r["key"]: (r["value"], r["suppressed"]) for r in rows if r["section"] == "source"}
    assert source == {"citizen": ("", "suppressed"), "association": ("", "suppressed")}
    monthly = {r["key"]: r["value"] for r in rows if r["section"] == "resolved_by_month"}
    assert monthly == {"2026-07": "6", "2026-08": "", "2026-09": ""}

    response = client.get(f"/stats/{report.id}.xlsx")
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[:3] == ["report", "totals", "category"]
    sheet_totals = {r[0]: r[3] for r in book["totals"].iter_rows(min_row=2, values_only=True)}
    assert sheet_totals == {k: "x" if v is None else v for k, v in data["totals"].items()}
    category = [r for r in book["category"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[3], r[4]) for r in category] == [
        ("counterfeit", 6, None),
        ("smuggled", "x", "suppressed"),
        ("quality", "x", "suppressed"),
        ("food_safety", "x", "suppressed"),
    ]
    monthly_sheet = list(book["monthly"].iter_rows(min_row=2, values_only=True))
    assert monthly_sheet == [("2026-07", 8, 6), ("2026-08", "x", "x"), ("2026-09", "x", "x")]
    about = {r[0]: r[1] for r in book["report"].iter_rows(min_row=2, values_only=True)}
    assert (about["report_id"], about["data_version"]) == (report.id, report.data_version)


def test_the_json_schema_is_served_and_names_every_part(dataset, client):
    report = _publish(dataset)
    schema = client.get("/stats/schema.json")
    assert schema.status_code == 200 and schema.mimetype == "application/schema+json"
    document = schema.get_json(force=True)
    data = services.published_snapshot(report)
    assert set(document["required"]) == set(data) - {"sellers"}
    assert set(document["properties"]["totals"]["required"]) == set(data["totals"])
    cell = document["$defs"]["cell"]
    assert set(cell["required"]) == set(data["breakdowns"]["category"][0])


def test_sellers_are_named_only_when_an_admin_allows_it(dataset, client):
    set_flag(NAME_CONFIRMED_SELLERS, True)
    db.session.commit()
    report = _publish(dataset)
    data = services.published_snapshot(report)
    assert data["sellers"][0] == {"name": "Cửa hàng Minh Anh", "cases": 3, "fines_vnd": 35_000_000}
    assert "Shop Hằng Nga" not in report.data_json  # no violation found
    html = client.get(f"/stats/{report.id}").get_data(as_text=True)
    assert 'data-testid="sellers"' in html and "35.000.000 ₫" in html
    rows = _csv(client, report)
    assert ("seller_cases", "Cửa hàng Minh Anh", "3") in {
        (r["section"], r["key"], r["value"]) for r in rows
    }


def test_the_admin_setting_for_naming_sellers(dataset, client):
    log_in(client, dataset.org.admin)
    assert client.get("/admin/settings").status_code == 200
    client.post("/admin/settings", data={"stats_name_confirmed_sellers": "y"})
    report = _publish(dataset)
    assert "sellers" in services.published_snapshot(report)
    client.post("/admin/settings", data={})
    later = _publish(dataset, title="Lần hai")
    assert "sellers" not in services.published_snapshot(later)


# Pages for staff, and who may use them


def test_association_staff_build_preview_and_publish_a_quarter(dataset, client):
    log_in(client, dataset.org.association)
    assert client.get("/stats/drafts/new").status_code == 200
    response = client.post(
        "/stats/drafts/new",
        data={"period_type": "quarter", "year": "2026", "quarter": "3", "province": "1"},
    )
    assert response.status_code == 302
    draft_url = response.headers["Location"]
    report = db.session.scalar(select(StatsReport))
    assert (report.period_start, report.period_end, report.province_code) == (
        date(2026, 7, 1),
        date(2026, 9, 30),
        1,
    )
    preview = client.get(draft_url).get_data(as_text=True)
    assert 'data-testid="draft-banner"' in preview
    assert preview.count('role="img"') + preview.count('data-testid="chart-sentence"') == 6
    assert "46.000.000 ₫" in preview
    client.post(draft_url, data={"title": "Quý 3/2026", "commentary": "Nhận xét."})
    refused = client.post(f"{draft_url}/publish", data={})
    assert refused.status_code == 303 and not db.session.get(StatsReport, report.id).is_published
    published = client.post(f"{draft_url}/publish", data={"confirm": "y"})
    assert published.headers["Location"] == f"/stats/{report.id}"
    report = db.session.get(StatsReport, report.id)
    assert report.is_published and report.title == "Quý 3/2026"
    assert report.published_by_id == dataset.org.association.id

    # Now it is frozen: the draft routes refuse with 409 and the preview goes public.
    assert client.post(draft_url, data={"title": "Khác"}).status_code == 409
    assert client.post(f"{draft_url}/publish", data={"confirm": "y"}).status_code == 409
    assert client.get(draft_url).headers["Location"] == f"/stats/{report.id}"
    assert db.session.get(StatsReport, report.id).title == "Quý 3/2026"


def test_build_form_checks_its_input(dataset, client):
    log_in(client, dataset.org.association)
    for data in (
        {"period_type": "quarter", "quarter": "3"},  # no year
        {"period_type": "custom", "start": "2026-07-01"},  # no end
        {"period_type": "custom", "start": "2026-09-01", "end": "2026-07-01"},
        {"period_type": "week", "year": "2026"},
        {"period_type": "month", "year": "2026"},  # no month
        {"period_type": "quarter", "year": "2026", "quarter": "5"},
    ):
        assert client.post("/stats/drafts/new", data=data).status_code == 400, data
    assert db.session.scalar(select(func.count()).select_from(StatsReport)) == 0


def test_corrections_through_the_pages(dataset, client):
    report = _publish(dataset)
    log_in(client, dataset.org.association)
    page = client.get(f"/stats/{report.id}").get_data(as_text=True)
    assert 'id="correct"' in page
    assert client.post(f"/stats/{report.id}/correct", data={}).status_code == 303
    response = client.post(f"/stats/{report.id}/correct", data={"note": "Sửa số liệu."})
    correction = db.session.scalar(
        select(StatsReport).where(StatsReport.supersedes_id.is_not(None))
    )
    assert response.headers["Location"] == f"/stats/drafts/{correction.id}"
    page = client.get(f"/stats/{report.id}").get_data(as_text=True)
    assert 'data-testid="correction-draft"' in page and 'name="note"' not in page
    again = client.post(f"/stats/{report.id}/correct", data={"note": "Lần nữa."})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("who", "build", "publish"),
    [
        ("association", 200, True),
        ("director", 200, True),
        ("inspector", 403, False),
        ("lead", 403, False),
        ("admin", 403, False),
    ],
)
def test_who_may_build_and_publish(dataset, client, who, build, publish):
    builder = getattr(dataset.org, who) if build == 200 else dataset.org.association
    draft = services.create_draft(builder, Q3, 1, now=vn("2026-10-01 09:00"))
    db.session.commit()
    log_in(client, getattr(dataset.org, who))
    assert client.get("/stats/drafts/new").status_code == build
    assert client.get(f"/stats/drafts/{draft.id}").status_code == build
    assert client.get("/stats/drafts").status_code == build
    response = client.post(f"/stats/drafts/{draft.id}/publish", data={"confirm": "y"})
    assert db.session.get(StatsReport, draft.id).is_published is publish
    assert response.status_code == (302 if publish else 403)


def test_anonymous_visitors_see_only_published_reports(dataset, client):
    report = _publish(dataset)
    draft = services.create_draft(dataset.org.association, Q3, 1, now=vn("2026-10-03 09:00"))
    db.session.commit()
    assert client.get("/stats").status_code == 200
    assert client.get(f"/stats/{report.id}").status_code == 200
    assert 'id="correct"' not in client.get(f"/stats/{report.id}").get_data(as_text=True)
    for path in ("/stats/drafts", "/stats/drafts/new", f"/stats/drafts/{draft.id}"):
        assert client.get(path).headers["Location"].startswith("/login"), path
    client.post(f"/stats/drafts/{draft.id}/publish", data={"confirm": "y"})
    client.post(f"/stats/{report.id}/correct", data={"note": "x"})
    assert not db.session.get(StatsReport, draft.id).is_published
    assert db.session.scalar(select(func.count()).select_from(StatsReport)) == 2


def test_the_trigger_lets_drafts_change(dataset):
    """Only published rows are frozen in the database; saving a draft is an UPDATE."""
    report = services.create_draft(dataset.org.association, Q3, 1, now=vn("2026-10-01 09:00"))
    db.session.commit()
    db.session.execute(
        text("UPDATE stats_reports SET title = 'Nháp' WHERE id = :id"), {"id": report.id}
    )
    db.session.commit()
    db.session.refresh(report)
    assert report.title == "Nháp"

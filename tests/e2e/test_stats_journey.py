"""Staff of a national association build, preview and publish quarter 3/2026 for
every province; an anonymous visitor opens it on a phone and downloads the CSV with
the same totals."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from inspect_app.extensions import db
from tests.factories import PASSWORD
from tests.stats.conftest import dataset, org  # noqa: F401

pytestmark = pytest.mark.e2e
TITLE = "Thống kê vụ việc đã giải quyết, quý 3/2026"


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Địa chỉ e-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/intake/mine")  # association staff land on their intake


def _build_and_publish(browser, base: str, staff, shots) -> str:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    _log_in(page, base, staff)
    page.goto(f"{base}/stats")
    page.get_by_test_id("new-report").click()
    form = page.get_by_test_id("build-form")
    form.locator("input[name=period_type][value=quarter]").check()
    # The script that hides them may still be loading on a busy machine: wait for it.
    expect(page.locator("#start")).to_be_hidden()
    page.locator("#year").fill("2026")
    page.locator("#quarter").select_option("3")
    page.locator("#province").select_option("")
    page.screenshot(path=str(shots / "30-stats-build.png"), full_page=True)
    form.locator("[type=submit]").click()

    page.wait_for_url(re.compile(r".*/stats/drafts/\d+$"))
    assert page.get_by_test_id("draft-banner").is_visible()
    charts = page.locator("svg[role=img]")
    sentences = page.get_by_test_id("chart-sentence")
    # deadline, category, outcome, source, kind, province, ward: a chart each, or a
    # sentence where every figure is hidden; the trend has hidden months (2 cases
    # resolved in August) and is a table only.
    assert charts.count() + sentences.count() == 7
    assert charts.first.is_visible()
    assert "49.000.000 ₫" in page.get_by_test_id("key-figures").inner_text()
    page.locator("#title").fill(TITLE)
    page.locator("#commentary").fill("Phần lớn vụ việc được giải quyết trong thời hạn.")
    page.get_by_test_id("draft-form").locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/stats/drafts/\d+$"))
    page.screenshot(path=str(shots / "31-stats-preview.png"), full_page=True)
    publish = page.get_by_test_id("publish-form")
    publish.locator("#confirm").check()
    publish.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/stats/\d+$"))
    assert page.get_by_role("heading", name=TITLE).is_visible()
    page.screenshot(path=str(shots / "32-stats-published.png"), full_page=True)
    url = page.url
    context.close()
    return url


def test_staff_publish_a_quarter_and_a_visitor_downloads_it(
    live_server,
    browser,
    dataset,  # noqa: F811
    artifacts_dir,
):
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    # Only an association without a province builds a report for every province.
    dataset.org.association.association.province_code = None
    db.session.commit()
    published_url = _build_and_publish(browser, live_server, dataset.org.association, shots)

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="vi-VN", accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{live_server}/stats")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(published_url)
    figures = page.get_by_test_id("key-figures").inner_text()
    # Goods were seized or destroyed in two cases: their sum is withheld.
    assert "49.000.000 ₫" in figures and "10.000.000" not in figures
    assert (
        page.locator("svg[role=img]").count() + page.get_by_test_id("chart-sentence").count() == 7
    )
    assert "Nguyễn Văn An" not in page.content() and "Minh Anh" not in page.content()
    page.screenshot(path=str(shots / "33-stats-public-phone.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    totals = {r["key"]: r["value"] for r in rows if r["section"] == "totals"}
    assert (totals["resolved"], totals["received"]) == ("12", "15")
    assert (totals["median_days"], totals["p90_days"]) == ("17.5", "43.7")
    assert (totals["within_deadline_share"], totals["fines_vnd"]) == ("0.75", "49000000")
    provinces = {r["key"]: r["value"] for r in rows if r["section"] == "province"}
    assert provinces == {"1": "11", "79": "1"}
    context.close()

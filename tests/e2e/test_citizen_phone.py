"""A citizen on a phone (360×740): photos upload while the rest is typed, a refused
photo is explained beside the accepted one, an expired form keeps everything, the
ward is found by typing, the code fits one line and is followed without retyping;
then the two-way channel with the officers, with no identity and no officer's name
on any public page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.cases.models import Category, LocationType, Report
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.models import Photo, StagedPhoto
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake import channel, services
from inspect_app.intake.models import ReporterMessage
from inspect_app.notify.models import Notification
from tests import imaging
from tests.e2e.test_case_journey import _log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
# A loaded 2-core machine: assertions wait as long as actions do.
expect.set_options(timeout=15_000)
LEAD_NAME = "Đội trưởng Nguyễn Văn Hùng"
REPORTER = "Phạm Thị Lan"


@pytest.fixture
def hanoi_team(make_team):
    return make_team("HN-DOI01", wards=5, is_default=True)


@pytest.fixture
def csrf_on(app):
    """Form tokens checked, as in production (the test configuration turns them off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _shot(page, artifacts_dir, name: str) -> None:
    folder = artifacts_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _photo(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _fill_goods_and_place(page) -> None:
    counterfeit = db.session.scalar(select(Category.id).where(Category.code == "counterfeit"))
    page.get_by_label("Loại vi phạm").select_option(str(counterfeit))
    page.get_by_label("Sản phẩm", exact=True).press_sequentially("Sữa bột Similac 900g")
    page.get_by_label("Vấn đề là gì?").press_sequentially("Tem chống giả mờ, giá rẻ bất thường.")
    page.get_by_label("Tỉnh, thành phố").select_option("1")
    page.wait_for_selector("#ward option[value='136']", state="attached")
    page.get_by_test_id("ward-finder").press_sequentially("phuc loi")
    page.get_by_role("button", name="Phường Phúc Lợi").click()


def _uploaded(page) -> int:
    return page.locator(".staged-photo input[name='staged']").count()


def test_photos_upload_while_typing_and_the_code_is_followed_without_retyping(
    live_server, phone, hanoi_team, artifacts_dir
):
    page = phone
    page.goto(f"{live_server}/report")
    page.set_input_files(
        "#photos",
        files=[
            _photo("san-pham.jpg", imaging.jpeg_with_gps()),
            _photo("nhan.jpg", imaging.jpeg(seed="label")),
        ],
    )
    _fill_goods_and_place(page)
    assert page.locator("#ward").input_value() == "136", "the ward found by typing, no accents"
    expect(page.locator(".staged-photo img")).to_have_count(2)
    assert _uploaded(page) == 2 and page.locator("#photos").input_value() == ""
    assert db.session.scalar(select(func.count(StagedPhoto.id))) == 2, "uploaded, not yet sent"
    _shot(page, artifacts_dir, "20-citizen-form-filled-phone")
    screens = page.evaluate("document.documentElement.scrollHeight") / PHONE["height"]
    assert screens <= 3, f"the filled form is {screens:.1f} screens"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="Gửi phản ánh").click()
    code_box = page.get_by_test_id("tracking-code")
    code = code_box.inner_text().strip()
    lines = code_box.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    )
    assert lines == 1 and code_box.evaluate("e => e.scrollWidth <= e.clientWidth")
    _shot(page, artifacts_dir, "21-citizen-code-phone")
    [report] = db.session.scalars(select(Report)).all()
    assert len(report.photos) == 2 and report.ward_code == 136
    assert db.session.scalar(select(func.count(StagedPhoto.id))) == 0

    page.get_by_test_id("track-now").click()
    assert page.get_by_test_id("public-status").inner_text() == "Đã tiếp nhận"
    assert code.replace("-", "") not in page.url.upper().replace("-", "")
    assert "không áp dụng (Điều 25)" in page.get_by_test_id("rules").inner_text()
    assert "dự kiến trước ngày" in page.get_by_test_id("next-step").inner_text()
    _shot(page, artifacts_dir, "22-citizen-track-phone")


def test_a_province_and_photos_chosen_before_the_scripts_arrive_are_not_ignored(
    live_server, phone, hanoi_team
):
    """On a slow link a person picks the province and the photos while the page's
    scripts are still on their way: the wards still come and the photos still upload."""
    page = phone
    held = []
    page.route("**/static/js/*.js", lambda route: held.append(route))
    page.goto(f"{live_server}/report", wait_until="commit")
    page.wait_for_selector("#photos", state="attached")
    page.get_by_label("Tỉnh, thành phố").select_option("1")
    page.set_input_files("#photos", files=[_photo("som.jpg", imaging.jpeg(seed="early"))])
    for _ in range(100):  # both scripts asked for, and held back
        if len(held) == 2:
            break
        page.wait_for_timeout(50)
    assert len(held) == 2 and page.locator("#ward option[value='136']").count() == 0
    for route in held:
        route.continue_()
    page.unroute("**/static/js/*.js")

    page.wait_for_selector("#ward option[value='136']", state="attached")
    expect(page.locator(".staged-photo img")).to_have_count(1)
    assert page.locator("#photos").input_value() == "", "sent once, not again with the form"


def test_a_refused_photo_is_explained_beside_an_accepted_one(
    live_server, phone, hanoi_team, artifacts_dir
):
    page = phone
    page.goto(f"{live_server}/report")
    page.set_input_files(
        "#photos",
        files=[
            _photo("tot.jpg", imaging.jpeg()),
            {"name": "dong.gif", "mimeType": "image/gif", "buffer": imaging.gif()},
            _photo("qua-lon.jpg", imaging.jpeg() + b"\0" * (16 * 1024 * 1024)),
        ],
    )
    refused = page.locator(".staged-photo.is-refused")
    refused.nth(1).wait_for()
    expect(page.locator(".staged-photo img")).to_have_count(1)
    texts = refused.all_inner_texts()
    assert any("dong.gif" in t and "không được hỗ trợ" in t for t in texts)
    assert any("qua-lon.jpg" in t and "quá lớn" in t for t in texts), "checked before sending"
    assert _uploaded(page) == 1
    _shot(page, artifacts_dir, "23-citizen-refused-photo-phone")


def test_an_expired_form_keeps_the_text_and_the_photos(
    live_server, phone, hanoi_team, artifacts_dir, csrf_on
):
    page = phone
    page.goto(f"{live_server}/report")
    page.set_input_files("#photos", files=[_photo("a.jpg", imaging.jpeg(seed="kept"))])
    _fill_goods_and_place(page)
    expect(page.locator(".staged-photo img")).to_have_count(1)
    page.evaluate(
        "document.querySelector('form[data-public-form] input[name=csrf_token]').value = 'expired'"
    )
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.get_by_text("Biểu mẫu đã hết hạn").wait_for()
    expect(page.get_by_label("Sản phẩm", exact=True)).to_have_value("Sữa bột Similac 900g")
    expect(page.locator(".staged-photo img")).to_have_count(1)
    assert _uploaded(page) == 1
    _shot(page, artifacts_dir, "24-citizen-expired-form-phone")
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.get_by_test_id("tracking-code").wait_for()
    [report] = db.session.scalars(select(Report)).all()
    assert len(report.photos) == 1


def _anonymous_report(hanoi_team) -> tuple[Report, str]:
    draft = services.ReportDraft(
        category_id=db.session.scalar(select(Category.id).where(Category.code == "counterfeit")),
        product="Dầu gội Clear",
        description="Chai không có tem nhập khẩu.",
        location_type=LocationType.PHYSICAL,
        province_code=1,
        ward_code=hanoi_team.wards[0].code,
        identity=services.ReporterIdentity(name=REPORTER, phone="0912345678"),
        consent=True,
    )
    submission = services.submit_report(draft, [], get_storage())
    db.session.commit()
    return submission.report, submission.tracking_code


def test_the_reporter_answers_a_question_and_adds_a_photo_on_track(
    live_server, phone, hanoi_team, make_user, artifacts_dir
):
    lead = make_user(Role.TEAM_LEAD, team=hanoi_team, full_name=LEAD_NAME)
    report, code = _anonymous_report(hanoi_team)
    channel.ask_reporter(lead, report.case, report, "Cửa hàng mở cửa giờ nào?", now=utcnow())
    db.session.commit()

    page = phone
    page.goto(f"{live_server}/track")
    page.get_by_label("Mã tra cứu").fill(code)
    page.get_by_role("button", name="Tra cứu tiến độ").click()
    assert "Cửa hàng mở cửa giờ nào?" in page.get_by_test_id("channel-message").inner_text()
    page.get_by_test_id("answer-body").fill("Từ 8 giờ sáng đến 9 giờ tối.")
    page.get_by_test_id("answer-send").click()
    expect(page.get_by_test_id("channel-message")).to_have_count(2)

    page.get_by_text("Bổ sung thông tin hoặc ảnh").click()
    page.set_input_files("#photos", files=[_photo("them.jpg", imaging.jpeg(seed="later"))])
    page.get_by_label("Nội dung bạn muốn gửi").fill("Hôm nay cửa hàng nhập thêm hàng.")
    page.get_by_test_id("followup-send").click()
    expect(page.get_by_test_id("channel-message")).to_have_count(3)
    page.get_by_text("Tin nhắn của bạn đã được gửi").wait_for()
    _shot(page, artifacts_dir, "25-citizen-channel-phone")
    html = page.content()
    for secret in (LEAD_NAME, lead.email, REPORTER, "0912345678", code):
        assert secret not in html.replace(f'value="{code}"', ""), secret
    assert code not in page.url

    messages = db.session.scalars(select(ReporterMessage).order_by(ReporterMessage.id)).all()
    assert [m.direction for m in messages] == ["to_reporter", "from_reporter", "from_reporter"]
    assert messages[1].answers_id == messages[0].id and len(messages[2].photos) == 1
    assert db.session.scalar(select(func.count(Photo.id))) == 1
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case.question", "case.reporter_answer", "case.followup"} <= actions
    kinds = set(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == lead.id))
    )
    assert "reporter_info" in kinds


def test_switching_language_keeps_the_form_and_the_location_is_attached_on_request(
    live_server, browser, hanoi_team, artifacts_dir
):
    context = browser.new_context(
        viewport=PHONE,
        locale="vi-VN",
        geolocation={"latitude": 21.0278, "longitude": 105.8342, "accuracy": 20},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{live_server}/report")
    page.set_input_files("#photos", files=[_photo("a.jpg", imaging.jpeg(seed="lang"))])
    _fill_goods_and_place(page)
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    page.get_by_text("Đã gắn vị trí").wait_for()
    expect(page.locator(".staged-photo img")).to_have_count(1)
    page.get_by_text("Menu").click()
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Report counterfeit and poor-quality goods").wait_for()
    # The page's script gives the form back once it has loaded: wait for it.
    expect(page.locator("#product")).to_have_value("Sữa bột Similac 900g")
    expect(page.locator("#ward")).to_have_value("136")
    expect(page.locator(".staged-photo img")).to_have_count(1)
    assert _uploaded(page) == 1
    _shot(page, artifacts_dir, "26-citizen-language-switched-phone")
    page.get_by_role("button", name="Send report").click()
    page.get_by_test_id("tracking-code").wait_for()
    [report] = db.session.scalars(select(Report)).all()
    assert len(report.photos) == 1 and report.location_sealed and report.device_lat is None
    context.close()


def _noisy_jpeg(seed: int) -> bytes:
    """About 1 MB: a photo that takes a few seconds on the slowed link below."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.effect_noise((1200, 900), 50 + seed).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


def test_sending_waits_for_uploads_says_so_and_happens_once(
    live_server, phone, hanoi_team, artifacts_dir
):
    page = phone
    page.goto(f"{live_server}/report")
    _fill_goods_and_place(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 50, "uploadThroughput": 250_000, "downloadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", slow)
    page.set_input_files(
        "#photos", files=[_photo("a.jpg", _noisy_jpeg(1)), _photo("b.jpg", _noisy_jpeg(2))]
    )
    send = page.get_by_role("button", name="Gửi phản ánh")
    send.click()
    send.click(force=True)
    page.get_by_text("Đang tải ảnh").wait_for()
    _shot(page, artifacts_dir, "27-citizen-waiting-for-uploads-phone")
    page.get_by_test_id("tracking-code").wait_for(timeout=60_000)
    [report] = db.session.scalars(select(Report)).all()
    assert len(report.photos) == 2


def test_an_upload_lost_to_the_network_is_retried(live_server, phone, hanoi_team):
    page = phone
    page.goto(f"{live_server}/report")
    page.context.set_offline(True)
    page.set_input_files("#photos", files=[_photo("a.jpg", imaging.jpeg(seed="offline"))])
    page.get_by_text("Mất kết nối").wait_for()
    page.context.set_offline(False)
    page.get_by_role("button", name="Thử lại").click()
    expect(page.locator(".staged-photo img")).to_have_count(1)
    assert _uploaded(page) == 1


def test_an_officer_asks_from_the_case_page_and_reads_the_answer(
    live_server, browser, hanoi_team, make_user, artifacts_dir
):
    lead = make_user(Role.TEAM_LEAD, team=hanoi_team, full_name=LEAD_NAME)
    report, code = _anonymous_report(hanoi_team)
    officer = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    _log_in(officer, live_server, lead)
    officer.goto(f"{live_server}/cases/{report.case_id}")
    officer.get_by_text("Trao đổi với người phản ánh").click()
    officer.get_by_label("Câu hỏi cho người gửi phản ánh 1").fill("Bạn mua hàng ngày nào?")
    officer.get_by_role("button", name="Gửi câu hỏi").click()
    officer.locator(".flash-success").get_by_text("Đã gửi câu hỏi").wait_for()

    citizen = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    citizen.goto(f"{live_server}/track")
    citizen.get_by_label("Mã tra cứu").fill(code)
    citizen.get_by_role("button", name="Tra cứu tiến độ").click()
    assert LEAD_NAME not in citizen.content()
    citizen.get_by_test_id("answer-body").fill("Ngày 1 tháng 12.")
    citizen.get_by_test_id("answer-send").click()
    expect(citizen.get_by_test_id("channel-message")).to_have_count(2)

    officer.reload()
    channel_box = officer.locator("#channel")
    expect(channel_box.get_by_test_id("case-channel-message")).to_have_count(2)
    assert "Ngày 1 tháng 12." in channel_box.inner_text()
    assert "Người phản ánh trả lời câu hỏi" in officer.get_by_test_id("timeline").text_content()
    _shot(officer, artifacts_dir, "28-officer-channel-phone")
    officer.context.close()
    citizen.context.close()

"""The two-way channel's services: a reporter's follow-up joins the case and tells
its officer; an officer's question reaches the reporter; all audited, rate-limited."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.services import case_timeline
from inspect_app.cases.models import LocationType
from inspect_app.dbtypes import utcnow
from inspect_app.evidence import staging
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake import channel, services
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.models import Notification, OutboxMessage
from inspect_app.notify.services import deliver_pending
from inspect_app.sealing import crypto
from inspect_app.sealing import services as sealing
from tests import imaging
from tests.factories import PASSWORD
from tests.helpers import log_in_fully
from tests.notify.conftest import mail_settings, mailbox  # noqa: F401  (a real SMTP server)

EMAIL = "reporter@example.vn"


def _draft(org, category_id, **extra) -> services.ReportDraft:
    return services.ReportDraft(
        category_id=category_id,
        product="Nước mắm",
        description="Nhãn in lệch.",
        location_type=LocationType.PHYSICAL,
        province_code=1,
        ward_code=org["ward"],
        **extra,
    )


def _report(org, category_id, *, named: bool = False):
    draft = _draft(org, category_id)
    if named:
        draft.identity = services.ReporterIdentity(name="Trần Thị C", email=EMAIL)
        draft.consent = draft.wants_email_updates = True
    submission = services.submit_report(draft, [], get_storage())
    db.session.commit()
    return submission.report, submission.tracking_code


def _photo(seed: str, content: bytes | None = None):
    data = content or imaging.jpeg(seed=seed)
    return BytesIO(data), process_photo(data, f"{seed}.jpg")


def test_a_follow_up_joins_the_case_notifies_the_lead_and_is_on_the_timeline(
    app_ctx, org, category_id, make_user
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    report, code = _report(org, category_id)
    form_key = crypto.new_bearer_token()
    staged = staging.stage_photo(
        get_storage(), BytesIO(imaging.jpeg(seed="s")), "s.jpg", form_key=form_key, now=utcnow()
    )
    message = channel.add_followup(
        report,
        code,
        body="Cửa hàng vẫn bán, tôi chụp thêm ảnh.",
        storage=get_storage(),
        photos=[_photo("gps", imaging.jpeg_with_gps())],
        staged=[staged.token],
        form_key=form_key,
        now=utcnow(),
    )
    db.session.commit()
    assert [p.position for p in message.photos] == [0, 1] and message.photos[0].report_id
    assert message.photos[0].gps_lat is None, "anonymous: the GPS is sealed"
    keys = sealing.original_file_keys(lead, PASSWORD, report)
    assert set(keys) == {p.id for p in message.photos}
    facts = sealing.reveal_identity(lead, PASSWORD, report).photo_facts
    assert facts[message.photos[0].id]["gps_lat"] == pytest.approx(21.0285)
    notices = db.session.scalars(select(Notification).where(Notification.user_id == lead.id))
    assert "reporter_info" in {notice.kind for notice in notices}
    titles = [event.action for event in case_timeline(report.case_id)]
    assert "case.followup" in titles
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.followup"))
    assert event.actor_id is None and event.data["photos"] == 2


def test_an_officer_asks_and_the_reporter_answers(app_ctx, org, category_id, make_user):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"], full_name="Đội trưởng Hùng")
    report, code = _report(org, category_id, named=True)
    question = channel.ask_reporter(
        lead, report.case, report, "Cửa hàng mở cửa giờ nào?", now=utcnow()
    )
    db.session.commit()
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.key.endswith(f"question={question.id}"))
    )
    assert "Cửa hàng mở cửa giờ nào?" in mail.body_text and "Hùng" not in mail.body_text
    assert channel.open_questions(channel.conversation([report])) == [question]
    answer = channel.add_followup(
        report,
        code,
        body="Từ 8 giờ sáng.",
        storage=get_storage(),
        answers_id=question.id,
        now=utcnow(),
    )
    db.session.commit()
    assert answer.answers_id == question.id
    assert channel.open_questions(channel.conversation([report])) == []
    actions = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert actions["case.question"].actor_id == lead.id
    assert actions["case.reporter_answer"].actor_id is None


def test_the_receipt_and_a_question_reach_the_reporter_over_smtp(
    app,
    app_ctx,
    org,
    category_id,
    make_user,
    mailbox,  # noqa: F811  (the fixture above)
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"], full_name="Đội trưởng Hùng")
    report, code = _report(org, category_id, named=True)
    receipt = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.endswith("receipt")))
    assert code[-4:] in receipt.body_text and code not in receipt.body_text
    assert code.replace("-", "") not in receipt.body_text.replace("-", "")
    channel.ask_reporter(lead, report.case, report, "Hóa đơn ghi ngày nào?", now=utcnow())
    db.session.commit()
    assert deliver_pending(utcnow(), SmtpSettings.from_config(app.config)).sent >= 2
    received = {r.message["Subject"]: r.text for r in mailbox.to(EMAIL)}
    assert set(received) == {"Chúng tôi đã nhận phản ánh của bạn", "Câu hỏi về phản ánh của bạn"}
    assert "Hóa đơn ghi ngày nào?" in received["Câu hỏi về phản ánh của bạn"]
    assert "Hùng" not in "".join(received.values()) and code not in "".join(received.values())


def test_messages_are_rate_limited_per_address_and_the_page_comes_back(
    app, app_ctx, org, category_id
):
    _report_row, code = _report(org, category_id)
    client = app.test_client()
    app.config["FOLLOWUP_RATE_LIMIT"] = "2 per hour"
    try:
        for n in range(2):
            sent = client.post("/track/followup", data={"code": code, "body": f"Tin {n}"})
            assert sent.status_code == 200
        refused = client.post("/track/followup", data={"code": code, "body": "Tin thứ ba"})
    finally:
        app.config["FOLLOWUP_RATE_LIMIT"] = "10 per hour"
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Vui lòng chờ một lúc" in html and "Tin thứ ba" in html, "the message is kept"


def test_a_follow_up_form_sent_again_adds_nothing_and_says_it_was_sent(
    app, app_ctx, org, category_id, make_user
):
    """Reloading the page a follow-up's form led to (or a retry on a bad link) sends
    the same form again: the reporter sees "sent", the officers get one message."""
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    report, code = _report(org, category_id)
    client = app.test_client()
    page = client.post("/track", data={"code": code}).get_data(as_text=True)
    key = re.search(r'name="form_key"[^>]*value="([^"]+)"', page).group(1)
    form = {"code": code, "body": "Cửa hàng đã dời sang số 12.", "form_key": key}

    first = client.post("/track/followup", data=form)
    again = client.post("/track/followup", data=form)

    assert first.status_code == again.status_code == 200
    assert "Tin nhắn của bạn đã được gửi" in again.get_data(as_text=True)
    messages = channel.conversation([report])
    assert [m.body for m in messages] == ["Cửa hàng đã dời sang số 12."]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.followup"))
    assert len(events.all()) == 1
    notices = db.session.scalars(select(Notification).where(Notification.user_id == lead.id))
    assert [n.kind for n in notices].count("reporter_info") == 1
    next_key = re.search(r'name="form_key"[^>]*value="([^"]+)"', first.get_data(as_text=True))
    assert next_key.group(1) != key, "the next message is a new form"
    client.post("/track/followup", data={**form, "form_key": next_key.group(1), "body": "Thêm"})
    assert len(channel.conversation([report])) == 2


def test_follow_ups_are_checked_and_rate_limited_per_code(app_ctx, org, category_id, make_user):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    report, code = _report(org, category_id)
    other, other_code = _report(org, category_id)
    elsewhere = channel.ask_reporter(lead, other.case, other, "Địa chỉ?", now=utcnow())
    with pytest.raises(services.IntakeError):
        channel.ask_reporter(lead, report.case, other, "Sai vụ việc", now=utcnow())
    with pytest.raises(services.IntakeError):
        channel.add_followup(
            report,
            code,
            body="Trả lời",
            storage=get_storage(),
            answers_id=elsewhere.id,
            now=utcnow(),
        )
    with pytest.raises(services.IntakeError):
        channel.add_followup(report, code, body="  ", storage=get_storage(), now=utcnow())
    with pytest.raises(services.IntakeError):
        channel.add_followup(report, code, body="x" * 3001, storage=get_storage(), now=utcnow())
    now = utcnow()
    for n in range(channel.MESSAGES_PER_DAY):
        channel.add_followup(report, code, body=f"Thêm {n}", storage=get_storage(), now=now)
    with pytest.raises(channel.TooManyMessages):
        channel.add_followup(report, code, body="Nữa", storage=get_storage(), now=now)
    channel.add_followup(other, other_code, body="Báo khác", storage=get_storage(), now=now)


def test_the_case_page_shows_the_channel_and_sends_a_question(
    app, app_ctx, org, category_id, make_user
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"], full_name="Lê Thị Đội Trưởng")
    report, code = _report(org, category_id)
    channel.add_followup(
        report,
        code,
        body="Có thêm ảnh kệ hàng.",
        storage=get_storage(),
        photos=[_photo("shelf")],
        now=utcnow(),
    )
    db.session.commit()
    client = app.test_client()
    log_in_fully(client, lead)
    html = client.get(f"/cases/{report.case_id}").get_data(as_text=True)
    assert "Có thêm ảnh kệ hàng." in html and html.count('data-testid="case-channel-message"') == 1
    sent = client.post(
        f"/cases/{report.case_id}/reports/{report.id}/question",
        data={"report": str(report.id), "body": "Ảnh chụp lúc mấy giờ?"},
    )
    assert sent.status_code == 302
    html = client.get(f"/cases/{report.case_id}").get_data(as_text=True)
    assert "Câu hỏi của Lê Thị Đội Trưởng" in html, "officers see who asked"
    public = app.test_client().post("/track", data={"code": code}).get_data(as_text=True)
    assert "Ảnh chụp lúc mấy giờ?" in public and "Đội Trưởng" not in public
    other = make_user(Role.TEAM_LEAD, team=org["other_team"])
    stranger = app.test_client()
    log_in_fully(stranger, other)
    refused = stranger.post(
        f"/cases/{report.case_id}/reports/{report.id}/question", data={"body": "?"}
    )
    assert refused.status_code == 404, "a case out of reach is not there"


def test_an_anonymous_reporters_location_is_sealed_on_the_case_page(
    app, app_ctx, org, category_id, make_user
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    draft = _draft(org, category_id, location=services.device_location("21.0278", "105.8342", "30"))
    report = services.submit_report(draft, [], get_storage()).report
    db.session.commit()
    client = app.test_client()
    log_in_fully(client, lead)
    html = client.get(f"/cases/{report.case_id}").get_data(as_text=True)
    assert 'data-testid="device-location"' in html and "105.834" not in html
    revealed = client.post(
        f"/cases/{report.case_id}/reports/{report.id}/reveal",
        data={"password": PASSWORD, "reason": "Cần đến đúng địa điểm để kiểm tra"},
    ).get_data(as_text=True)
    assert "21.02780" in revealed and "openstreetmap.org" in revealed


def test_later_photos_of_a_named_report_survive_a_withdrawal_for_identity_holders(
    app_ctx, org, category_id, make_user
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    inspector = make_user(Role.INSPECTOR, team=org["ward_team"])
    draft = _draft(
        org,
        category_id,
        identity=services.ReporterIdentity(name="Trần Thị C", phone="0912345678"),
        consent=True,
    )
    submission = services.submit_report(draft, [_photo("first")], get_storage())
    db.session.commit()
    report, code = submission.report, submission.tracking_code
    message = channel.add_followup(
        report, code, body="", storage=get_storage(), photos=[_photo("later")], now=utcnow()
    )
    db.session.commit()
    first, later = report.photos[0].id, message.photos[0].id
    assert set(sealing.original_file_keys(inspector, PASSWORD, report)) == {first}
    before = sealing.original_file_keys(lead, PASSWORD, report)
    assert set(before) == {first, later}
    sealing.withdraw_contact(report, code)
    db.session.commit()
    after = sealing.original_file_keys(lead, PASSWORD, report)
    assert after[later] == before[later], "sealed anew with the fresh identity key"

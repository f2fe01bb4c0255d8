"""The outbox: idempotent queueing, delivery over real SMTP, retries with backoff
while the server is down, claims that two senders never share, crashed senders."""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from inspect_app.crypto import decrypt_text
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.mailer import SmtpSettings, describe_error, message_id
from inspect_app.notify.models import OutboxMessage, OutboxStatus
from inspect_app.notify.services import backoff, deliver_pending, mask_address, queue_message
from tests.notify.conftest import MAIL_FROM, delivered_keys, outbox_rows
from tests.notify.mailbox import Mailbox

S = OutboxStatus


def _queue(n: int, now, prefix: str = "test") -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(n)]
    for i, key in enumerate(keys):
        assert queue_message(
            key=key,
            recipient=f"officer{i}@demo.inspect.vn",
            subject=f"Nhắc việc {i}",
            text=f"Văn bản {i}",
            html=f"<p>Văn bản {i}</p>",
            kind="reminder",
            now=now,
        )
    db.session.commit()
    return keys


def _settings(app) -> SmtpSettings:
    return SmtpSettings.from_config(app.config)


def test_queueing_a_key_twice_stores_one_row_with_the_address_encrypted(app_ctx):
    now = utcnow()
    args = dict(
        key="reminder:case=1:due=2027-01-20:before=3:user=4",
        recipient="lan@demo.inspect.vn",
        subject="s",
        text="t",
        html="<p>t</p>",
        kind="reminder",
        now=now,
    )
    assert queue_message(**args) is True
    assert queue_message(**{**args, "subject": "changed"}) is False
    db.session.commit()
    (row,) = outbox_rows()
    assert row.subject == "s" and row.status == "pending" and row.attempts == 0
    assert "lan@" not in row.recipient_enc
    assert decrypt_text(row.recipient_enc) == "lan@demo.inspect.vn"


def test_pending_messages_are_delivered_once_with_text_html_and_a_stable_message_id(
    app, app_ctx, mailbox
):
    now = utcnow()
    keys = _queue(3, now)
    result = deliver_pending(now, _settings(app))
    assert (result.sent, result.retrying) == (3, 0)
    assert delivered_keys(mailbox) == {key: 1 for key in keys}
    received = mailbox.to("officer0@demo.inspect.vn")[0]
    assert received.message["Subject"] == "Nhắc việc 0"
    assert received.message["From"] == MAIL_FROM
    assert received.message["Message-ID"] == message_id("test:0", MAIL_FROM)
    assert received.text.strip() == "Văn bản 0"
    assert "<p>Văn bản 0</p>" in received.html
    assert all(row.status == "sent" and row.sent_at == now for row in outbox_rows())
    # Nothing left to send: a second pass (or a restart) sends nothing.
    assert deliver_pending(now + timedelta(hours=1), _settings(app)).sent == 0
    assert len(mailbox.received) == 3


def test_without_smtp_host_messages_stay_queued(app, app_ctx, mail_settings):
    mail_settings["SMTP_HOST"] = ""
    now = utcnow()
    _queue(2, now)
    result = deliver_pending(now, _settings(app))
    assert not result.configured
    assert [row.status for row in outbox_rows()] == ["pending", "pending"]
    assert all(row.attempts == 0 for row in outbox_rows())


def test_smtp_down_nothing_is_lost_retries_back_off_then_everything_arrives_once(
    app, app_ctx, mailbox
):
    now = utcnow()
    keys = _queue(4, now)
    mailbox.stop()

    result = deliver_pending(now, _settings(app))
    assert (result.sent, result.retrying) == (0, 4)
    rows = outbox_rows()
    assert all(r.status == "pending" and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at == now + timedelta(minutes=1) for r in rows)
    assert all("officer" not in r.last_error and "ConnectionRefused" in r.last_error for r in rows)

    # Before the next attempt is due nothing is tried; then the delay doubles.
    assert deliver_pending(now + timedelta(seconds=30), _settings(app)).retrying == 0
    later = now + timedelta(minutes=1)
    deliver_pending(later, _settings(app))
    assert all(
        r.attempts == 2 and r.next_attempt_at == later + timedelta(minutes=2) for r in outbox_rows()
    )

    mailbox.start()
    back = later + timedelta(minutes=2)
    assert deliver_pending(back, _settings(app)).sent == 4
    assert deliver_pending(back + timedelta(hours=2), _settings(app)).sent == 0
    assert delivered_keys(mailbox) == {key: 1 for key in keys}


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == backoff(48) == timedelta(hours=1)


def test_a_message_is_given_up_after_the_configured_attempts(app, app_ctx, mailbox, mail_settings):
    mail_settings["OUTBOX_MAX_ATTEMPTS"] = 2
    now = utcnow()
    _queue(1, now)
    mailbox.stop()
    deliver_pending(now, _settings(app))
    result = deliver_pending(now + timedelta(minutes=1), _settings(app))
    assert result.failed == 1
    (row,) = outbox_rows()
    assert (row.status, row.attempts) == ("failed", 2)
    mailbox.start()
    assert deliver_pending(now + timedelta(days=1), _settings(app)).sent == 0


def test_a_refused_recipient_is_retried_without_its_address_in_the_error(app, app_ctx, mailbox):
    class Refusing(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return f"550 5.1.1 <{address}>: no such user"

    refusing = Refusing()
    refusing.start()
    app.config["SMTP_PORT"] = refusing.port
    try:
        now = utcnow()
        _queue(1, now)
        assert deliver_pending(now, _settings(app)).retrying == 1
    finally:
        refusing.stop()
    (row,) = outbox_rows()
    assert row.status == "pending" and row.attempts == 1
    assert "550" in row.last_error and "officer0" not in row.last_error


def test_describe_error_never_contains_the_address():
    address = "An.Nguyen@Example.vn"
    refused = smtplib.SMTPRecipientsRefused({address: (550, b"no such user " + address.encode())})
    assert "example.vn" not in describe_error(refused, address).lower()
    data = smtplib.SMTPDataError(554, f"rejected for {address.lower()}".encode())
    assert describe_error(data, address) == "SMTPDataError: 554 rejected for <recipient>"


def test_claims_of_a_crashed_sender_expire_and_the_message_is_sent(app, app_ctx, mailbox):
    now = utcnow()
    live, dead = _queue(2, now)
    for key, claimed_until in (
        (live, now + timedelta(minutes=15)),
        (dead, now - timedelta(seconds=1)),
    ):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == key)
            .values(status="sending", claimed_until=claimed_until)
        )
    db.session.commit()
    result = deliver_pending(now, _settings(app))
    assert (result.reclaimed, result.sent) == (1, 1)
    assert delivered_keys(mailbox) == {dead: 1}
    assert [row.status for row in outbox_rows()] == ["sending", "sent"]  # live claim untouched


def test_two_senders_at_once_never_send_a_message_twice(app, mail_settings):
    box = Mailbox(delay=0.01)
    box.start()
    mail_settings.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=box.port, SMTP_SECURITY="none", MAIL_FROM=MAIL_FROM
    )
    try:
        with app.app_context():
            now = utcnow()
            keys = _queue(40, now)
        results, errors = [], []

        def sender() -> None:
            try:
                with app.app_context():
                    results.append(deliver_pending(now, _settings(app)))
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert sum(result.sent for result in results) == 40, results
        with app.app_context():
            assert delivered_keys(box) == {key: 1 for key in keys}
            sent = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "sent")
            )
            assert sent == 40
    finally:
        box.stop()


@pytest.mark.parametrize(
    ("address", "masked"),
    [("lan@demo.inspect.vn", "l***@demo.inspect.vn"), ("x", "***")],
)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


def test_status_titles_exist_for_every_status():
    assert all(status.title for status in S)

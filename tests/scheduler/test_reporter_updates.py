"""Progress e-mails to reporters who opted in: queued with the transition, sent by
the scheduler, carrying the public text and nothing else."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from inspect_app.cases import transitions
from inspect_app.cases.services import add_note
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.emails import reporter_email
from inspect_app.scheduler.jobs import tick
from tests.cases.conftest import drive
from tests.notify.conftest import outbox_rows

S = CaseStatus
REPORTER = "an@example.vn"  # tests.cases.conftest.new_report(named=True)
SUMMARY = "Cơ sở bị xử phạt 15.000.000 đồng."
INTERNAL_NOTE = "Nội bộ: chủ cơ sở là người quen của cán bộ phường."
NEVER = (
    "Trần Thị Lan",  # the team lead
    "Lê Văn Minh",  # the inspector
    "Nguyễn Văn An",  # the reporter's own identity
    "0912345678",
    "NĐ 98/2020",  # the legal basis, internal
    "Similac",  # report details beyond the public text
    "Minh Anh",
    INTERNAL_NOTE,
)


def _opted_in_case(org, make_case, wants: bool = True):
    case = make_case(S.NEW, named=True, email_updates=wants)
    add_note(org.lead, case, INTERNAL_NOTE)
    db.session.commit()
    return case


def _expected_text(status: S, message: str) -> str:
    return reporter_email(status, message).text


def _progress_rows():
    """The reporter's e-mails after the receipt every opted-in report gets on arrival."""
    rows = outbox_rows(kind="reporter")
    assert rows and rows[0].key.endswith(":receipt")
    return rows[1:]


def _progress_mail(mailbox):
    receipt, *progress = mailbox.to(REPORTER)
    assert "mã tra cứu kết thúc bằng" in receipt.text
    return progress


def test_a_reporter_who_opted_in_gets_exactly_the_public_text(org, make_case, mailbox):
    case = drive(_opted_in_case(org, make_case), org, S.RESOLVED)
    (report,) = case.reports
    rows = _progress_rows()
    # Public updates: 1 received, 2 accepted, 3 assigned (no e-mail), 4 resolved.
    assert [row.key for row in rows] == [
        f"reporter:report={report.id}:status=accepted:2",
        f"reporter:report={report.id}:status=resolved:4",
    ]
    assert all(row.recipient_user_id is None for row in rows)

    tick(utcnow())
    accepted, resolved = _progress_mail(mailbox)
    with force_locale("vi"):
        assert accepted.text.replace("\r\n", "\n").strip() == _expected_text(S.ACCEPTED, "")
        assert resolved.text.replace("\r\n", "\n").strip() == _expected_text(S.RESOLVED, SUMMARY)
        assert str(S.RESOLVED.public_title) in resolved.message["Subject"]
    assert SUMMARY in resolved.text and SUMMARY in resolved.html
    assert "http://127.0.0.1:5000/track" in resolved.text
    for received in (accepted, resolved):
        everything = received.message.as_string() + received.text + received.html
        for secret in NEVER:
            assert secret not in everything, secret
        assert f"/cases/{case.id}" not in everything


def test_the_public_reason_of_a_rejection_is_sent(org, make_case, mailbox):
    case = drive(_opted_in_case(org, make_case), org, S.REJECTED)
    tick(utcnow())
    (rejected,) = _progress_mail(mailbox)
    assert "Thông tin chưa đủ cụ thể." in rejected.text
    assert _progress_rows()[0].case_id == case.id


def test_reporters_who_did_not_opt_in_get_nothing(org, make_case, mailbox):
    drive(_opted_in_case(org, make_case, wants=False), org, S.RESOLVED)
    make_case(S.RESOLVED)  # anonymous
    tick(utcnow())
    assert outbox_rows(kind="reporter") == []
    assert mailbox.received == []


def test_a_refused_transition_queues_nothing(org, make_case, mailbox):
    case = _opted_in_case(org, make_case)
    with pytest.raises(transitions.TransitionNotAllowed):
        transitions.accept_case(org.inspector, case)  # not the team lead
    db.session.rollback()
    assert _progress_rows() == []

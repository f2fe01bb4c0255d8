"""The development mailbox: without SMTP_HOST, `make run` "sends" into a folder that
staff read in the app (their own e-mails only); production refuses it."""

from __future__ import annotations

import pytest

from config import ProductionConfig, validate_config
from inspect_app.cases import transitions
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.notify.mailer import SmtpSettings
from inspect_app.notify.services import deliver_pending
from tests.cases.conftest import drive, new_report
from tests.helpers import login


@pytest.fixture
def dev_mailbox(mail_settings, tmp_path):
    mail_settings.update(SMTP_HOST="", DEV_MAILBOX_DIR=str(tmp_path / "mailbox"))
    return tmp_path / "mailbox"


def test_emails_land_in_the_folder_and_each_officer_reads_their_own(app, org, dev_mailbox):
    case = drive(new_report(org.team).report.case, org, CaseStatus.ACCEPTED)
    transitions.assign_case(org.lead, case, assignee=org.inspector)
    db.session.commit()
    result = deliver_pending(utcnow(), SmtpSettings.from_config(app.config))
    db.session.commit()  # as the scheduler's tick does after each job
    assert result.sent >= 2  # the lead's new case, the inspector's assignment
    assert len(list(dev_mailbox.glob("*.eml"))) == result.sent
    client = app.test_client()
    login(client, org.inspector)
    html = client.get("/dev/mailbox").get_data(as_text=True)
    assert f"Vụ việc #{case.id} đã được phân công cho bạn" in html
    assert "cần phân loại" not in html, "the lead's e-mail is not the inspector's"
    lead = app.test_client()
    login(lead, org.lead)
    lead_page = lead.get("/dev/mailbox").get_data(as_text=True)
    assert "cần phân loại" in lead_page
    opened = [n for n in (p.name for p in dev_mailbox.glob("*.eml")) if f"/dev/mailbox/{n}" in html]
    assert len(opened) == 1
    assert client.get(f"/dev/mailbox/{opened[0]}").status_code == 200
    assert lead.get(f"/dev/mailbox/{opened[0]}").status_code == 404, "not the lead's"


def test_without_the_setting_there_is_no_mailbox(app, org):
    client = app.test_client()
    login(client, org.inspector)
    assert client.get("/dev/mailbox").status_code == 404
    assert "/dev/mailbox" not in client.get("/notifications").get_data(as_text=True)


def test_production_refuses_the_development_mailbox():
    config = {
        "ENV_NAME": "production",
        "SECRET_KEY": "x" * 40,
        "INSPECT_DATA_KEY": "a-real-key",
        "DEV_MAILBOX_DIR": "instance/mailbox",
    }
    with pytest.raises(RuntimeError, match="DEV_MAILBOX_DIR"):
        validate_config(config)
    assert ProductionConfig.ENV_NAME == "production"

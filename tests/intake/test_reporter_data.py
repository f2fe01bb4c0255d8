"""The reporter's rights with the tracking code alone: see what the report holds
about them, withdraw consent to being contacted; and the code is never kept
readable in a cookie."""

from __future__ import annotations

import base64
import json
import re
import zlib

from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.cases import transitions
from inspect_app.cases.models import Report
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.sealing import services as sealing
from tests import imaging
from tests.factories import PASSWORD
from tests.intake.conftest import post_report

NAME, PHONE, EMAIL, ADDRESS = "Võ Thị Hạnh", "0905111222", "hanh.vo@example.vn", "7 Lê Lợi"


def _session_payload(client) -> str:
    """What Flask's session cookie says: signed, not encrypted — readable by anyone."""
    cookie = client.get_cookie("inspect_session")
    if cookie is None:
        return ""
    payload = cookie.value.split(".")[1 if cookie.value.startswith(".") else 0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    return raw.decode("utf-8")


def _named(tip, kind: str = "denunciation", **extra) -> dict:
    data = tip(
        [(imaging.jpeg_with_gps(artist="Vo Thi Hanh", seed="mine"), "a.jpg")],
        identity="named",
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        address=ADDRESS,
        consent="y",
        wants_email_updates="y",
        **extra,
    )
    if kind == "denunciation":
        data["denunciation"] = "y"
    return data


def _submit(client, data) -> str:
    response = post_report(client, data)
    assert response.status_code == 302
    assert "K7M2" not in _session_payload(client)
    html = client.get("/report/submitted").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', html).group(1)
    assert code.replace("-", "") not in _session_payload(client).replace("-", "")
    return code


def test_the_new_tracking_code_is_never_readable_in_the_cookie(client, tip):
    response = post_report(client, tip())
    assert response.status_code == 302
    payload = _session_payload(client)
    assert "new_tracking_code" in payload, "the code does travel in the cookie …"
    token = json.loads(payload)["new_tracking_code"]
    assert re.fullmatch(r"[A-Za-z0-9_\-=]+", token) and token.startswith("gAAAAA"), "… encrypted"
    html = client.get("/report/submitted").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', html).group(1)
    assert code not in payload and code.replace("-", "") not in payload
    assert client.get("/report/submitted").status_code == 302, "shown once"


def test_the_reporter_sees_what_the_report_holds_about_them(app, client, tip):
    code = _submit(client, _named(tip))
    page = client.post("/track", data={"code": code})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert PHONE not in html, "nothing is opened until asked"
    assert f'name="code" value="{code}"' in html and code not in page.request.url

    mine = client.post("/track/my-data", data={"code": code})
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"
    html = mine.get_data(as_text=True)
    for value in (NAME, PHONE, EMAIL, ADDRESS, "Vo Thi Hanh", "21.0285"):
        assert value in html
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "identity.viewed_by_reporter")
    )
    assert event.actor_id is None and event.case_id is not None

    assert client.post("/track/my-data", data={"code": "K7M2-9QXD-4HTR-B8NC"}).status_code == 404


def test_withdrawing_destroys_the_contact_details_and_keeps_the_name(client, tip, org, make_user):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    code = _submit(client, _named(tip))
    transitions.accept_case(lead, db.session.scalar(select(Report)).case)
    db.session.commit()
    progress = select(OutboxMessage).where(OutboxMessage.kind == "reporter")
    assert len(db.session.scalars(progress).all()) == 2, "the receipt and a progress e-mail"

    unconfirmed = client.post("/track/withdraw", data={"code": code})
    assert unconfirmed.status_code == 400
    assert db.session.scalar(select(Report)).contact_withdrawn_at is None

    done = client.post("/track/withdraw", data={"code": code, "confirm": "y"})
    assert done.status_code == 200
    report = db.session.scalar(select(Report))
    assert report.contact_withdrawn_at is not None and report.progress_email_enc is None
    assert not report.wants_email_updates and report.reporter_named
    assert db.session.scalars(progress).all() == [], "no e-mail keeps the address"
    mine = client.post("/track/my-data", data={"code": code}).get_data(as_text=True)
    assert NAME in mine and PHONE not in mine and EMAIL not in mine and ADDRESS not in mine
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "identity.withdrawn")
    )
    assert event.actor_id is None


def test_officers_see_only_the_name_after_a_withdrawal(client, tip, org, make_user):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    code = _submit(client, _named(tip))
    report = db.session.scalar(select(Report))
    assert sealing.reveal_identity(lead, PASSWORD, report).identity["phone"] == PHONE

    client.post("/track/withdraw", data={"code": code, "confirm": "y"})
    report = db.session.scalar(select(Report))
    revealed = sealing.reveal_identity(lead, PASSWORD, report)
    assert revealed.identity == {"name": NAME}
    assert revealed.photo_facts, "the photo's sealed facts are kept, sealed anew"


def test_a_tip_forgets_its_reporter_entirely(client, tip, org, make_user):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    code = _submit(client, _named(tip, kind="tip"))
    client.post("/track/withdraw", data={"code": code, "confirm": "y"})
    report = db.session.scalar(select(Report))
    assert report.kind == "tip" and report.is_anonymous and report.identity_sealed is None
    assert report.photos[0].gps_lat is None, "a reporter without a name: place is identity"
    assert sealing.reveal_identity(lead, PASSWORD, report).identity is None

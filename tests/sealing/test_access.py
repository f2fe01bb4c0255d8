"""Who holds a report's keys, and how access is given and taken: colleagues with
their password, the office with its recovery key, and the commands of `flask keys`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from inspect_app.accounts import services as accounts
from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.sealing import services as sealing
from inspect_app.sealing.models import KeyEnvelope, Purpose, RecoveryKey
from tests.cases.conftest import new_report
from tests.factories import PASSWORD
from tests.helpers import log_in_fully, next_code
from tests.sealing.conftest import NAME, PHONE


def _holders(report, purpose: Purpose) -> set[int | str]:
    sealed = next(k for k in report.sealed_keys if k.purpose == purpose.value)
    return {e.user_id or e.holder for e in sealed.envelopes}


def test_a_report_is_sealed_to_those_entitled_at_the_time(office, denunciation):
    report = denunciation.report
    assert _holders(report, Purpose.IDENTITY) == {
        office.lead.id,
        office.director.id,
        "recovery",
        "reporter",
    }
    # The originals of a named report are evidence for every officer of the case.
    assert _holders(report, Purpose.EVIDENCE) == {
        office.lead.id,
        office.inspector.id,
        office.director.id,
        "recovery",
    }
    assert office.admin.officer_key is None, "administrators hold no keys"


def test_an_anonymous_reports_originals_go_to_those_entitled_to_reveal(office):
    report = new_report(office.team, photos=1).report
    assert [k.purpose for k in report.sealed_keys] == ["identity"]
    assert office.inspector.id not in _holders(report, Purpose.IDENTITY)


def _reveal(user, report):
    return sealing.reveal_identity(user, PASSWORD, report).identity


def test_a_new_team_lead_is_given_access_by_the_director(app, office, denunciation, make_user):
    report = denunciation.report
    newcomer = make_user(Role.TEAM_LEAD, team=office.team, full_name="Phan Văn Mới")
    with pytest.raises(sealing.NoKey):
        _reveal(newcomer, report)

    client = app.test_client()
    secret = log_in_fully(client, office.director)
    page = client.get("/account/keys").get_data(as_text=True)
    assert "Phan Văn Mới" in page and f'data-testid="waiting-{newcomer.id}"' in page
    wrong = client.post(f"/account/keys/grant/{newcomer.id}", data={"password": "nope"})
    assert wrong.status_code == 400
    response = client.post(
        f"/account/keys/grant/{newcomer.id}",
        data={"password": PASSWORD, "code": next_code(secret)},
    )
    assert response.status_code == 302

    assert _reveal(newcomer, report)["phone"] == PHONE
    [grant] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.grant"))
    assert grant.actor_id == office.director.id
    assert grant.data["subject"] == newcomer.id and grant.data["keys"] == 2  # identity, evidence
    assert f'data-testid="waiting-{newcomer.id}"' not in client.get("/account/keys").get_data(
        as_text=True
    )


def test_an_inspector_is_given_only_the_evidence_key(office, denunciation, make_user):
    report = denunciation.report
    late = make_user(Role.INSPECTOR, team=office.team)
    assert sealing.grant_access(office.lead, PASSWORD, late) == 1
    assert late.id in _holders(report, Purpose.EVIDENCE)
    assert late.id not in _holders(report, Purpose.IDENTITY)
    with pytest.raises(sealing.NoKey):
        _reveal(late, report)


def test_one_cannot_give_a_colleague_of_another_team_anything(
    office, denunciation, make_team, make_user
):
    other_lead = make_user(Role.TEAM_LEAD, team=make_team("HN-DOI02", wards=3))
    assert sealing.grant_access(office.lead, PASSWORD, other_lead) == 0
    assert sealing.grant_access(office.director, PASSWORD, other_lead) == 0


def test_a_new_role_or_team_takes_away_what_it_no_longer_entitles(office, denunciation, make_team):
    lead = office.lead
    accounts.update_user(
        lead, role=Role.INSPECTOR, full_name=lead.full_name, team=office.team, office=None,
        association=None, actor=office.admin,
    )  # fmt: skip
    db.session.commit()
    report = denunciation.report
    assert lead.id not in _holders(report, Purpose.IDENTITY)
    assert lead.id in _holders(report, Purpose.EVIDENCE), "still an officer of the case"
    elsewhere = make_team("HN-DOI03", wards=3)
    accounts.update_user(
        lead, role=Role.INSPECTOR, full_name=lead.full_name, team=elsewhere, office=None,
        association=None, actor=office.admin,
    )  # fmt: skip
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(KeyEnvelope.user_id == lead.id)) == 0
    revoked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.revoked"))
    assert [e.actor_id for e in revoked] == [office.admin.id, office.admin.id]


def test_the_recovery_key_restores_access(app, office, denunciation):
    report = denunciation.report
    admin = app.test_client()
    log_in_fully(admin, office.admin)
    admin.post(f"/admin/users/{office.director.id}/reset_password")
    link = accounts.create_password_link(
        office.director, accounts.PasswordLinkPurpose.RESET, actor=None, base_url=""
    )
    accounts.set_password_by_link(
        accounts.find_password_link(link.rsplit("/", 1)[1]), "the directors new password"
    )
    db.session.commit()
    with pytest.raises(sealing.NoKey):
        sealing.reveal_identity(office.director, "the directors new password", report)

    runner = app.test_cli_runner()
    mistyped = runner.invoke(
        args=["keys", "grant", "--to", office.director.email], input="RK1-AAAAA-BBBBB\n"
    )
    assert mistyped.exit_code != 0 and "checksum" in mistyped.output
    result = runner.invoke(
        args=["keys", "grant", "--to", office.director.email], input=office.recovery_text + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "2 more keys" in result.output
    identity = sealing.reveal_identity(office.director, "the directors new password", report)
    assert identity.identity["name"] == NAME
    [grant] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.grant"))
    assert grant.actor_id is None and grant.data["via"] == "recovery"


def test_the_recovery_key_is_printed_once_and_stored_nowhere(app, make_office):
    office = make_office(79)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "recovery-create", "--office", office.code])
    assert result.exit_code == 0, result.output
    printed = re.search(r"(RK1-[A-Z2-7-]+)", result.output).group(1)
    row = db.session.scalar(select(RecoveryKey).where(RecoveryKey.office_id == office.id))
    assert row.fingerprint in result.output
    dump = " ".join(
        str(value)
        for table in db.metadata.sorted_tables
        for r in db.session.execute(select(table))
        for value in r
    )
    assert printed not in dump and printed.replace("-", "") not in dump
    again = app.test_cli_runner().invoke(args=["keys", "recovery-create", "--office", office.code])
    assert again.exit_code != 0


def test_rotating_the_recovery_key_moves_every_key_to_the_new_one(app, office, denunciation):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "recovery-rotate"], input=office.recovery_text + "\n")
    assert result.exit_code == 0, result.output
    new_text = re.search(r"(RK1-[A-Z2-7-]+)", result.output).group(1)
    assert "2 sealed keys moved" in result.output
    old = runner.invoke(args=["keys", "recovery-rotate"], input=office.recovery_text + "\n")
    assert old.exit_code != 0

    newcomer = accounts.create_user(
        email="moi@example.vn", password=PASSWORD, role=Role.DIRECTOR, office=office.office
    )
    db.session.commit()
    granted = runner.invoke(args=["keys", "grant", "--to", newcomer.email], input=new_text + "\n")
    assert granted.exit_code == 0 and "2 more keys" in granted.output
    assert _reveal(newcomer, denunciation.report)["name"] == NAME


def test_keys_status_tells_what_waits(app, office, denunciation, make_office):
    make_office(79)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 0
    assert "wrapped to recovery: 2" in result.output
    assert "no recovery key: office OFF-79" in result.output

"""Association intake: complaints filed for consumers, and "My intake"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.accounts.models import Association
from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.cases.models import Report
from inspect_app.extensions import db
from tests import imaging
from tests.factories import PASSWORD
from tests.helpers import login
from tests.intake.conftest import post_report, stored_counts

REASON = "Gọi lại cho người tiêu dùng để hẹn nhận hàng."


def _complaint(tip, **overrides):
    data = tip(
        [(imaging.jpeg(), "hoadon.jpg")],
        channel="hotline",
        received_on="2026-11-20",
        association_ref="HBV-2026/117",
        name="Phạm Văn Dũng",
        phone="0243 826 1234",
        email="dung.pham@example.vn",
        address="8 Hàng Bài",
        consent="y",
    )
    data.pop("identity")
    data.update(overrides)
    return data


@pytest.fixture
def staff_client(app, make_user):
    staff = make_user(Role.ASSOCIATION_STAFF, full_name="Đỗ Thị Hồng")
    client = app.test_client()
    login(client, staff)
    client.staff = staff
    return client


def test_staff_file_a_complaint_and_see_it_in_my_intake(staff_client, tip, org):
    response = post_report(staff_client, _complaint(tip), path="/intake")
    assert response.status_code == 200
    assert 'data-testid="tracking-code"' in response.get_data(as_text=True)
    report = db.session.scalar(select(Report))
    assert report.kind == "complaint" and report.source == "association"
    assert report.channel == "hotline" and report.association_ref == "HBV-2026/117"
    assert report.filed_by_id == staff_client.staff.id
    assert report.reporter_named and "Phạm" not in (report.identity_sealed or "")
    assert report.case.team_id == org["ward_team"].id

    html = staff_client.get("/intake/mine").get_data(as_text=True)
    assert "HBV-2026/117" in html and "Sữa bột Similac 900g" in html and "Đã tiếp nhận" in html
    assert "Phạm Văn Dũng" not in html


def test_the_association_calls_the_consumer_back_with_a_recorded_reveal(staff_client, tip):
    """The complaint is sealed to the staff of the association that filed it too."""
    post_report(staff_client, _complaint(tip), path="/intake")
    report = db.session.scalar(select(Report))
    path = f"/intake/mine/{report.id}/contact"

    terse = staff_client.post(path, data={"password": PASSWORD, "reason": "gọi"})
    assert terse.status_code == 400 and "ít nhất 10 ký tự" in terse.get_data(as_text=True)
    wrong = staff_client.post(path, data={"password": "not my password", "reason": REASON})
    assert wrong.status_code == 400 and "Phạm Văn Dũng" not in wrong.get_data(as_text=True)

    response = staff_client.post(path, data={"password": PASSWORD, "reason": REASON})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Phạm Văn Dũng" in html and "0243 826 1234" in html
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("identity.%")).order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("identity.reveal_refused", staff_client.staff.id),
        ("identity.reveal", staff_client.staff.id),
    ]
    assert events[-1].data["reason"] == REASON


def test_colleagues_of_the_same_association_see_it_others_do_not(app, staff_client, tip, make_user):
    post_report(staff_client, _complaint(tip), path="/intake")
    colleague = make_user(Role.ASSOCIATION_STAFF)
    colleague.association_id = staff_client.staff.association_id
    db.session.commit()
    stranger = make_user(Role.ASSOCIATION_STAFF)
    assert stranger.association_id != staff_client.staff.association_id

    for user, visible in ((colleague, True), (stranger, False)):
        client = app.test_client()
        login(client, user)
        html = client.get("/intake/mine").get_data(as_text=True)
        assert ("HBV-2026/117" in html) is visible


def test_complainant_needs_a_name_and_consent(staff_client, tip):
    response = post_report(staff_client, _complaint(tip, name=""), path="/intake")
    assert response.status_code == 400
    response = post_report(staff_client, _complaint(tip, consent=""), path="/intake")
    assert response.status_code == 400
    assert "Phạm Văn Dũng" in response.get_data(as_text=True), "the form comes back filled in"
    assert stored_counts() == (0, 0, 0)


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.TEAM_LEAD])
def test_officers_cannot_file_association_intake(app, make_user, role):
    client = app.test_client()
    login(client, make_user(role))
    assert client.get("/intake").status_code == 403
    assert client.get("/intake/mine").status_code == 403


def test_association_exists_for_staff(staff_client):
    assert db.session.get(Association, staff_client.staff.association_id) is not None


def test_the_staff_form_speaks_of_the_consumer_and_the_public_one_of_you(app, staff_client):
    staff_form = staff_client.get("/intake").get_data(as_text=True)
    assert "Người tiêu dùng phản ánh gì?" in staff_form
    assert "Người tiêu dùng thấy hàng hóa ở đâu?" in staff_form
    assert "Vì sao bạn cho rằng" not in staff_form
    public_form = app.test_client().get("/report").get_data(as_text=True)
    assert "Vấn đề là gì?" in public_form and "Người tiêu dùng phản ánh gì?" not in public_form
    # The citizens' promise of confidentiality is for public pages only.
    assert "Danh tính của bạn được giữ bí mật" in public_form
    assert "Danh tính của bạn được giữ bí mật" not in staff_form

"""Statistics reports belong to an association or an office and its province: nobody
else builds for that province, sees its drafts, edits, publishes or corrects them
(issue 13: Hà Nội staff built a Hồ Chí Minh City draft, HCM staff edited and
published it). Only calendar periods are published."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from inspect_app.accounts import services as accounts
from inspect_app.accounts.models import Association
from inspect_app.accounts.permissions import Role
from inspect_app.extensions import db
from inspect_app.stats import services
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from tests.factories import PASSWORD
from tests.stats.conftest import log_in, vn

Q3 = Period.quarter(2026, 3)
HANOI, HCM = 1, 79


def _staff(name: str, province_code: int | None, email: str):
    association = Association(name=name, province_code=province_code)
    db.session.add(association)
    user = accounts.create_user(
        email=email,
        password=PASSWORD,
        role=Role.ASSOCIATION_STAFF,
        full_name=name,
        association=association,
    )
    db.session.commit()
    return user


@pytest.fixture
def hcm_staff(app_ctx):
    return _staff("Hội BVQLNTD TP. Hồ Chí Minh", HCM, "hcm@example.vn")


@pytest.fixture
def national_staff(app_ctx):
    return _staff("Hội Tiêu chuẩn và Bảo vệ người tiêu dùng Việt Nam", None, "vn@example.vn")


def test_staff_build_only_for_their_own_province(dataset, client, hcm_staff):
    hanoi = dataset.org.association
    for scope in (HCM, None):
        with pytest.raises(services.StatsNotAllowed):
            services.create_draft(hanoi, Q3, scope, now=vn("2026-10-01 09:00"))
    db.session.rollback()
    log_in(client, hanoi)
    page = client.get("/stats/drafts/new").get_data(as_text=True)
    assert 'value="79"' not in page and 'value="1"' in page
    response = client.post(
        "/stats/drafts/new",
        data={"period_type": "quarter", "year": "2026", "quarter": "3", "province": "79"},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(StatsReport)) is None


def test_another_provinces_staff_cannot_see_edit_or_publish_a_draft(dataset, client, hcm_staff):
    draft = services.create_draft(dataset.org.association, Q3, HANOI, now=vn("2026-10-01 09:00"))
    db.session.commit()
    title = draft.title
    log_in(client, hcm_staff)
    assert title not in client.get("/stats/drafts").get_data(as_text=True)
    assert client.get(f"/stats/drafts/{draft.id}").status_code == 404
    saved = client.post(f"/stats/drafts/{draft.id}", data={"title": "Đã sửa", "commentary": ""})
    assert saved.status_code == 404
    published = client.post(f"/stats/drafts/{draft.id}/publish", data={"confirm": "y"})
    assert published.status_code == 404
    db.session.expire_all()
    draft = db.session.get(StatsReport, draft.id)
    assert (draft.title, draft.is_published) == (title, False)
    with pytest.raises(services.StatsNotAllowed):
        services.publish_report(draft, hcm_staff, now=vn("2026-10-02 09:00"))


def test_the_provinces_director_works_on_the_offices_reports_only(dataset, client):
    association_draft = services.create_draft(
        dataset.org.association, Q3, HANOI, now=vn("2026-10-01 09:00")
    )
    db.session.commit()
    log_in(client, dataset.org.director)
    assert client.get(f"/stats/drafts/{association_draft.id}").status_code == 404
    response = client.post(
        "/stats/drafts/new",
        data={"period_type": "quarter", "year": "2026", "quarter": "3", "province": "1"},
    )
    assert response.status_code == 302
    own = db.session.scalar(select(StatsReport).where(StatsReport.office_id.is_not(None)))
    assert own.office_id == dataset.org.director.office_id and own.association_id is None
    assert client.get(f"/stats/drafts/{own.id}").status_code == 200


def test_colleagues_of_the_same_association_share_its_reports(dataset, client):
    draft = services.create_draft(dataset.org.association, Q3, HANOI, now=vn("2026-10-01 09:00"))
    colleague = accounts.create_user(
        email="dong.nghiep@example.vn",
        password=PASSWORD,
        role=Role.ASSOCIATION_STAFF,
        association=dataset.org.association.association,
    )
    db.session.commit()
    log_in(client, colleague)
    assert client.get(f"/stats/drafts/{draft.id}").status_code == 200
    response = client.post(f"/stats/drafts/{draft.id}/publish", data={"confirm": "y"})
    assert response.status_code == 302
    assert db.session.get(StatsReport, draft.id).is_published


def test_only_the_owner_corrects_a_published_report(dataset, client, hcm_staff):
    report = services.create_draft(dataset.org.association, Q3, HANOI, now=vn("2026-10-01 09:00"))
    services.publish_report(report, dataset.org.association, now=vn("2026-10-02 09:00"))
    db.session.commit()
    log_in(client, hcm_staff)
    page = client.get(f"/stats/{report.id}").get_data(as_text=True)
    assert 'id="correct"' not in page
    response = client.post(f"/stats/{report.id}/correct", data={"note": "Sửa số liệu."})
    assert response.status_code == 403
    assert (
        db.session.scalar(select(StatsReport).where(StatsReport.supersedes_id == report.id)) is None
    )


def test_a_national_association_builds_for_every_province(dataset, national_staff):
    for scope in (None, HANOI, HCM):
        report = services.create_draft(national_staff, Q3, scope, now=vn("2026-10-01 09:00"))
        assert report.association_id == national_staff.association_id


def test_custom_periods_are_drafts_only(dataset, client):
    staff = dataset.org.association
    custom = services.create_draft(
        staff, Period.custom(date(2026, 7, 1), date(2026, 8, 15)), HANOI, now=vn("2026-10-01 09:00")
    )
    db.session.commit()
    with pytest.raises(services.StatsError, match="theo tháng, quý hoặc năm"):
        services.publish_report(custom, staff, now=vn("2026-10-02 09:00"))
    db.session.rollback()
    log_in(client, staff)
    response = client.post(f"/stats/drafts/{custom.id}/publish", data={"confirm": "y"})
    assert response.status_code == 303
    assert not db.session.get(StatsReport, custom.id).is_published
    page = client.get(f"/stats/drafts/{custom.id}").get_data(as_text=True)
    assert "Chỉ được công bố báo cáo theo tháng, quý hoặc năm." in page

"""The demo's published statistics, so that /stats shows a report on first run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.deadlines import local_day
from inspect_app.extensions import db
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import previous_month
from inspect_app.stats.services import create_draft, publish_report, update_draft

DEMO_TITLE = "Vụ việc đã giải quyết trong tháng trước (dữ liệu mẫu)"
DEMO_COMMENTARY = (
    "Báo cáo mẫu do hệ thống tạo khi nạp dữ liệu thử nghiệm. Các con số nhỏ được ẩn (x) "
    "để không thể nhận ra người phản ánh hay cơ sở kinh doanh."
)


def publish_demo_report(now: datetime) -> StatsReport | None:
    """Last month (only calendar periods are published), for the province of the
    demo's association, published by its staff member; None when there is no such
    account or association."""
    staff = db.session.scalar(
        select(User).where(User.role == Role.ASSOCIATION_STAFF.value).order_by(User.id)
    )
    if staff is None or staff.association is None:
        return None
    period = previous_month(local_day(now))
    report = create_draft(staff, period, staff.association.province_code, now=now)
    update_draft(report, title=DEMO_TITLE, commentary=DEMO_COMMENTARY)
    publish_report(report, staff, now=now)
    return report

"""The demo's published statistics, so that /stats shows a report on first run."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.cases.deadlines import local_day
from inspect_app.extensions import db
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from inspect_app.stats.services import create_draft, publish_report, update_draft

DEMO_DAYS = 90
DEMO_TITLE = "Vụ việc đã giải quyết trong 90 ngày gần nhất, tất cả tỉnh, thành phố (dữ liệu mẫu)"
DEMO_COMMENTARY = (
    "Báo cáo mẫu do hệ thống tạo khi nạp dữ liệu thử nghiệm. Các con số dưới 3 được ẩn "
    "để không thể nhận ra người phản ánh hay cơ sở kinh doanh."
)


def publish_demo_report(now: datetime) -> StatsReport | None:
    """The last 90 whole days (until yesterday), every province, published by the
    demo's association staff member; None when there is no such account."""
    staff = db.session.scalar(
        select(User).where(User.role == Role.ASSOCIATION_STAFF.value).order_by(User.id)
    )
    if staff is None:
        return None
    yesterday = local_day(now) - timedelta(days=1)
    period = Period.custom(yesterday - timedelta(days=DEMO_DAYS - 1), yesterday)
    report = create_draft(staff, period, None, now=now)
    update_draft(report, title=DEMO_TITLE, commentary=DEMO_COMMENTARY)
    publish_report(report, staff, now=now)
    return report

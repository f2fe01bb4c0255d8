"""A small world for the fuzzer: a person in every role and something of every kind
a route can name (cases in several states, a photo, an attachment, statistics
reports, an audit review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from inspect_app.cases import services as case_services
from inspect_app.cases.deadlines import LOCAL_TZ
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.reviews.services import draw_sample
from inspect_app.stats import services as stats_services
from inspect_app.stats.periods import Period
from tests.cases.conftest import Org, make_case, org  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    org: Org
    pools: dict[str, list[str]]  # path parameter → real values


@pytest.fixture
def world(org, make_case) -> World:  # noqa: F811
    S = CaseStatus
    new = make_case(S.NEW, photos=1, named=True)
    attachment = case_services.add_attachment(
        org.lead, new, title="Biên bản", filename="bb.pdf", data=PDF, storage=get_storage()
    )
    others = [make_case(s) for s in (S.ACCEPTED, S.INVESTIGATING, S.RESOLVED, S.CLOSED)]
    db.session.commit()
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    published = stats_services.create_draft(
        org.association, Period.year(today.year - 1), 1, now=now
    )
    stats_services.publish_report(published, org.association, now=now)
    draft = stats_services.create_draft(
        org.association, Period.custom(date(today.year, 1, 1), today), 1, now=now
    )
    review = draw_sample(
        org.director,
        title="Kiểm tra",
        period_start=today - timedelta(days=7),
        period_end=today,
        size=2,
        seed=1,
    )
    db.session.commit()
    cases = [new, *others]
    people = [org.lead, org.inspector, org.director, org.admin, org.association]
    pools = {
        "case_id": [c.id for c in cases],
        "photo_id": [new.reports[0].photos[0].id],
        "attachment_id": [attachment.id],
        "report_id": [new.reports[0].id, published.id, draft.id],
        "user_id": [u.id for u in people],
        "team_id": [org.team.id, org.other_team.id],
        "review_id": [review.id],
        "item_id": [item.id for item in review.items],
        "code": [1, 79],
    }
    return World(org=org, pools={k: [str(v) for v in vs] for k, vs in pools.items()})

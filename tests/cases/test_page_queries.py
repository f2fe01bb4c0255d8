"""The queue and the case page read what they show in a fixed number of queries:
more rows, reports, photos, notes, assignees or categories add none (no lazy load
per row)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from inspect_app.cases import services, transitions
from inspect_app.cases.models import Case, Category
from inspect_app.cases.workflow import CaseStatus
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from tests import imaging
from tests.cases.conftest import drive, new_report
from tests.helpers import login

S = CaseStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _queries(app, client, url: str) -> int:
    client.get(url)  # reference data cached, as in a running worker
    with counted(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def _case(org, status=S.ACCEPTED, **report) -> Case:
    return drive(new_report(org.team, **report).report.case, org, status)


def _document(case: Case, user, title: str, data: bytes = PDF) -> None:
    services.add_attachment(
        user, case, title=title, filename="bb.pdf", data=data, storage=get_storage()
    )


def test_case_page_queries_do_not_grow_with_its_content(app, org):
    small = _case(org, photos=1, seed="s")
    services.add_note(org.inspector, small, "Đã kiểm tra cơ sở.")
    _document(small, org.inspector, "Biên bản")
    big = _case(org, photos=2, seed="a")
    for seed in ("b", "c"):
        source = new_report(org.team, photos=1, seed=seed).report.case
        transitions.merge_case(org.lead, source, target=big)
        db.session.commit()
    for author, body in ((org.inspector, "Đã kiểm tra."), (org.inspector2, "Đã lấy mẫu.")):
        services.add_note(author, big, body)
        _document(big, author, f"Biên bản của {author.full_name}")
    _document(big, org.lead, "Ảnh", imaging.jpeg())
    db.session.commit()
    assert len(big.reports) == 3 and len(big.photos) == 4 and len(big.attachments) == 3
    client = app.test_client()
    login(client, org.lead)
    assert _queries(app, client, f"/cases/{big.id}") == _queries(app, client, f"/cases/{small.id}")


def test_queue_queries_do_not_grow_with_its_rows(app, org):
    client = app.test_client()
    login(client, org.lead)
    _case(org, S.NEW)
    one = _queries(app, client, "/cases?status=all")
    categories = db.session.scalars(select(Category).order_by(Category.id)).all()
    for i, category in enumerate(categories[:4]):
        case = _case(org, S.ASSIGNED if i % 2 else S.INVESTIGATING, seed=str(i))
        case.category_id = category.id
        db.session.commit()
    transitions.assign_case(org.lead, case, assignee=org.inspector2)
    db.session.commit()
    assert _queries(app, client, "/cases?status=all") == one

"""The migration that introduced owners gives every existing report, published ones
included, the association or office of the staff member who built it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from inspect_app.extensions import db
from inspect_app.stats import services
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period
from tests.stats.conftest import vn

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations/versions/e41f0c7d9a2b_stats_report_owners.py"
)
Q3 = Period.quarter(2026, 3)


def _migration():
    spec = importlib.util.spec_from_file_location("stats_owner_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_owners_are_filled_in_from_who_built_the_report(dataset):
    staff, director = dataset.org.association, dataset.org.director
    published = services.create_draft(staff, Q3, 1, now=vn("2026-10-01 09:00"))
    services.publish_report(published, staff, now=vn("2026-10-02 09:00"))
    draft = services.create_draft(director, Q3, 1, now=vn("2026-10-03 09:00"))
    db.session.commit()
    migration = _migration()
    dialect = db.engine.dialect.name
    with Operations.context(MigrationContext.configure(db.session.connection())):
        migration._drop_trigger(dialect)
        db.session.execute(text("UPDATE stats_reports SET association_id = NULL, office_id = NULL"))
        migration._fill_owners()
        migration._create_trigger(dialect)
    db.session.commit()
    db.session.expire_all()
    published, draft = (
        db.session.get(StatsReport, published.id),
        db.session.get(StatsReport, draft.id),
    )
    assert (published.association_id, published.office_id) == (staff.association_id, None)
    assert (draft.association_id, draft.office_id) == (None, director.office_id)

"""Helpers shared by the deadline tests."""

from __future__ import annotations

from sqlalchemy import delete

from inspect_app.deadlines.models import CalendarOverride, DeadlinePolicy
from inspect_app.deadlines.services import load_default_policies, load_official_swaps
from inspect_app.extensions import db


def reset_shipped_deadline_data() -> None:
    """Leave exactly the shipped policies and swaps, as `flask refdata load` does.

    Both tables are reference data that outlives a test, so a test that changes them
    puts them back.
    """
    db.session.rollback()
    db.session.execute(delete(DeadlinePolicy))
    db.session.execute(delete(CalendarOverride))
    load_default_policies()
    load_official_swaps()
    db.session.commit()

"""Views of the queue: the built-in ones every officer has ("Của tôi", "Chờ phân
loại", "Quá hạn", "Sắp đến hạn") and the ones an officer saves from the filters in
use, shown as chips above the queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.accounts.models import User
from inspect_app.accounts.permissions import Role
from inspect_app.dbtypes import UTCDateTime, utcnow
from inspect_app.extensions import db
from inspect_app.text import normalize_text

# The queue's filter parameters, in the order a view's query string is written.
FILTER_KEYS = (
    "q",
    "status",
    "category",
    "ward",
    "source",
    "kind",
    "assignee",
    "due",
    "received_from",
    "received_to",
    "sort",
)
MAX_SAVED = 20
NAME_MAX = 40


class SavedView(db.Model):
    """A named set of queue filters, one officer's own."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    query: Mapped[str] = mapped_column(Text)  # canonical query string (see `canonical`)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ViewError(ValueError):
    """A view that cannot be saved; the message is for the user."""


@dataclass(frozen=True)
class View:
    """A chip: its name, its filters, and (for a saved one) its id."""

    key: str
    name: str
    args: dict[str, str]
    saved_id: int | None = None


def canonical(args: Mapping[str, str]) -> dict[str, str]:
    """The filters of a query, without empty values, paging or anything else."""
    return {
        key: args[key].strip()
        for key in FILTER_KEYS
        if (args.get(key) or "").strip() not in ("", "None")
    }


def builtin_views(user: User) -> list[View]:
    """The views every officer has; "Mine" for those who are assigned cases."""
    views = []
    if user.role_enum in (Role.INSPECTOR, Role.TEAM_LEAD):
        views.append(View("mine", str(_l("Mine")), {"assignee": "mine"}))
    views += [
        View("triage", str(_l("To triage")), {"status": "new"}),
        View("overdue", str(_l("Overdue")), {"due": "overdue"}),
        View("soon", str(_l("Due soon")), {"due": "3"}),
    ]
    return views


def saved_views(user: User) -> list[View]:
    rows = db.session.scalars(
        select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
    )
    return [View(f"saved-{v.id}", v.name, dict(parse_qsl(v.query)), v.id) for v in rows]


def save_view(user: User, name: str, args: Mapping[str, str]) -> SavedView:
    """Save the filters in use under a name (the same name replaces its filters)."""
    label = normalize_text(name)[:NAME_MAX].strip()
    if not label:
        raise ViewError(_l("Give the view a name."))
    filters = canonical(args)
    if not filters:
        raise ViewError(_l("Choose some filters first: this view shows the open cases already."))
    query = urlencode(filters)
    existing = db.session.scalar(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.name == label)
    )
    if existing is not None:
        existing.query = query
        db.session.flush()
        return existing
    count = db.session.scalar(
        select(func.count()).select_from(SavedView).where(SavedView.user_id == user.id)
    )
    if count >= MAX_SAVED:
        raise ViewError(_l("You can keep %(n)d views; delete one first.", n=MAX_SAVED))
    view = SavedView(user_id=user.id, name=label, query=query)
    db.session.add(view)
    db.session.flush()
    return view


def delete_view(user: User, view_id: int) -> bool:
    """Delete one of the user's own views; False if there is no such view of theirs."""
    view = db.session.get(SavedView, view_id) if 0 < view_id <= 2**31 - 1 else None
    if view is None or view.user_id != user.id:
        return False
    db.session.delete(view)
    db.session.flush()
    return True


def current_view(views: list[View], args: Mapping[str, str]) -> View | None:
    """The view whose filters are exactly those in use."""
    filters = canonical(args)
    return next((view for view in views if view.args == filters), None)

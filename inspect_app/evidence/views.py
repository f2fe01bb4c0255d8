"""Serving evidence to staff: the metadata-free copies of photos, for viewing.

Originals are never served here: they are sealed, and leave only through the case
page's audited, re-authenticated download (`cases.originals`).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases.access import can_see_case
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage, read_photo_copy
from inspect_app.extensions import db

bp = Blueprint("evidence", __name__)


def _photo_in_reach(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or not can_see_case(current_user, photo.report.case):
        abort(404)
    return photo


def private_response(data: bytes, mimetype: str) -> Response:
    """Evidence for one officer's eyes: never cached, never sniffed, never scripted."""
    response = Response(data, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/evidence/photos/<id:photo_id>/<any(display,thumb):variant>.jpg")
@require_permission(Permission.VIEW_CASES)
def photo(photo_id: int, variant: str):
    """A re-encoded copy: no EXIF, no GPS, nothing appended."""
    found = _photo_in_reach(photo_id)
    try:
        data = read_photo_copy(get_storage(), found, variant)
    except FileNotFoundError:
        abort(404)
    return private_response(data, "image/jpeg")

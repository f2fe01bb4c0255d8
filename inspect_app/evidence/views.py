"""Serving evidence to staff: derivatives for viewing, originals for download."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases.access import can_see_case
from inspect_app.cases.services import record_original_download
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage
from inspect_app.evidence.storage import display_key, original_key, thumb_key
from inspect_app.extensions import db

bp = Blueprint("evidence", __name__)

_VARIANTS = {"display": display_key, "thumb": thumb_key}


def _photo_in_reach(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or not can_see_case(current_user, photo.report.case):
        abort(404)
    return photo


def private_response(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/evidence/photos/<id:photo_id>/<any(display,thumb):variant>.jpg")
@require_permission(Permission.VIEW_CASES)
def photo(photo_id: int, variant: str):
    """A re-encoded derivative: no EXIF, no GPS, nothing appended."""
    found = _photo_in_reach(photo_id)
    try:
        data = get_storage().get(_VARIANTS[variant](found.sha256))
    except FileNotFoundError:
        abort(404)
    return private_response(data, "image/jpeg")


@bp.route("/evidence/photos/<id:photo_id>/original")
@require_permission(Permission.DOWNLOAD_ORIGINALS)
def original(photo_id: int):
    """The original bytes, as evidence (a download, never rendered inline)."""
    found = _photo_in_reach(photo_id)
    try:
        data = get_storage().get(original_key(found.sha256))
    except FileNotFoundError:
        abort(404)
    record_original_download(current_user, found.report.case, found.sha256, f"photo {found.id}")
    db.session.commit()
    response = private_response(data, "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="photo-{found.id}-original"'
    return response

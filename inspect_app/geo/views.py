"""Lookups for the dependent province → ward select."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from inspect_app.extensions import db
from inspect_app.geo.models import Province
from inspect_app.geo.services import wards_of

bp = Blueprint("geo", __name__)


@bp.route("/geo/provinces/<id:code>/wards")
def wards(code: int):
    if db.session.get(Province, code) is None:
        abort(404)
    response = jsonify([{"code": w.code, "name": w.name} for w in wards_of(code)])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response

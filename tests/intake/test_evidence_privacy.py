"""Photo evidence: originals kept as evidence, EXIF recorded, nothing leaks publicly;
reporter identity never in plain text in the database."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import select, text

from inspect_app.accounts.permissions import Role
from inspect_app.evidence.models import Photo
from inspect_app.evidence.storage import LocalStorage, original_key
from inspect_app.extensions import db
from tests import imaging
from tests.helpers import login
from tests.intake.conftest import post_report


def test_gps_is_recorded_but_never_served(app, client, tip, org, make_user):
    original = imaging.jpeg_with_gps(21.0285, 105.8542)
    assert post_report(client, tip([(original, "IMG_20261120.jpg")])).status_code == 302
    photo = db.session.scalar(select(Photo))
    assert abs(photo.gps_lat - 21.0285) < 1e-4 and abs(photo.gps_lon - 105.8542) < 1e-4
    assert photo.camera_make == "Samsung" and photo.camera_model == "Galaxy A54"
    assert photo.taken_at.isoformat() == "2026-11-20T07:30:00+00:00"  # 14:30 in Vietnam

    storage = LocalStorage(app.config["UPLOAD_ROOT"])
    assert storage.get(original_key(photo.sha256)) == original, "original kept byte for byte"

    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    staff = app.test_client()
    login(staff, lead)
    for variant in ("display", "thumb"):
        response = staff.get(f"/evidence/photos/{photo.id}/{variant}.jpg")
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        served = response.get_data()
        assert b"Exif" not in served and b"secret comment" not in served
        assert not Image.open(__import__("io").BytesIO(served)).getexif()
    download = staff.get(f"/evidence/photos/{photo.id}/original")
    assert download.get_data() == original
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_photos_are_not_public(client, tip, org, make_user, app):
    post_report(client, tip([(imaging.jpeg(), "a.jpg")]))
    photo = db.session.scalar(select(Photo))
    anonymous = app.test_client()
    assert anonymous.get(f"/evidence/photos/{photo.id}/display.jpg").status_code == 302
    outsider = make_user(Role.INSPECTOR, team=org["other_team"])
    other = app.test_client()
    login(other, outsider)
    assert other.get(f"/evidence/photos/{photo.id}/display.jpg").status_code == 404
    assert other.get(f"/evidence/photos/{photo.id}/original").status_code == 404


def _database_text(app) -> str:
    """Everything the database holds, as text."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        return raw.decode("utf-8", errors="replace")
    tables = [t.name for t in db.metadata.sorted_tables]
    rows = [
        db.session.execute(text(f'SELECT t::text FROM "{t}" t')).scalars().all() for t in tables
    ]
    return "\n".join(r for table in rows for r in table)


def test_reporter_email_and_phone_never_appear_in_plain_text(app, client, tip):
    data = tip(
        identity="named",
        name="Trần Thị Bình",
        phone="0987654321",
        email="binh.tran@example.vn",
        consent="y",
    )
    assert post_report(client, data).status_code == 302
    db.session.commit()
    dump = _database_text(app)
    assert "Sữa bột Similac" in dump, "the check reads real data"
    for secret in ("0987654321", "binh.tran@example.vn", "Trần Thị Bình"):
        assert secret not in dump


def test_photos_spooled_to_disk_or_kept_in_memory_are_stored_byte_for_byte(app, client, tip):
    """Werkzeug spools a large upload to a temporary file (over 500 KB), keeps a small
    one in memory; either is decoded from where it is and stored unchanged."""
    large, small = imaging.jpeg((2400, 1800), seed="large"), imaging.jpeg((64, 48))
    assert len(large) > 1024 * 1024

    assert post_report(client, tip([(large, "a.jpg"), (small, "b.jpg")])).status_code == 302

    storage = LocalStorage(app.config["UPLOAD_ROOT"])
    photos = db.session.scalars(select(Photo).order_by(Photo.position)).all()
    assert [storage.get(original_key(p.sha256)) for p in photos] == [large, small]
    assert [(p.width, p.height) for p in photos] == [(2400, 1800), (64, 48)]

"""Photo evidence: originals kept byte for byte but encrypted and sealed; EXIF that
can identify the photographer counts as identity for a report without a name;
nothing leaks to the public; reporter identity never in plain text anywhere."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image
from sqlalchemy import select, text

from inspect_app.accounts.permissions import Role
from inspect_app.audit.models import AuditEvent
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from tests import imaging
from tests.factories import PASSWORD
from tests.helpers import login
from tests.intake.conftest import files_under, post_report

ARTIST = "Nguyen Van Tuan"
SERIAL = "R58N12345XY"
REASON = "Xác minh nơi chụp ảnh để kiểm tra."


def _officers(app, org, make_user) -> tuple:
    """The team's lead and an inspector, logged in (the lead holds the keys)."""
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    inspector = make_user(Role.INSPECTOR, team=org["ward_team"])
    clients = []
    for user in (lead, inspector):
        client = app.test_client()
        login(client, user)
        clients.append(client)
    return lead, inspector, *clients


def _case_html(client, photo: Photo) -> str:
    return client.get(f"/cases/{photo.report.case_id}").get_data(as_text=True)


def _unzip(response) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return [archive.read(name) for name in sorted(archive.namelist())]


def _download(client, photo: Photo, password: str = PASSWORD):
    path = f"/cases/{photo.report.case_id}/reports/{photo.report_id}/originals"
    return client.post(path, data={"password": password, "reason": REASON})


def test_an_anonymous_photos_place_camera_and_author_are_sealed(app, client, tip, org, make_user):
    lead, _inspector, lead_client, inspector_client = _officers(app, org, make_user)
    original = imaging.jpeg_with_gps(21.0285, 105.8542, artist=ARTIST, serial=SERIAL)
    assert post_report(client, tip([(original, "IMG_20261120.jpg")])).status_code == 302
    photo = db.session.scalar(select(Photo))
    assert photo.gps_lat is None and photo.camera_model is None, "not in the clear"
    assert photo.facts_sealed and photo.taken_at.isoformat() == "2026-11-20T07:30:00+00:00"

    # The inspector sees the capture time and the place of the report, not the
    # coordinates, the camera or the photographer's name — and gets no original.
    html = _case_html(inspector_client, photo)
    assert "20/11/2026" in html and 'data-testid="facts-sealed"' in html
    for secret in ("21.0285", "105.854", "Galaxy A54", ARTIST, SERIAL):
        assert secret not in html
    refused = _download(inspector_client, photo)
    assert refused.status_code == 403 and refused.mimetype != "application/zip"

    # The lead reveals them, and downloads the original, each time re-authenticated
    # and audited.
    path = f"/cases/{photo.report.case_id}/reports/{photo.report_id}/reveal"
    revealed = lead_client.post(path, data={"password": PASSWORD, "reason": REASON})
    assert revealed.status_code == 200
    html = revealed.get_data(as_text=True)
    assert "21.02850" in html and "Galaxy A54" in html and ARTIST in html and SERIAL in html
    assert _unzip(_download(lead_client, photo)) == [original]
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(["identity.reveal", "evidence.download_original"]))
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.actor_id, e.data["reason"]) for e in events] == [
        ("identity.reveal", lead.id, REASON),
        ("evidence.download_original", lead.id, REASON),
    ]


def test_a_named_reports_place_and_camera_are_shown_its_author_is_not(
    app, client, tip, org, make_user
):
    original = imaging.jpeg_with_gps(artist=ARTIST)
    data = tip(
        [(original, "a.jpg")], identity="named", name="Lê Thị Hoa", phone="0987000111", consent="y"
    )
    assert post_report(client, data).status_code == 302
    photo = db.session.scalar(select(Photo))
    assert abs(photo.gps_lat - 21.0285) < 1e-4 and photo.camera_model == "Galaxy A54"
    # These officers joined after the report was sealed: they see the facts any
    # officer of the case sees, and are told how to get the originals' key.
    _lead, _inspector, _lead_client, inspector_client = _officers(app, org, make_user)
    html = _case_html(inspector_client, photo)
    assert "21.02850" in html and "Galaxy A54" in html and ARTIST not in html
    refused = _download(inspector_client, photo)
    assert refused.status_code == 403
    assert "Bạn chưa có khóa của báo cáo này" in refused.get_data(as_text=True)


def test_officers_of_the_team_at_the_time_download_a_named_original(app, tip, org, make_user):
    _lead, inspector, _lead_client, inspector_client = _officers(app, org, make_user)
    original = imaging.jpeg_with_gps(artist=ARTIST, seed="named")
    data = tip(
        [(original, "a.jpg")], identity="named", name="Lê Thị Hoa", phone="0987000111", consent="y"
    )
    assert post_report(app.test_client(), data).status_code == 302
    photo = db.session.scalar(select(Photo))

    wrong = _download(inspector_client, photo, password="not the password")
    assert wrong.status_code == 400 and wrong.mimetype != "application/zip"
    response = _download(inspector_client, photo)
    assert response.status_code == 200 and _unzip(response) == [original]
    assert response.headers["Cache-Control"] == "no-store"
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.actor_id == inspector.id)
        .order_by(AuditEvent.seq)
    ).all()
    assert actions[-2:] == ["evidence.download_original_refused", "evidence.download_original"]


def test_served_copies_carry_no_metadata_and_are_never_cached(app, client, tip, org, make_user):
    original = imaging.jpeg_with_gps(artist=ARTIST)
    post_report(client, tip([(original, "a.jpg")]))
    photo = db.session.scalar(select(Photo))
    _lead, _inspector, _lead_client, inspector_client = _officers(app, org, make_user)
    for variant in ("display", "thumb"):
        response = inspector_client.get(f"/evidence/photos/{photo.id}/{variant}.jpg")
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        served = response.get_data()
        assert b"Exif" not in served and b"secret comment" not in served
        assert ARTIST.encode() not in served
        assert not Image.open(io.BytesIO(served)).getexif()


def test_the_upload_folder_holds_nothing_in_the_clear(app, client, tip):
    """Originals and copies alike are encrypted under random names."""
    before = files_under(app.config["UPLOAD_ROOT"])
    original = imaging.jpeg_with_gps(artist=ARTIST, seed="folder")
    post_report(client, tip([(original, "a.jpg")]))
    photo = db.session.scalar(select(Photo))
    written = files_under(app.config["UPLOAD_ROOT"]) - before
    assert len(written) == 3
    assert all(photo.file_id in path.name for path in written)
    for path in written:
        content = path.read_bytes()
        assert not content.startswith(b"\xff\xd8"), f"{path.name} is a JPEG in the clear"
        for marker in (b"Exif", b"secret comment", ARTIST.encode(), b"JFIF", photo.sha256.encode()):
            assert marker not in content
    assert photo.sha256 not in " ".join(path.name for path in written)


def test_photos_are_not_public(client, tip, org, make_user, app):
    post_report(client, tip([(imaging.jpeg(), "a.jpg")]))
    photo = db.session.scalar(select(Photo))
    anonymous = app.test_client()
    assert anonymous.get(f"/evidence/photos/{photo.id}/display.jpg").status_code == 302
    outsider = make_user(Role.INSPECTOR, team=org["other_team"])
    other = app.test_client()
    login(other, outsider)
    assert other.get(f"/evidence/photos/{photo.id}/display.jpg").status_code == 404
    assert _download(other, photo).status_code == 404


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
        name="Tôn Nữ Diễm Kiều",
        phone="0987654321",
        email="binh.tran@example.vn",
        consent="y",
    )
    assert post_report(client, data).status_code == 302
    db.session.commit()
    dump = _database_text(app)
    assert "Sữa bột Similac" in dump, "the check reads real data"
    for secret in ("0987654321", "binh.tran@example.vn", "Tôn Nữ Diễm Kiều"):
        assert secret not in dump


def test_photos_spooled_to_disk_or_kept_in_memory_are_stored_byte_for_byte(
    app, client, tip, org, make_user
):
    """Werkzeug spools a large upload to a temporary file (over 500 KB), keeps a small
    one in memory; either is decoded from where it is and stored unchanged."""
    large, small = imaging.jpeg((2400, 1800), seed="large"), imaging.jpeg((64, 48))
    assert len(large) > 1024 * 1024
    _lead, _inspector, lead_client, _inspector_client = _officers(app, org, make_user)

    assert post_report(client, tip([(large, "a.jpg"), (small, "b.jpg")])).status_code == 302

    photos = db.session.scalars(select(Photo).order_by(Photo.position)).all()
    assert _unzip(_download(lead_client, photos[0])) == [large, small]
    assert [(p.width, p.height) for p in photos] == [(2400, 1800), (64, 48)]

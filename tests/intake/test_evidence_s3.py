"""With STORAGE_BACKEND=s3, a citizen's photos go to the object store, encrypted,
and officers see them from there; nothing lands in the upload folder."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from inspect_app.accounts.permissions import Role
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage
from inspect_app.evidence.storage import S3Storage
from inspect_app.extensions import db
from tests import imaging
from tests.helpers import login
from tests.intake.conftest import files_under, post_report


def test_photos_are_stored_in_the_bucket_and_served_from_it(s3_app, client, tip, org, make_user):
    before = files_under(s3_app.config["UPLOAD_ROOT"])
    original = imaging.jpeg_with_gps(seed="s3")

    assert post_report(client, tip([(original, "a.jpg")])).status_code == 302

    photo = db.session.scalar(select(Photo))
    storage = get_storage()
    assert isinstance(storage, S3Storage)
    keys = {key for key, _ in storage.iter_keys()}
    assert len(keys) == 3 and all(photo.file_id in key for key in keys)
    assert not any(storage.get(key).startswith(b"\xff\xd8") for key in keys), "encrypted"
    assert files_under(s3_app.config["UPLOAD_ROOT"]) == before

    inspector = make_user(Role.INSPECTOR, team=org["ward_team"])
    officer = s3_app.test_client()
    login(officer, inspector)
    for variant in ("display", "thumb"):
        response = officer.get(f"/evidence/photos/{photo.id}/{variant}.jpg")
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.get_data())).format == "JPEG"


def test_a_copy_missing_from_the_bucket_is_a_404(s3_app, client, tip, org, make_user):
    post_report(client, tip([(imaging.jpeg_with_gps(seed="gone"), "a.jpg")]))
    photo = db.session.scalar(select(Photo))
    get_storage().delete(
        f"derived/{photo.file_id[:2]}/{photo.file_id[2:4]}/{photo.file_id}-thumb.jpg"
    )
    inspector = make_user(Role.INSPECTOR, team=org["ward_team"])
    officer = s3_app.test_client()
    login(officer, inspector)

    assert officer.get(f"/evidence/photos/{photo.id}/thumb.jpg").status_code == 404

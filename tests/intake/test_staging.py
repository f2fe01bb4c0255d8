"""Photos staged while the form is filled in: the pipeline on arrival, bound to their
form, claimed by the report, swept when never sent, and idempotent submission."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import LocationType, Report
from inspect_app.dbtypes import utcnow
from inspect_app.evidence import staging
from inspect_app.evidence.images import PhotoRejected
from inspect_app.evidence.models import Photo, StagedPhoto
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    TooManyPhotos,
    get_storage,
    read_photo_copy,
)
from inspect_app.evidence.sweep import sweep_configured_storage
from inspect_app.extensions import db
from inspect_app.intake import services
from inspect_app.intake.models import SubmissionReceipt
from inspect_app.sealing import crypto
from inspect_app.sealing import services as sealing
from tests import imaging
from tests.factories import PASSWORD


def _stage(form_key: str, content: bytes | None = None, name: str = "a.jpg"):
    upload = BytesIO(content or imaging.jpeg(seed=name))
    staged = staging.stage_photo(get_storage(), upload, name, form_key=form_key, now=utcnow())
    db.session.commit()
    return staged


def _draft(org, category_id, **overrides) -> services.ReportDraft:
    values = {
        "category_id": category_id,
        "product": "Sữa bột",
        "description": "Tem chống giả bị mờ.",
        "location_type": LocationType.PHYSICAL,
        "province_code": 1,
        "ward_code": org["ward"],
    }
    values.update(overrides)
    return services.ReportDraft(**values)


def _files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_ROOT"]).rglob("*") if p.is_file()}


def test_a_staged_photo_is_processed_stored_encrypted_and_bound_to_its_form(app, app_ctx):
    form_key = crypto.new_bearer_token()
    staged = _stage(form_key, imaging.jpeg_with_gps(artist="Nguyen Van A"))
    assert staged.thumb_jpeg.startswith(b"\xff\xd8")
    row = db.session.scalar(select(StagedPhoto))
    assert row.token_hash == crypto.bearer_hash(staged.token) and staged.token not in str(
        [row.token_hash, row.form_key_hash, row.secrets_sealed]
    )
    assert "Nguyen" not in row.secrets_sealed and "21.02" not in row.secrets_sealed
    assert all(b"Nguyen Van A" not in path.read_bytes() for path in _files(app)), "encrypted"
    thumbs = staging.staged_thumbnails(get_storage(), [staged.token], form_key)
    assert thumbs == [(staged.token, staged.thumb_jpeg)]
    other_form = crypto.new_bearer_token()
    assert staging.staged_thumbnails(get_storage(), [staged.token], other_form) == []
    with pytest.raises(staging.StagedPhotoMissing):
        staging.claim_staged([staged.token], other_form, first_position=0, named=False)


def test_a_refused_photo_leaves_nothing_and_the_form_limit_holds(app, app_ctx):
    form_key, before = crypto.new_bearer_token(), _files(app)
    with pytest.raises(PhotoRejected) as refused:
        _stage(form_key, imaging.gif(), "x.gif")
    assert refused.value.code == "unsupported"
    assert _files(app) == before and db.session.scalar(select(func.count(StagedPhoto.id))) == 0
    for n in range(MAX_PHOTOS_PER_REPORT):
        _stage(form_key, name=f"{n}.jpg")
    with pytest.raises(TooManyPhotos):
        _stage(form_key, name="one-too-many.jpg")
    with pytest.raises(staging.StagedPhotoMissing):
        _stage("not a key")


def test_submitting_claims_staged_photos_into_the_sealed_report(app, app_ctx, org, category_id):
    form_key = crypto.new_bearer_token()
    first = _stage(form_key, imaging.jpeg_with_gps(), "gps.jpg")
    second = _stage(form_key, name="b.jpg")
    submission = services.submit_report(
        _draft(org, category_id),
        [],
        get_storage(),
        staged=[first.token, second.token],
        form_key=form_key,
    )
    db.session.commit()
    report = submission.report
    assert [p.position for p in report.photos] == [0, 1]
    assert report.photos[0].gps_lat is None and report.photos[0].facts_sealed, "anonymous: sealed"
    assert report.photos[0].original_key_sealed
    assert read_photo_copy(get_storage(), report.photos[1], "thumb") == second.thumb_jpeg
    assert db.session.scalar(select(func.count(StagedPhoto.id))) == 0, "claimed"
    opened = sealing.reporter_view(report, submission.tracking_code)
    assert opened.photo_facts[report.photos[0].id]["gps_lat"] == pytest.approx(21.0285)


def test_a_retried_submission_returns_the_same_report(app, app_ctx, org, category_id):
    form_key = crypto.new_bearer_token()
    first = services.submit_report(_draft(org, category_id), [], get_storage(), form_key=form_key)
    db.session.commit()
    again = services.already_submitted(form_key)
    assert again.report.id == first.report.id and again.tracking_code == first.tracking_code
    assert services.already_submitted(crypto.new_bearer_token()) is None
    receipt = db.session.scalar(select(SubmissionReceipt))
    assert first.tracking_code not in receipt.code_sealed


def test_the_sweep_removes_staged_photos_never_sent_after_the_grace_period(
    app, app_ctx, org, category_id
):
    sweep_configured_storage(grace_seconds=0)
    form_key = crypto.new_bearer_token()
    kept = _stage(form_key, name="kept.jpg")
    _stage(form_key, name="forgotten.jpg")
    db.session.execute(
        StagedPhoto.__table__.update()
        .where(StagedPhoto.token_hash != crypto.bearer_hash(kept.token))
        .values(created_at=utcnow() - timedelta(hours=30))
    )
    db.session.commit()
    for path in _files(app):  # files are a day old; the rows decide what is staged
        os.utime(path, (time.time() - 30 * 3600,) * 2)
    dry = sweep_configured_storage(dry_run=True)
    assert len(dry.removed) == 3 and db.session.scalar(select(func.count(StagedPhoto.id))) == 2
    result = sweep_configured_storage()
    assert result.staged_expired == 1 and len(result.removed) == 3
    assert len(_files(app)) == 3, "the recent staged photo keeps its three files"
    assert staging.staged_thumbnails(get_storage(), [kept.token], form_key)


def test_a_removed_photo_is_gone_from_the_form(app, app_ctx):
    form_key = crypto.new_bearer_token()
    staged = _stage(form_key)
    staging.discard_staged(staged.token, form_key)
    db.session.commit()
    assert staging.staged_count(form_key) == 0


def test_the_device_location_is_sealed_unless_the_report_is_named(
    app, app_ctx, org, category_id, make_user
):
    lead = make_user(Role.TEAM_LEAD, team=org["ward_team"])
    here = services.device_location("21.0278", "105.8342", "25")
    anonymous = services.submit_report(_draft(org, category_id, location=here), [], get_storage())
    db.session.commit()
    report = anonymous.report
    assert report.device_lat is None and report.location_sealed
    revealed = sealing.reveal_identity(lead, PASSWORD, report)
    assert revealed.location == {"lat": 21.0278, "lon": 105.8342, "accuracy_m": 25.0}
    assert services.device_location("91", "0", "5") is None
    assert services.device_location("x", "0", "5") is None
    named = services.submit_report(
        _draft(
            org,
            category_id,
            location=here,
            identity=services.ReporterIdentity(name="Lê Văn B", phone="0912345678"),
            consent=True,
        ),
        [],
        get_storage(),
    )
    db.session.commit()
    assert named.report.device_lat == pytest.approx(21.0278)
    assert db.session.scalar(select(func.count(Report.id))) == 2
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_the_upload_route_answers_a_token_a_thumbnail_or_the_reason(app, client):
    form_key = crypto.new_bearer_token()

    def upload(content: bytes, key: str = form_key):
        data = {"form_key": key, "photo": (BytesIO(content), "p.jpg")}
        return client.post("/report/photos", data=data, content_type="multipart/form-data")

    accepted = upload(imaging.jpeg())
    body = accepted.get_json()
    assert accepted.status_code == 200 and accepted.headers["Cache-Control"] == "no-store"
    assert staging.is_bearer_token(body["token"]) and body["thumb"].startswith("data:image/jpeg")
    refused = upload(imaging.gif())
    assert refused.status_code == 422 and "không được hỗ trợ" in refused.get_json()["error"]
    too_big = upload(b"\0" * (16 * 1024 * 1024))
    assert too_big.status_code == 413 and "15 MB" in too_big.get_json()["error"]
    assert upload(imaging.jpeg(), key="forged").status_code == 400
    removed = client.post(
        "/report/photos/remove", data={"form_key": form_key, "token": body["token"]}
    )
    assert removed.status_code == 200
    with app.app_context():
        assert staging.staged_count(form_key) == 0

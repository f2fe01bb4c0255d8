"""The restore drill (PostgreSQL): reports with photos are backed up with
scripts/backup.sh, restored with scripts/restore.sh into a new database and a new
bucket of the test S3 server; then the audit chain verifies, every original's
SHA-256 matches its row, and the restored app serves the cases and photos."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select

from config import TestingConfig
from inspect_app import create_app
from inspect_app.accounts.permissions import Role
from inspect_app.cases.models import Report
from inspect_app.evidence.models import Photo
from inspect_app.extensions import db
from tests import imaging, s3server
from tests.factories import PASSWORD
from tests.helpers import login
from tests.intake.conftest import post_report

ROOT = Path(__file__).resolve().parents[2]
REASON = "Diễn tập khôi phục sao lưu."


@pytest.fixture
def empty_database(app):
    """A new, empty PostgreSQL database beside the test database; dropped after."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.drivername.startswith("postgresql"):
        pytest.skip("the restore drill needs PostgreSQL (pg_dump, pg_restore)")
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _run(script: str, argument: Path, env: dict[str, str]) -> str:
    environment = {**os.environ, "INSPECT_ENV": "development", **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run(
        [str(ROOT / "scripts" / script), str(argument)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


def _download(client, case_id: int, report_id: int):
    path = f"/cases/{case_id}/reports/{report_id}/originals"
    return client.post(path, data={"password": PASSWORD, "reason": REASON})


def test_backup_restores_into_a_new_database_and_bucket(
    app, tip, org, make_user, empty_database, s3_endpoint, tmp_path
):
    inspector = make_user(Role.INSPECTOR, team=org["ward_team"])
    login(app.test_client(), inspector)  # the inspector's key pair: reports are sealed to it
    originals = {}
    for n in range(2):
        photos = [imaging.jpeg_with_gps(seed=f"drill-{n}-{m}") for m in range(2)]
        data = tip(
            [(photo, f"{m}.jpg") for m, photo in enumerate(photos)],
            identity="named",
            name=f"Người báo {n}",
            phone="0987000111",
            consent="y",
            product=f"Sản phẩm diễn tập {n}",
        )
        assert post_report(app.test_client(), data).status_code == 302
        for photo in photos:
            originals[hashlib.sha256(photo).hexdigest()] = photo
    source_photos = db.session.scalar(select(func.count()).select_from(Photo))
    assert source_photos == 4

    backup = tmp_path / "backup"
    timings = _run(
        "backup.sh",
        backup,
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "STORAGE_BACKEND": "local",
            "UPLOAD_ROOT": app.config["UPLOAD_ROOT"],
        },
    )
    assert "database" in timings and "evidence" in timings
    assert {p.name for p in backup.iterdir()} == {
        "database.dump",
        "evidence",
        "recovery-public-keys.csv",
        "MANIFEST",
        "SHA256SUMS",
    }

    bucket = s3server.new_bucket(s3_endpoint)
    target = {"DATABASE_URL": empty_database, **s3server.app_settings(s3_endpoint, bucket)}
    output = _run("restore.sh", backup, target)
    assert "audit" in output and "files" in output

    restored = create_app(
        TestingConfig,
        {"SQLALCHEMY_DATABASE_URI": empty_database, "UPLOAD_ROOT": str(tmp_path / "unused")}
        | s3server.app_settings(s3_endpoint, bucket),
    )
    try:
        with restored.app_context():
            photos = db.session.scalars(select(Photo).order_by(Photo.id)).all()
            reports = db.session.scalars(select(Report).order_by(Report.id)).all()
            assert {photo.sha256 for photo in photos} == set(originals)
            places = [(report.case_id, report.id) for report in reports]
            photo_ids = [photo.id for photo in photos]
            audit = restored.test_cli_runner().invoke(args=["audit", "verify"])
            assert audit.exit_code == 0, audit.output

        officer = restored.test_client()
        login(officer, inspector)
        downloaded = {}
        for case_id, report_id in places:
            assert "Sản phẩm diễn tập" in officer.get(f"/cases/{case_id}").get_data(as_text=True)
            response = _download(officer, case_id, report_id)
            assert response.status_code == 200, response.status_code
            with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
                for name in archive.namelist():
                    data = archive.read(name)
                    downloaded[hashlib.sha256(data).hexdigest()] = data
        assert downloaded == originals
        for photo_id in photo_ids:
            for variant in ("display", "thumb"):
                served = officer.get(f"/evidence/photos/{photo_id}/{variant}.jpg")
                assert served.status_code == 200 and served.get_data().startswith(b"\xff\xd8")
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()

"""`/readyz`: 200 only when the database, the storage and Redis (if configured)
answer and the schema is at the migration head; else 503 naming the failing checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade

from config import TestingConfig
from inspect_app import create_app
from inspect_app.extensions import db
from tests import s3server

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _ready(app):
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_ready_when_everything_answers(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)

    status, body = _ready(app)

    assert status == 200, body
    assert body == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "storage": "ok", "redis": "ok"},
        "failing": [],
    }


def test_redis_is_checked_only_when_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    status, body = _ready(app)
    assert status == 200 and body["checks"]["redis"] == "not configured"

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    status, body = _ready(app)
    assert status == 503 and body["failing"] == ["redis"]


def test_unusable_upload_folder_is_not_ready(app, monkeypatch, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(blocker / "uploads"))

    status, body = _ready(app)

    assert status == 503 and body["failing"] == ["storage"]
    assert body["status"] == "not ready"


def test_s3_storage_is_checked(s3_app, s3_endpoint, monkeypatch):
    assert _ready(s3_app)[0] == 200

    monkeypatch.setitem(s3_app.config, "S3_BUCKET", "no-such-bucket")
    status, body = _ready(s3_app)
    assert status == 503 and body["failing"] == ["storage"]


def test_an_unreachable_object_store_is_not_ready_after_one_attempt(s3_app, monkeypatch):
    """The load balancer must hear of it in seconds: the readiness probe tries once,
    with short timeouts, while uploads keep their retries."""
    monkeypatch.setitem(s3_app.config, "S3_ENDPOINT_URL", "http://127.0.0.1:1")

    status, body = _ready(s3_app)

    assert status == 503 and body["failing"] == ["storage"]
    with s3_app.app_context():
        from inspect_app.evidence.services import get_storage

        storage = get_storage()
    assert storage.probe.meta.config.retries["total_max_attempts"] == 1
    assert storage.probe.meta.config.connect_timeout == 2.0
    assert storage.client.meta.config.retries["total_max_attempts"] == 4


def test_schema_behind_the_code_is_not_ready(tmp_path: Path):
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "UPLOAD_ROOT": str(tmp_path / "uploads"),
        },
    )
    status, body = _ready(app)
    assert status == 503 and body["failing"] == ["migrations"], "no schema at all"

    with app.app_context():
        upgrade()
        downgrade(revision="-1")
        db.engine.dispose()
    status, body = _ready(app)
    assert status == 503 and body["failing"] == ["migrations"], "one migration behind"

    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert _ready(app)[0] == 200


def test_unreachable_database_is_not_ready(tmp_path: Path):
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "UPLOAD_ROOT": str(tmp_path),
        },
    )

    status, body = _ready(app)

    assert status == 503
    assert body["failing"] == ["database", "migrations"]


def test_s3_settings_are_refused_without_a_bucket():
    settings = {
        **s3server.app_settings("http://127.0.0.1:1", ""),
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
    }
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        create_app(TestingConfig, settings)


def test_an_unknown_storage_backend_is_refused():
    with pytest.raises(RuntimeError, match="STORAGE_BACKEND"):
        create_app(
            TestingConfig, {"STORAGE_BACKEND": "ftp", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )

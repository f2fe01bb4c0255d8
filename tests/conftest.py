"""Test fixtures: one real database per run (SQLite file, or PostgreSQL from
DATABASE_URL), built by the migrations, with reference data loaded once; every test
starts from empty domain tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, make_url

from config import TestingConfig
from inspect_app import create_app
from inspect_app.audit.purge import purge_audit_log
from inspect_app.extensions import db, limiter
from inspect_app.refdata import load_reference_data

# Reference tables are loaded once and kept between tests.
KEEP_TABLES = {
    "provinces",
    "wards",
    "categories",
    "calendar_overrides",
    "deadline_policies",
}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _worker_database(url: str, worker: str | None):
    """With pytest-xdist, each worker gets its own PostgreSQL database next to the
    given one (created here, dropped at the end), so `-n 2` works on both engines."""
    if not worker or not url.startswith("postgresql"):
        return url, None
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(statement)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")

    def drop() -> None:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


class IsolatedClient(FlaskClient):
    """Each request runs in its own application context, as in production.

    Without this, a request made while a test holds an app context would share that
    context's `g` (Flask-Login's cached user) and database session. Objects the test
    holds are expired afterwards so they show what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory, request):
    uploads = tmp_path_factory.mktemp("uploads")
    url, drop = _worker_database(
        database_url(tmp_path_factory), os.environ.get("PYTEST_XDIST_WORKER")
    )
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(uploads)})
    if drop is not None:

        def dispose_and_drop() -> None:
            with app.app_context():
                db.engine.dispose()
            drop()

        request.addfinalizer(dispose_and_drop)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    return app


# The audit log refuses DELETE; the test suite empties it through its permit.
AUDIT_TABLES = {"audit_events", "audit_head", "audit_purge_permit"}


def _wipe_domain_tables() -> None:
    purge_audit_log()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEEP_TABLES | AUDIT_TABLES:
            db.session.execute(delete(table))
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        db.session.remove()
        _wipe_domain_tables()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server process for this test session (tests/s3server.py)."""
    from tests.s3server import running_s3_server

    with running_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_app(app, s3_endpoint, monkeypatch):
    """The app with its evidence in a fresh bucket of the test S3 server."""
    from tests.s3server import app_settings, new_bucket

    for name, value in app_settings(s3_endpoint, new_bucket(s3_endpoint)).items():
        monkeypatch.setitem(app.config, name, value)
    return app


@pytest.fixture
def json_logs(app, monkeypatch):
    """LOG_FORMAT=json for this test; the returned function reads the lines back."""
    import io
    import json
    import logging

    from inspect_app.observability.logs import configure_json_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    stream = io.StringIO()
    configure_json_logging(stream)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    root.handlers[:], root.level = saved


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


pytest_plugins = ["tests.factories"]

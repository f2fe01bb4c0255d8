"""inspect_app: case management for reports of counterfeit and poor-quality goods."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from config import config_from_env, validate_config


def create_app(config: type | None = None, overrides: Mapping | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI, error pages."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config or config_from_env())
    if overrides:
        app.config.update(overrides)
    validate_config(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _trust_proxies(app)
    _init_extensions(app)
    _import_models()
    _register_blueprints(app)
    _register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client's address (rate limits,
    logs) and scheme come from the headers those proxies set, and only theirs: an
    X-Forwarded-For a client sends itself is the leftmost, untrusted entry."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _init_extensions(app: Flask) -> None:
    from inspect_app.accounts.sessions import init_sessions
    from inspect_app.core.typed_work import init_typed_work, login_redirect
    from inspect_app.core.web import init_web, select_locale
    from inspect_app.dbsetup import init_database_behaviour
    from inspect_app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from inspect_app.notify.views import remember_last_activity
    from inspect_app.observability.logs import init_logs

    init_logs(app)
    db.init_app(app)
    init_database_behaviour(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    # Before the session checks: the unread-count poll is not activity.
    app.before_request(remember_last_activity)
    init_sessions(app)
    init_web(app)
    init_typed_work(app)
    # To the login page and back; a refused POST's text is kept, and the login
    # never lands on a URL that answers only POST (core/typed_work.py).
    login_manager.unauthorized_handler(login_redirect)


def _import_models() -> None:
    """Every mapped class, so relationships by name resolve in any entry point."""
    import importlib

    for package in (
        "accounts",
        "api",
        "audit",
        "cases",
        "core",
        "deadlines",
        "evidence",
        "geo",
        "intake",
        "notify",
        "retention",
        "reviews",
        "scheduler",
        "sealing",
        "stats",
    ):
        importlib.import_module(f"inspect_app.{package}.models")


def _register_blueprints(app: Flask) -> None:
    from inspect_app.accounts.views import bp as accounts_bp
    from inspect_app.api.wiring import init_api
    from inspect_app.audit.views import bp as audit_bp
    from inspect_app.cases.views import bp as cases_bp
    from inspect_app.core.views import bp as core_bp
    from inspect_app.evidence.views import bp as evidence_bp
    from inspect_app.geo.views import bp as geo_bp
    from inspect_app.intake.views import bp as intake_bp
    from inspect_app.notify.views import bp as notify_bp
    from inspect_app.observability.views import bp as observability_bp
    from inspect_app.retention.views import bp as retention_bp
    from inspect_app.reviews.views import bp as reviews_bp
    from inspect_app.sealing.views import bp as sealing_bp
    from inspect_app.stats.views import bp as stats_bp

    for blueprint in (
        core_bp,
        accounts_bp,
        geo_bp,
        intake_bp,
        evidence_bp,
        cases_bp,
        reviews_bp,
        notify_bp,
        stats_bp,
        retention_bp,
        sealing_bp,
        audit_bp,
        observability_bp,
    ):
        app.register_blueprint(blueprint)
    init_api(app)


def _register_cli(app: Flask) -> None:
    from inspect_app.accounts.cli import teams_cli, users_cli
    from inspect_app.audit.cli import audit_cli
    from inspect_app.bulkseed.cli import seed_bulk_command
    from inspect_app.deadlines.cli import calendar_cli, deadlines_cli
    from inspect_app.demo import seed_demo_command
    from inspect_app.evidence.cli import evidence_cli
    from inspect_app.refdata import refdata_cli
    from inspect_app.retention.cli import retention_cli
    from inspect_app.scheduler.cli import scheduler_cli
    from inspect_app.sealing.cli import keys_cli

    for command in (
        users_cli,
        teams_cli,
        refdata_cli,
        seed_demo_command,
        evidence_cli,
        keys_cli,
        audit_cli,
        calendar_cli,
        deadlines_cli,
        scheduler_cli,
        seed_bulk_command,
        retention_cli,
    ):
        app.cli.add_command(command)

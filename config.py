"""Configuration classes, read from environment variables.

Every setting a deployer may change is listed in README.md § Configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production
# A fixed development key (Fernet, url-safe base64 of 32 bytes). Refused in production.
DEFAULT_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktY2hhbmdlLW1lISEhISE="
HOST_COOKIE_PREFIX = "__Host-"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _redis_of(storage_uri: str) -> str:
    return storage_uri if storage_uri.startswith(("redis://", "rediss://")) else ""


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'inspect.sqlite3'}")
    # Heroku-style URLs and plain postgresql:// use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    INSPECT_DATA_KEY = os.environ.get("INSPECT_DATA_KEY", DEFAULT_DATA_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT", str(BASE_DIR / "uploads"))
    # Evidence storage: "local" (the UPLOAD_ROOT folder, one host) or "s3" (a bucket
    # of an S3-compatible object store that every host shares).
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty: AWS itself
    S3_REGION = os.environ.get("S3_REGION", "")
    # Empty: boto3's own credential chain (AWS_ACCESS_KEY_ID…, instance roles).
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "auto")  # path, virtual
    S3_VERIFY = os.environ.get("S3_VERIFY", "true")  # or false, or a CA bundle's path
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 160 * 1024 * 1024)

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_NAME = "inspect_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # Absolute lifetime of a staff session, and inactivity timeout.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_LIFETIME_HOURS", 12))
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token

    # Failed logins from one address (and failed two-step codes of one account)
    # before it waits; from all addresses before the account accepts only addresses
    # it logged in from before. Each wait doubles, up to the cap, and expires alone.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_ACCOUNT_MAX_FAILURES = _env_int("LOGIN_ACCOUNT_MAX_FAILURES", 20)
    LOGIN_BLOCK_MAX_MINUTES = _env_int("LOGIN_BLOCK_MAX_MINUTES", 60)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    REPORT_RATE_LIMIT = os.environ.get("REPORT_RATE_LIMIT", "5 per minute; 30 per day")
    # Photos uploaded while a public form is filled in (and removed again).
    PHOTO_UPLOAD_RATE_LIMIT = os.environ.get("PHOTO_UPLOAD_RATE_LIMIT", "60 per 10 minutes")
    # Reporters' messages to the officers, per address (and per code: intake.channel).
    FOLLOWUP_RATE_LIMIT = os.environ.get("FOLLOWUP_RATE_LIMIT", "10 per hour")
    # Every /api/v1 request, per key or token (or per address without one).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
    # Counts failed look-ups only.
    TRACK_RATE_LIMIT = os.environ.get("TRACK_RATE_LIMIT", "10 per 10 minutes")
    # Administrators do not read cases; a deployment may allow it explicitly.
    ADMINS_READ_CASES = _env_bool("ADMINS_READ_CASES", False)
    # Lifetime of one-time links for setting a password (invitation, admin reset).
    PASSWORD_LINK_HOURS = _env_int("PASSWORD_LINK_HOURS", 72)
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "inspect")
    # The Redis that hosts share (readiness, reference-data invalidation); by default
    # the rate limits' Redis, if they use one.
    REDIS_URL = os.environ.get("REDIS_URL") or _redis_of(RATELIMIT_STORAGE_URI)
    # How many reverse proxies in front of the app append to X-Forwarded-For and set
    # X-Forwarded-Proto (Werkzeug's ProxyFix). 0: the peer address is the client.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True

    # /metrics: open to this bearer token and/or these networks (CIDR, comma-
    # separated); with neither, it answers 404 to everyone.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    METRICS_ALLOWED_NETWORKS = os.environ.get("METRICS_ALLOWED_NETWORKS", "")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # or "json": one object a line

    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "inspect@localhost")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Development only (`make run` sets it): without SMTP_HOST, e-mails are written
    # to this folder and staff read theirs in the app at /dev/mailbox.
    DEV_MAILBOX_DIR = os.environ.get("DEV_MAILBOX_DIR", "")
    # Published statistics show counts below this as "< N" (small-cell suppression).
    STATS_SUPPRESSION_THRESHOLD = _env_int("STATS_SUPPRESSION_THRESHOLD", 3)

    # The scheduler process (`flask scheduler run`); hours are Vietnam time.
    REMINDER_WORKING_DAYS = os.environ.get("REMINDER_WORKING_DAYS", "3,1")
    ESCALATE_TO_DIRECTOR_DAYS = _env_int("ESCALATE_TO_DIRECTOR_DAYS", 3)
    DIGEST_HOUR = _env_int("DIGEST_HOUR", 7)
    JOB_HOURS = os.environ.get("JOB_HOURS", "7-18")  # from 07:00 until 18:00
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 48)
    SCHEDULER_LOCK_LEASE_SECONDS = _env_int("SCHEDULER_LOCK_LEASE_SECONDS", 60)
    SCHEDULER_TICK_SECONDS = _env_int("SCHEDULER_TICK_SECONDS", 60)


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = _database_url() if os.environ.get("DATABASE_URL") else "sqlite://"
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SECRET_KEY = "testing-secret"  # noqa: S105


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    # "__Host-": browsers take the cookie only over HTTPS, for Path=/, without a
    # Domain, so no subdomain can set or overwrite it.
    SESSION_COOKIE_NAME = HOST_COOKIE_PREFIX + Config.SESSION_COOKIE_NAME
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None


def validate_config(config: Mapping) -> None:
    """Refuse to start with an unusable storage setting, and in production with
    development secrets."""
    unusable = _storage_problems(config) + _observability_problems(config)
    if unusable:
        raise RuntimeError("Refusing to start: " + "; ".join(unusable))
    if config.get("ENV_NAME") != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if config.get("INSPECT_DATA_KEY", DEFAULT_DATA_KEY) in ("", DEFAULT_DATA_KEY):
        problems.append("INSPECT_DATA_KEY must be set to your own Fernet key")
    problems += _host_cookie_problems(config)
    if int(config.get("TRUSTED_PROXIES") or 0) < 0:
        problems.append("TRUSTED_PROXIES must be 0 or more")
    if config.get("DEV_MAILBOX_DIR"):
        problems.append("DEV_MAILBOX_DIR is for development only: unset it")
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


def _storage_problems(config: Mapping) -> list[str]:
    backend = config.get("STORAGE_BACKEND", "local")
    if backend not in ("local", "s3"):
        return [f"STORAGE_BACKEND must be local or s3, not {backend!r}"]
    if backend == "s3" and not config.get("S3_BUCKET"):
        return ["STORAGE_BACKEND=s3 needs S3_BUCKET"]
    return []


def _observability_problems(config: Mapping) -> list[str]:
    import ipaddress

    problems = []
    for part in str(config.get("METRICS_ALLOWED_NETWORKS") or "").split(","):
        try:
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            problems.append(f"METRICS_ALLOWED_NETWORKS: {part.strip()!r} is no address or network")
    if config.get("LOG_FORMAT", "text") not in ("text", "json"):
        problems.append("LOG_FORMAT must be text or json")
    return problems


def _host_cookie_problems(config: Mapping) -> list[str]:
    """A "__Host-" cookie is dropped by browsers unless Secure, Path=/ and no Domain."""
    if not str(config.get("SESSION_COOKIE_NAME", "")).startswith(HOST_COOKIE_PREFIX):
        return []
    if not config.get("SESSION_COOKIE_SECURE"):
        return ["the __Host- session cookie needs HTTPS: SESSION_COOKIE_SECURE cannot be off"]
    if config.get("SESSION_COOKIE_DOMAIN") or config.get("SESSION_COOKIE_PATH") not in ("/", None):
        return ["the __Host- session cookie cannot have a Domain or a Path other than /"]
    return []


def check_workers(env_name: str, workers: int, storage_uri: str) -> None:
    """Production with several worker processes needs shared rate-limit storage:
    with `memory://` each process counts on its own, so every limit is multiplied
    by the number of workers (gunicorn.conf.py calls this before starting)."""
    if env_name == "production" and workers > 1 and storage_uri.startswith("memory://"):
        raise RuntimeError(
            f"Refusing to start in production: {workers} worker processes with in-memory "
            "rate limits (RATELIMIT_STORAGE_URI=memory://) would each keep their own "
            "counts. Set RATELIMIT_STORAGE_URI=redis://… or run one worker."
        )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by INSPECT_ENV (default: development)."""
    name = os.environ.get("INSPECT_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"INSPECT_ENV must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None

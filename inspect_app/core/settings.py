"""Typed access to run-time settings stored in the `settings` table."""

from __future__ import annotations

from inspect_app.core.models import Setting
from inspect_app.extensions import db

REQUIRE_TOTP_FOR_ALL_STAFF = "require_totp_for_all_staff"
REFDATA_VERSION = "refdata_version"
# Published statistics may name sellers with a confirmed violation (off by default).
NAME_CONFIRMED_SELLERS = "stats_name_confirmed_sellers"


def get_setting(key: str, default: str | None = None) -> str | None:
    row = db.session.get(Setting, key)
    return row.value if row else default


def get_flag(key: str) -> bool:
    return get_setting(key, "0") == "1"


def set_setting(key: str, value: str) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def set_flag(key: str, enabled: bool) -> None:
    set_setting(key, "1" if enabled else "0")

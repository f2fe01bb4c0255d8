"""Another process of the app, for tests/cases/test_reference_cache_hosts.py.

Reads a team id per line on stdin and prints that team's cached jurisdiction (ward
codes, JSON), reading only once it listens for announced changes. Its
cache never expires by age, so only an announcement can refresh it.
"""

from __future__ import annotations

import json
import sys

from config import TestingConfig
from inspect_app import create_app
from inspect_app.cases import queue_views
from inspect_app.extensions import db
from inspect_app.geo import cache

LISTEN_TIMEOUT = 30.0


def main(database_url: str, redis_url: str, prefix: str, upload_root: str) -> None:
    cache.REFERENCE_TTL = float("inf")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "RATELIMIT_KEY_PREFIX": prefix,
            "UPLOAD_ROOT": upload_root,
        },
    )
    for line in sys.stdin:
        with app.app_context():
            if not cache.listen_for_changes().subscribed.wait(LISTEN_TIMEOUT):
                sys.exit("not subscribed")
            codes = [code for code, _name in queue_views._team_wards(int(line))]
            db.session.remove()
        print(json.dumps(codes), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])

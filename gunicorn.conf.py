"""gunicorn's settings, read from the working directory: `gunicorn -w 4 wsgi:app`.

Workers, the bind address and the rest come from the command line as usual. This
file only refuses a configuration that would quietly weaken the rate limits: in
production, several worker processes with in-memory limits (each would count on its
own). Behind a reverse proxy, set TRUSTED_PROXIES (see README § Configuration).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import check_workers, config_from_env


def on_starting(server) -> None:
    settings = config_from_env()
    check_workers(settings.ENV_NAME, server.cfg.workers, settings.RATELIMIT_STORAGE_URI)


def child_exit(server, worker) -> None:
    """prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR): a dead
    worker's gauges must not be summed any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

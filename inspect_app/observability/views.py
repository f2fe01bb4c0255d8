"""`/metrics` for Prometheus, closed to the public.

Open only to a request that carries `Authorization: Bearer <METRICS_TOKEN>` or comes
from one of METRICS_ALLOWED_NETWORKS (the client address as TRUSTED_PROXIES
resolves it); everyone else, and everyone when neither is set, gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from inspect_app.observability.metrics import exposition

bp = Blueprint("observability", __name__)


def allowed_networks(setting: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """METRICS_ALLOWED_NETWORKS: comma-separated addresses or CIDR networks."""
    return [
        ipaddress.ip_network(part.strip(), strict=False)
        for part in setting.split(",")
        if part.strip()
    ]


def may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    networks = allowed_networks(current_app.config.get("METRICS_ALLOWED_NETWORKS") or "")
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


@bp.route("/metrics")
def metrics():
    if not may_scrape():
        abort(404)
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response

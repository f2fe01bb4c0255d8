"""The login check for an unknown and for a known e-mail, side by side: the two
medians must match (one Argon2 verification on every path), at production cost."""

from __future__ import annotations

import contextlib
import time
import uuid

from sqlalchemy import delete

WRONG = "not the password at all"


def run(bench, samples: int = 40) -> list:
    from bench.run import Result, percentile
    from inspect_app.accounts import services
    from inspect_app.accounts.models import LoginThrottle
    from inspect_app.extensions import db

    known = bench.lead.email
    timings: dict[str, list[float]] = {"known e-mail, wrong password": [], "unknown e-mail": []}
    with bench.app.app_context():
        services.dummy_hash()
        for n in range(samples + 2):
            for label, email in (
                ("known e-mail, wrong password", known),
                ("unknown e-mail", f"nobody-{uuid.uuid4().hex[:8]}@example.vn"),
            ):
                start = time.perf_counter()
                with contextlib.suppress(services.LoginFailed):
                    services.authenticate(email, WRONG, ip=f"192.0.2.{n % 250}")
                elapsed = time.perf_counter() - start
                db.session.rollback()
                db.session.execute(delete(LoginThrottle))
                db.session.commit()
                if n >= 2:  # warm-up
                    timings[label].append(elapsed * 1000)
    results = []
    medians = {}
    for label, ms in timings.items():
        medians[label] = percentile(ms, 0.5)
        results.append(
            Result(
                operation=f"login check: {label}",
                samples=len(ms),
                p50_ms=round(medians[label], 1),
                p95_ms=round(percentile(ms, 0.95), 1),
                p99_ms=round(percentile(ms, 0.99), 1),
                throughput=round(len(ms) / (sum(ms) / 1000), 1),
                target="medians within 10 %",
                status="INFO",
            )
        )
    known_ms, unknown_ms = medians.values()
    gap = abs(known_ms - unknown_ms) / max(known_ms, unknown_ms)
    for result in results:
        result.status = "PASS" if gap <= 0.10 else "MISS"
    results[-1].note = (
        f"median difference {abs(known_ms - unknown_ms):.1f} ms ({gap:.0%}); "
        f"Argon2 time_cost={bench.app.config['ARGON2_TIME_COST']}, "
        f"memory={bench.app.config['ARGON2_MEMORY_COST']} KiB"
    )
    return results

"""The benchmark: the app against PostgreSQL with the bulk data, beside its own SQL.

Run it with `make bench` (which seeds the database first) or directly:

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/inspect_bench .venv/bin/python bench/run.py

For each operation it prints p50 / p95 / p99 latency and throughput, the p95 of its
floor — for a page, the SQL statements that page itself runs, captured from one
request and replayed alone on one connection of the app's engine; for the tip
submission, Pillow's own work — their ratio, the target and PASS/MISS, and writes
everything to bench/results/<date>.json. Query operations run
in-process through Flask's test client as real users of a seeded team and province;
the tip submission goes through gunicorn (2 workers) on a loopback port.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql://postgres@127.0.0.1/inspect_bench"
sys.path.insert(0, str(ROOT))


@dataclass
class Result:
    operation: str
    samples: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    throughput: float | None  # operations per second, one at a time (or as stated)
    floor_p95_ms: float | None = None
    ratio: float | None = None
    target: str = ""
    status: str = ""  # PASS, MISS, INFO or TODO
    note: str = ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def timed(fn: Callable[[], object], iterations: int, warmup: int, budget_s: float) -> list[float]:
    """Seconds per call; stops early when the time budget is spent (at least 5 calls)."""
    for _ in range(warmup):
        fn()
    durations: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(durations) < iterations and (len(durations) < 5 or time.monotonic() < deadline):
        start = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - start)
    return durations


def summarise(name: str, durations: list[float], **extra) -> Result:
    ms = [d * 1000 for d in durations]
    return Result(
        operation=name,
        samples=len(ms),
        p50_ms=round(percentile(ms, 0.50), 2),
        p95_ms=round(percentile(ms, 0.95), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        throughput=round(len(ms) / (sum(ms) / 1000), 1),
        **extra,
    )


def judge(result: Result, limit_ms: float | None, max_ratio: float | None) -> Result:
    """Fill target and PASS/MISS from the p95 limit and the allowed ratio to the floor."""
    if result.floor_p95_ms:
        result.ratio = round(result.p95_ms / result.floor_p95_ms, 2)
    parts, ok = [], True
    if limit_ms is not None:
        parts.append(f"p95 ≤ {limit_ms:g} ms")
        ok = ok and result.p95_ms <= limit_ms
    if max_ratio is not None:
        parts.append(f"≤ {max_ratio:g}× floor")
        ok = ok and result.ratio is not None and result.ratio <= max_ratio
    result.target = ", ".join(parts)
    result.status = "PASS" if ok else "MISS"
    return result


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu,
        "memory": memory.splitlines()[1] if memory else "",
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def print_table(results: list[Result]) -> None:
    header = (
        f"{'operation':<44} {'p50':>8} {'p95':>8} {'p99':>8} {'ops/s':>8} "
        f"{'floor95':>8} {'ratio':>6}  {'target':<28} status"
    )
    print(header)
    print("-" * len(header))

    def cell(value, width, digits=1):
        return (
            f"{value:>{width}.{digits}f}"
            if isinstance(value, int | float)
            else " " * (width - 1) + "—"
        )

    for r in results:
        print(
            f"{r.operation:<44} {cell(r.p50_ms, 8)} {cell(r.p95_ms, 8)} {cell(r.p99_ms, 8)} "
            f"{cell(r.throughput, 8)} {cell(r.floor_p95_ms, 8)} {cell(r.ratio, 6, 2)}  "
            f"{r.target:<28} {r.status}"
        )
        if r.note:
            print(f"    {r.note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per operation at most")
    parser.add_argument("--skip-tips", action="store_true", help="leave out the gunicorn part")
    parser.add_argument("--tips", type=int, default=60, help="submissions by 20 submitters")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--only",
        action="append",
        choices=("queues", "case", "stats", "tick", "tips", "login", "api"),
        help="run only these parts (repeatable); results go to bench/results/partial-<date>.json",
    )
    args = parser.parse_args()
    parts = set(args.only or ("queues", "case", "stats", "tick", "tips", "login", "api"))
    if args.skip_tips:
        parts.discard("tips")

    from bench import ops  # after sys.path is set

    started = datetime.now(UTC)
    # The in-process parts need the bulk data; the API part (gunicorn) does not.
    needs_bench = bool(parts & {"queues", "case", "stats", "tick", "login"})
    bench = ops.Bench(args.database_url, args.iterations, args.budget) if needs_bench else None
    results = bench.query_operations(parts) if bench else []
    if "login" in parts:
        from bench import login

        results += login.run(bench)
    if "tips" in parts:
        from bench import tips

        results += tips.run(args.database_url, submissions=args.tips)
    if "api" in parts:
        from bench import api

        results += api.run(args.database_url)
    print_table(results)
    prefix = "partial-" if args.only else ""
    output = args.output or RESULTS / f"{prefix}{date.today().isoformat()}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started) / timedelta(seconds=1)),
        "machine": machine() | {"postgresql": bench.server_version if bench else None},
        "data": bench.data_description() if bench else None,
        "results": [asdict(r) for r in results],
    }
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The fuzz harness: every route of the URL map, for an anonymous visitor and for a
person in each role, gets generated hostile values in every path parameter, query
parameter and form field (huge and negative numbers, extreme dates and time zones,
control characters, overlong text, wrong types, missing and duplicated fields,
cursors made of all of these). No answer may be a server error.

The seed is fixed (Hypothesis' `derandomize`), so a run is reproducible. Each route
gets FUZZ_EXAMPLES examples per person (default 8, what `make test` runs);
`make fuzz` runs more. In the test configuration exceptions propagate, so a failure
shows the traceback and the smallest request that caused it.
"""

from __future__ import annotations

import os
from collections import Counter
from io import BytesIO
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_app.extensions import limiter
from tests.fuzz.discovery import COMMON_QUERY, Form, Route, discover_fields, routes
from tests.fuzz.strategies import hostile, path_value, value_for
from tests.helpers import log_in_fully

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
PEOPLE = ("anonymous", "association", "inspector", "lead", "director", "admin")
# Logging out would leave the rest of the run anonymous: it is fuzzed anonymously.
LOGGED_IN_SKIPS = {"accounts.logout"}
FILE_FIELDS = ("photos", "attachment-file")


def _path(route: Route, values: dict[str, str]) -> str:
    path = route.rule.rule
    for name in route.params:
        marker = next(
            part for part in path.split("<")[1:] if part.split(">")[0].split(":")[-1] == name
        ).split(">")[0]
        path = path.replace(f"<{marker}>", quote(values[name], safe=""))
    return path


@st.composite
def requests(draw, route: Route, pools: dict[str, list[str]], form: Form | None):
    """(path, query or form items, files) for one request to `route`."""
    values = {}
    for name, kind in route.params.items():
        real = pools.get(name, [])
        if kind == "any":
            real = sorted(route.rule._converters[name].items)
        values[name] = draw(path_value(real))
    fields = dict(form.fields) if form else {}
    names = sorted(fields) if route.method == "POST" else sorted({*fields, *COMMON_QUERY})
    items: list[tuple[str, str]] = []
    for name in names:
        hints = fields[name].values if name in fields else []
        kind = fields[name].kind if name in fields else "text"
        # Missing, once, or twice (a list where a value is expected); buttons that
        # switch a form to another mode (e.g. "choose province") only now and then.
        button = name in fields and fields[name].kind in ("submit", "button")
        counts = [1, 0, 0, 0, 0] if button else [1, 1, 1, 1, 0, 2]
        for _ in range(draw(st.sampled_from(counts))):
            items.append((name, draw(value_for(name, kind, hints))))
    if draw(st.booleans()):
        items.append((draw(st.sampled_from(["x", "id", "next", *names])), draw(hostile)))
    files = {}
    if route.method == "POST" and draw(st.integers(0, 4)) == 0:
        name = draw(st.sampled_from([*FILE_FIELDS, *names] if names else FILE_FIELDS))
        files[name] = draw(st.binary(max_size=64))
    return _path(route, values), items, files


def _send(client, route: Route, path: str, items, files):
    if route.method == "GET":
        return client.get(path, query_string=items)
    data: dict[str, list] = {}
    for name, value in items:
        data.setdefault(name, []).append(value)
    for name, content in files.items():
        data.setdefault(name, []).append((BytesIO(content), "x.jpg"))
    return client.post(path, data=data)


def _fuzz(
    client, route: Route, pools: dict[str, list[str]], form: Form | None, seen: Counter
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(route, pools, form))
    def probe(request):
        path, items, files = request
        response = _send(client, route, path, items, files)
        seen[(str(route), response.status_code)] += 1
        assert response.status_code < 500, (str(route), path, items)

    probe()


@pytest.fixture
def no_rate_limits(app):
    """Limits would answer 429 after a few requests and hide the routes behind them."""
    limiter.enabled = False
    yield
    limiter.enabled = True


@pytest.mark.parametrize("person", PEOPLE)
def test_no_input_makes_a_server_error(app, world, no_rate_limits, artifacts_dir, person):
    client = app.test_client()
    me = None if person == "anonymous" else getattr(world.org, person)
    if me is not None:
        log_in_fully(client, me)
        assert client.get("/account").status_code == 200
    # Never one's own account: an admin would deactivate themselves half-way.
    pools = {
        k: [v for v in vs if not (k == "user_id" and me and v == str(me.id))]
        for k, vs in world.pools.items()
    }
    forms = discover_fields(app, client, pools)
    fuzzed, seen, failures = 0, Counter(), []
    for route in routes(app):
        if me is not None and route.endpoint in LOGGED_IN_SKIPS:
            continue
        try:
            _fuzz(client, route, pools, forms.get((route.endpoint, route.method)), seen)
        except Exception as exc:  # noqa: BLE001 - every route is fuzzed, then all reported
            failures.append(f"{route}: {type(exc).__name__}: {exc}")
        fuzzed += 1
    _write_summary(artifacts_dir / f"fuzz-{person}.txt", seen)
    if failures:
        pytest.fail(f"{len(failures)} routes answered 5xx:\n" + "\n".join(failures))
    assert fuzzed >= len(routes(app)) - len(LOGGED_IN_SKIPS)


def _write_summary(path, seen: Counter) -> None:
    """Requests per route and the statuses they got (test-artifacts/fuzz-<person>.txt)."""
    per_route: dict[str, Counter] = {}
    for (route, status), n in seen.items():
        per_route.setdefault(route, Counter())[status] += n
    lines = [
        f"{route}\t{sum(c.values())}\t" + " ".join(f"{s}:{n}" for s, n in sorted(c.items()))
        for route, c in sorted(per_route.items())
    ]
    lines.append(f"total\t{sum(seen.values())} requests, {len(per_route)} routes")
    path.write_text("\n".join(lines) + "\n")

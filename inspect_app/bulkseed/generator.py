"""The pure part of bulk seeding: what happens to case number `index`.

`plan_case(seed, index, anchor)` depends on nothing else — no database, no clock —
so the same seed always gives the same cases, a resumed run continues exactly where
an interrupted one stopped, and the spread can be tested without a database.
Identifiers (teams, users, wards, ids) are resolved later by `rows.py`.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

from inspect_app.cases.models import IntakeChannel, Outcome, RejectReason
from inspect_app.cases.workflow import CaseStatus

POPULATION_CSV = Path(__file__).with_name("population.csv")
HISTORY_DAYS = 3650  # ten years of closed cases behind the open ones
HEAVY_EVERY = 50_000  # every 50,000th case (index 0 too): 5 reports, ~50 audit events
HEAVY_NOTES = 44
MERGE_LOOKBACK = 400  # how far back a merged case looks for a target of its team
# Team slots per province: two ward teams (0, 1) and the e-commerce team.
ECOMMERCE_SLOT = 2
# Who acts, relative to the case (SYSTEM: a citizen's report has no actor).
LEAD, ASSIGNEE, FILER, SYSTEM = "lead", "assignee", "filer", "system"

S = CaseStatus
# Share of cases per state (percent): a national system ten years in, mostly closed.
STATUS_WEIGHTS: tuple[tuple[CaseStatus, float], ...] = (
    (S.NEW, 1.5),
    (S.ACCEPTED, 1.0),
    (S.ASSIGNED, 1.0),
    (S.INVESTIGATING, 2.5),
    (S.RESOLVED, 1.5),
    (S.CLOSED, 70.0),
    (S.REJECTED, 12.0),
    (S.MERGED, 5.0),
    (S.TRANSFERRED, 5.5),
)
# Days before the anchor a case in this state was received (open ones are recent).
RECEIVED_WINDOW: dict[CaseStatus, tuple[int, int]] = {
    S.NEW: (0, 20),
    S.ACCEPTED: (3, 45),
    S.ASSIGNED: (5, 60),
    S.INVESTIGATING: (7, 90),
    S.RESOLVED: (10, 120),
}
TERMINAL_WINDOW = (120, HISTORY_DAYS)
# The actions leading to each state, as the workflow table allows them.
FLOW: dict[CaseStatus, tuple[str, ...]] = {
    S.NEW: (),
    S.ACCEPTED: ("accept",),
    S.ASSIGNED: ("accept", "assign"),
    S.INVESTIGATING: ("accept", "assign", "start"),
    S.RESOLVED: ("accept", "assign", "start", "resolve"),
    S.CLOSED: ("accept", "assign", "start", "resolve", "approve"),
    S.REJECTED: ("reject",),
    S.TRANSFERRED: ("transfer",),
    S.MERGED: ("merge",),
}
# Days after the previous step each action usually happens (min, max).
STEP_GAP_DAYS: dict[str, tuple[float, float]] = {
    "accept": (0.5, 10.0),
    "assign": (0.1, 3.0),
    "start": (0.1, 4.0),
    "resolve": (3.0, 40.0),
    "approve": (0.5, 6.0),
    "reject": (0.5, 8.0),
    "transfer": (0.5, 8.0),
    "merge": (0.5, 6.0),
}
ACTOR_OF: dict[str, str] = {
    "accept": LEAD,
    "assign": LEAD,
    "start": ASSIGNEE,
    "resolve": ASSIGNEE,
    "approve": LEAD,
    "reject": LEAD,
    "transfer": LEAD,
    "merge": LEAD,
    "extend": LEAD,
    "note": ASSIGNEE,
    "reveal_reporter": LEAD,
    "download_original": ASSIGNEE,
}
# (kind, source, weight) of the report that opens a case.
KINDS: tuple[tuple[str, str, float], ...] = (
    ("tip", "citizen", 55.0),
    ("denunciation", "citizen", 15.0),
    ("complaint", "association", 30.0),
)
EXTRA_KINDS: tuple[tuple[str, str, float], ...] = (
    ("tip", "citizen", 70.0),
    ("denunciation", "citizen", 20.0),
    ("complaint", "association", 10.0),
)
REPORTS_PER_CASE = ((1, 60.0), (2, 20.0), (3, 10.0), (4, 6.0), (5, 4.0))
PHOTOS_PER_REPORT = ((0, 25.0), (1, 30.0), (2, 25.0), (3, 20.0))
OUTCOMES: tuple[tuple[Outcome, float], ...] = (
    (Outcome.FINE, 35.0),
    (Outcome.WARNING, 20.0),
    (Outcome.NO_VIOLATION, 15.0),
    (Outcome.GOODS_SEIZED, 12.0),
    (Outcome.GOODS_DESTROYED, 8.0),
    (Outcome.REFERRED, 5.0),
    (Outcome.BUSINESS_SUSPENDED, 5.0),
)
TRANSFER_DESTINATIONS = ("police", "health", "agriculture", "other")
ONLINE_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class ReportPlan:
    kind: str
    source: str
    goods: int  # index into rows.GOODS
    seller: int
    street: int
    platform: int
    ward_pick: float  # position in the team's ward list, 0 ≤ x < 1
    photos: int
    channel: str
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class EventPlan:
    action: str  # without the "case." prefix
    at: datetime
    actor: str  # LEAD, ASSIGNEE, FILER or SYSTEM


@dataclass(frozen=True, slots=True)
class CasePlan:
    index: int
    province_code: int
    team_slot: int
    status: CaseStatus
    received_at: datetime
    reports: tuple[ReportPlan, ...]
    events: tuple[EventPlan, ...]  # in time order, "open" first
    assignee_slot: int  # which inspector of the team (0–2)
    extensions: int
    outcome: Outcome | None = None
    fine_amount: int | None = None
    goods_value: int | None = None
    reject_reason: RejectReason | None = None
    transfer_to: str | None = None
    merge_target: int | None = None  # index of an earlier case of the same team
    heavy: bool = False

    @property
    def online(self) -> bool:
        return self.team_slot == ECOMMERCE_SLOT

    def step_at(self, action: str) -> datetime | None:
        return next((e.at for e in self.events if e.action == action), None)

    @property
    def last_activity_at(self) -> datetime:
        return self.events[-1].at


# --- population ----------------------------------------------------------------


@cache
def province_weights() -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Province codes and their cumulative population weights (see population.csv)."""
    with POPULATION_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [(int(r["code"]), float(r["population_thousands"])) for r in csv.DictReader(handle)]
    codes = tuple(code for code, _ in rows)
    return codes, tuple(itertools.accumulate(weight for _, weight in rows))


def _weighted(rng: random.Random, choices) -> object:
    """One value from ((value, weight), …) pairs."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


# --- the plan ------------------------------------------------------------------


def _rng(seed: int, index: int) -> random.Random:
    return random.Random((seed << 32) | index)  # noqa: S311 - test data, not security


def _head(rng: random.Random) -> tuple[int, int]:
    """The first draws of a case's stream: province and team slot."""
    codes, cumulative = province_weights()
    position = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    province = codes[min(position, len(codes) - 1)]
    team_slot = ECOMMERCE_SLOT if rng.random() < ONLINE_SHARE else rng.randrange(2)
    return province, team_slot


@lru_cache(maxsize=MERGE_LOOKBACK * 4)
def case_team(seed: int, index: int) -> tuple[int, int]:
    """(province code, team slot) of case `index`, without planning the rest (merged
    cases look back over the same recent cases, hence the cache)."""
    return _head(_rng(seed, index))


def is_heavy(index: int) -> bool:
    return index % HEAVY_EVERY == 0


def plan_case(seed: int, index: int, anchor: datetime) -> CasePlan:
    """Everything random about case `index`; `anchor` is "now" for the data set."""
    rng = _rng(seed, index)
    province, team_slot = _head(rng)
    heavy = is_heavy(index)
    status = S.INVESTIGATING if heavy else _weighted(rng, STATUS_WEIGHTS)
    merge_target = None
    if status is S.MERGED:
        merge_target = _merge_target(seed, index, province, team_slot)
        if merge_target is None:
            status = S.REJECTED
    received = _received(rng, status, anchor, heavy)
    kind, source, _ = rng.choices(KINDS, [k[2] for k in KINDS])[0]
    steps = _steps(rng, status, received, anchor)
    n_reports = 5 if heavy else _weighted(rng, REPORTS_PER_CASE)
    reports = _reports(rng, n_reports, kind, source, received, steps[-1].at if steps else anchor)
    extensions = _extensions(rng, status)
    events = _events(rng, received, steps, reports, extensions, anchor, heavy)
    outcome = _weighted(rng, OUTCOMES) if status in (S.RESOLVED, S.CLOSED) else None
    return CasePlan(
        index=index,
        province_code=province,
        team_slot=team_slot,
        status=status,
        received_at=received,
        reports=reports,
        events=events,
        assignee_slot=rng.randrange(3),
        extensions=extensions,
        outcome=outcome,
        fine_amount=rng.randrange(2, 200) * 500_000 if outcome is Outcome.FINE else None,
        goods_value=(
            rng.randrange(1, 400) * 1_000_000
            if outcome in (Outcome.GOODS_SEIZED, Outcome.GOODS_DESTROYED)
            else None
        ),
        reject_reason=rng.choice(list(RejectReason)) if status is S.REJECTED else None,
        transfer_to=rng.choice(TRANSFER_DESTINATIONS) if status is S.TRANSFERRED else None,
        merge_target=merge_target,
        heavy=heavy,
    )


def _merge_target(seed: int, index: int, province: int, team_slot: int) -> int | None:
    """The nearest earlier case of the same team (merging stays within a team)."""
    for earlier in range(index - 1, max(-1, index - MERGE_LOOKBACK), -1):
        if case_team(seed, earlier) == (province, team_slot):
            return earlier
    return None


def _seconds(days: float) -> timedelta:
    return timedelta(seconds=int(days * 86_400))


def _received(rng: random.Random, status: CaseStatus, anchor: datetime, heavy: bool) -> datetime:
    low, high = (60, 80) if heavy else RECEIVED_WINDOW.get(status, TERMINAL_WINDOW)
    return anchor - _seconds(rng.uniform(low, high))


def _steps(
    rng: random.Random, status: CaseStatus, received: datetime, anchor: datetime
) -> list[EventPlan]:
    """The workflow actions up to `status`, squeezed before the anchor if need be."""
    moments, moment = [], received
    for action in FLOW[status]:
        moment += _seconds(rng.uniform(*STEP_GAP_DAYS[action]))
        moments.append(moment)
    latest = anchor - timedelta(hours=1)
    if moments and moments[-1] > latest:
        scale = (latest - received) / (moments[-1] - received)
        moments = [received + (m - received) * scale for m in moments]
    moments = [m.replace(microsecond=0) for m in moments]
    return [EventPlan(a, m, ACTOR_OF[a]) for a, m in zip(FLOW[status], moments, strict=True)]


def _reports(
    rng: random.Random, count: int, kind: str, source: str, received: datetime, until: datetime
) -> tuple[ReportPlan, ...]:
    reports = []
    for number in range(count):
        if number:
            kind, source, _ = rng.choices(EXTRA_KINDS, [k[2] for k in EXTRA_KINDS])[0]
        span = max((until - received).total_seconds(), 0.0)
        submitted = received + timedelta(seconds=int(rng.uniform(0, span))) if number else received
        reports.append(
            ReportPlan(
                kind=kind,
                source=source,
                goods=rng.randrange(1 << 16),
                seller=rng.randrange(1 << 16),
                street=rng.randrange(1 << 16),
                platform=rng.randrange(1 << 16),
                ward_pick=rng.random(),
                photos=_weighted(rng, PHOTOS_PER_REPORT),
                channel=rng.choice(list(IntakeChannel)).value,
                submitted_at=submitted,
            )
        )
    return tuple(sorted(reports, key=lambda r: r.submitted_at))


def _extensions(rng: random.Random, status: CaseStatus) -> int:
    if "accept" not in FLOW[status]:
        return 0
    draw = rng.random()
    return 2 if draw < 0.03 else 1 if draw < 0.15 else 0


def _events(
    rng: random.Random,
    received: datetime,
    steps: list[EventPlan],
    reports: tuple[ReportPlan, ...],
    extensions: int,
    anchor: datetime,
    heavy: bool,
) -> tuple[EventPlan, ...]:
    """The case's audit trail: opening, workflow steps, notes and look-ups, in order."""
    opened = EventPlan("open", received, SYSTEM if reports[0].source == "citizen" else FILER)
    end = steps[-1].at if steps else min(received + timedelta(days=20), anchor)
    start = steps[0].at if steps else received
    extra = []
    accepted = next((s.at for s in steps if s.action == "accept"), None)
    for _ in range(extensions):
        extra.append(("extend", _between(rng, accepted or start, end)))
    for _ in range(HEAVY_NOTES if heavy else _note_count(rng, steps)):
        extra.append(("note", _between(rng, start, end)))
    if any(r.kind != "tip" for r in reports) and rng.random() < 0.3:
        extra.append(("reveal_reporter", _between(rng, start, end)))
    if any(r.photos for r in reports) and rng.random() < 0.4:
        extra.append(("download_original", _between(rng, start, end)))
    middle = [EventPlan(action, at, ACTOR_OF[action]) for action, at in extra]
    return (opened, *sorted([*steps, *middle], key=lambda e: e.at))


def _note_count(rng: random.Random, steps: list[EventPlan]) -> int:
    """Worked cases gather notes; triaged-away ones a few."""
    if any(s.action == "start" for s in steps):
        return rng.randrange(1, 7)
    return rng.randrange(0, 3)


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    span = max(int((high - low).total_seconds()), 0)
    return low + timedelta(seconds=rng.randrange(span + 1))

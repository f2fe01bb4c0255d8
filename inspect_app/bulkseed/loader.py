"""Writing bulk cases batch by batch, resumable and idempotent.

Each batch is one transaction: its cases with their reports, photos, notes, public
updates and audit events (chained onto the current head, which is moved in the same
transaction), the sequences moved past the new ids, and the progress recorded in
the `settings` table. An interrupted run therefore resumes at the first missing
batch, and a run asking for no more cases than were loaded does nothing.

PostgreSQL gets the rows through COPY on the session's own connection; SQLite
through executemany (it serves the tests, with a few hundred cases).
"""

from __future__ import annotations

import json
import multiprocessing
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from io import BytesIO
from typing import NamedTuple

from PIL import Image, ImageDraw
from sqlalchemy import func, insert, select, text, update

from inspect_app.audit.models import GENESIS_HASH, HEAD_ID, AuditEvent, AuditHead
from inspect_app.audit.services import CHAIN_LOCK_KEY, AuditChainError, event_hash
from inspect_app.bulkseed.generator import plan_case
from inspect_app.bulkseed.org import ensure_organisation
from inspect_app.bulkseed.rows import (
    CASE_COLUMNS,
    ENVELOPE_COLUMNS,
    EVENT_COLUMNS,
    NOTE_COLUMNS,
    PHOTO_COLUMNS,
    REPORT_COLUMNS,
    SEALED_KEY_COLUMNS,
    UPDATE_COLUMNS,
    Batch,
    BulkSeal,
    Deadlines,
    IdCounter,
    RowBuilder,
    SamplePhoto,
)
from inspect_app.cases.models import Case, CaseNote, PublicUpdate, Report
from inspect_app.core.settings import get_setting, set_setting
from inspect_app.deadlines.calendar import load_calendar
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage, store_photo
from inspect_app.extensions import db
from inspect_app.sealing import crypto
from inspect_app.sealing.models import KeyEnvelope, SealedKey
from inspect_app.sealing.services import IDENTITY_LABEL

SETTING_KEY = "bulk_seed"
SAMPLE_PHOTOS = 8
AUDIT_COLUMNS = ("id", "seq", *EVENT_COLUMNS, "prev_hash", "hash")
# Bulk identities never vary: one made-up person, sealed once per run.
IDENTITY = {"name": "Nguyễn Văn Bình", "phone": "0912345678", "email": "nguoibao@example.vn"}
TABLES: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (Case, "cases", CASE_COLUMNS),
    (Report, "reports", REPORT_COLUMNS),
    (Photo, "photos", PHOTO_COLUMNS),
    (SealedKey, "sealed_keys", SEALED_KEY_COLUMNS),
    (KeyEnvelope, "key_envelopes", ENVELOPE_COLUMNS),
    (CaseNote, "case_notes", NOTE_COLUMNS),
    (PublicUpdate, "public_updates", UPDATE_COLUMNS),
)


class SeedMismatch(ValueError):
    """The database was seeded with another seed; mixing them would duplicate cases."""


class ConcurrentWriter(RuntimeError):
    """Someone else wrote cases or audit events while a batch was being built."""


@dataclass
class Progress:
    """What the `bulk_seed` setting records.

    `segments` maps case indexes to ids: [first index, id - index] for each run that
    had to start after ids others had taken, so ids grow with the index (a merged
    case always points at a smaller id) and are known without a lookup.
    """

    seed: int
    anchor: datetime  # "now" of the data set, fixed at the first run
    done: int = 0
    segments: list[list[int]] = field(default_factory=list)

    def case_id(self, index: int) -> int:
        offset = next(o for first, o in reversed(self.segments) if first <= index)
        return index + offset

    def to_json(self) -> str:
        return json.dumps(
            {
                "seed": self.seed,
                "cases": self.done,
                "anchor": self.anchor.isoformat(),
                "segments": self.segments,
            }
        )

    @classmethod
    def from_json(cls, value: str) -> Progress:
        data = json.loads(value)
        anchor = datetime.fromisoformat(data["anchor"])
        return cls(data["seed"], anchor, data["cases"], data["segments"])


def load_progress() -> Progress | None:
    value = get_setting(SETTING_KEY)
    return Progress.from_json(value) if value else None


def seed_bulk(
    total: int,
    *,
    seed: int = 42,
    batch_size: int = 10_000,
    now: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Bring the bulk data set to `total` cases; returns how many were added.

    Commits once per batch. Raises SeedMismatch if another seed was used before, and
    ConcurrentWriter if someone else wrote cases or audit events meanwhile (the batches
    committed so far stay; a re-run resumes).
    """
    progress = _start(seed, now)
    if progress.done >= total:
        return 0
    org = ensure_organisation()
    builder = RowBuilder(
        seed=seed,
        org=org,
        deadlines=Deadlines(load_calendar()),
        seal=_bulk_seal(org.officer_public_key),
        photos=sample_photos(),
        case_id=progress.case_id,
    )
    _open_segment(progress)
    db.session.commit()
    plan = _Plan(builder, progress.seed, progress.anchor, total, batch_size)
    added = 0
    # A child process pays off from the second batch on (and spawning costs a second).
    in_child = _is_postgresql() and total - progress.done > batch_size
    with _produced(plan, _position(progress.done), in_child) as batches:
        for before, after, batch in batches:
            _load_batch(progress, before, after, batch)
            added += after.index - before.index
            if on_batch:
                on_batch(after.index - before.index)
    return added


def _start(seed: int, now: datetime | None) -> Progress:
    progress = load_progress()
    if progress is None:
        anchor = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
        return Progress(seed, anchor)
    if progress.seed != seed:
        raise SeedMismatch(f"the bulk data was seeded with --seed {progress.seed}")
    return progress


def _open_segment(progress: Progress) -> None:
    """Make sure the next case index maps to an id no other case holds."""
    next_free = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
    if not progress.segments or progress.case_id(progress.done) < next_free:
        progress.segments.append([progress.done, next_free - progress.done])


@dataclass(frozen=True)
class _Position:
    """Where a batch starts: case index, the next ids, and the chain's head."""

    index: int
    ids: IdCounter
    audit_id: int
    seq: int
    hash: str


@dataclass(frozen=True)
class _Plan:
    builder: RowBuilder
    seed: int
    anchor: datetime
    total: int
    batch_size: int


def _position(index: int) -> _Position:
    ids = IdCounter(**{name: _next_id(model) for model, name, _ in TABLES if name != "cases"})
    last_seq, last_hash = _head()
    return _Position(index, ids, _next_id(AuditEvent), last_seq, last_hash)


def _batches(plan: _Plan, start: _Position) -> Iterator[tuple[_Position, _Position, Batch]]:
    """Every batch from `start` on, events chained: pure computation, no database."""
    position = start
    while position.index < plan.total:
        batch, ids = Batch(), replace(position.ids)
        end = min(position.index + plan.batch_size, plan.total)
        for index in range(position.index, end):
            plan.builder.add(batch, plan_case(plan.seed, index, plan.anchor), ids)
        batch.events, seq, last_hash = _chain(batch.events, position)
        after = _Position(end, ids, position.audit_id + len(batch.events), seq, last_hash)
        yield position, after, batch
        position = after


@contextmanager
def _produced(plan: _Plan, start: _Position, in_child: bool) -> Iterator[Iterator]:
    """The batches, built in a child process while this one loads the previous batch
    (PostgreSQL: the 2 cores then generate and ingest at the same time)."""
    if not in_child:
        yield _batches(plan, start)
        return
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=2)
    child = context.Process(target=_produce, args=(plan, start, channel), daemon=True)
    child.start()
    try:
        yield iter(channel.get, None)
    finally:
        child.terminate()
        child.join()


def _produce(plan: _Plan, start: _Position, channel) -> None:
    """The child process: every batch into the channel, then None."""
    for item in _batches(plan, start):
        channel.put(item)
    channel.put(None)


def _load_batch(progress: Progress, before: _Position, after: _Position, batch: Batch) -> None:
    """One transaction. The batch was built assuming nobody else writes meanwhile; that
    is checked here (ids, then the head under the chain lock), or nothing is written."""
    if _position(before.index).ids != before.ids:
        raise ConcurrentWriter("rows were added by someone else during seeding; run again")
    postgres = _is_postgresql()
    if postgres:
        db.session.execute(text("SET LOCAL synchronous_commit = off"))  # bulk load only
    for _, name, columns in TABLES:
        _write(name, columns, getattr(batch, name), postgres)
    if postgres:
        db.session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
    if _head() != (before.seq, before.hash):
        raise ConcurrentWriter("the audit chain moved during seeding; run again")
    _write("audit_events", AUDIT_COLUMNS, batch.events, postgres)
    head = AuditHead.__table__
    db.session.execute(
        update(head).where(head.c.id == HEAD_ID).values(last_seq=after.seq, last_hash=after.hash)
    )
    progress.done = after.index
    set_setting(SETTING_KEY, progress.to_json())
    if postgres:
        _advance_sequences()
    db.session.commit()


def _next_id(model: type) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _write(table: str, columns: tuple[str, ...], rows: Iterable[tuple], postgres: bool) -> None:
    if postgres:
        raw = db.session.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    if rows:
        db.session.execute(insert(db.metadata.tables[table]), rows)


# --- the audit chain ---------------------------------------------------------------


class _Event(NamedTuple):
    """The fields `event_hash` reads."""

    prev_hash: str
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    case_id: int | None
    data_json: str


def _chain(events: list[tuple], start: _Position) -> tuple[list[tuple], int, str]:
    """The events as audit rows chained onto `start`'s head; the new seq and hash."""
    last_seq, last_hash = start.seq, start.hash
    rows = []
    for offset, fields in enumerate(events):
        event = _Event(last_hash, last_seq + 1, *fields)
        last_seq, last_hash = event.seq, event_hash(event)
        rows.append((start.audit_id + offset, event.seq, *fields, event.prev_hash, last_hash))
    return rows, last_seq, last_hash


def _head() -> tuple[int, str]:
    head = AuditHead.__table__
    row = db.session.execute(
        select(head.c.last_seq, head.c.last_hash).where(head.c.id == HEAD_ID)
    ).first()
    if row is not None:
        return row.last_seq, row.last_hash
    if db.session.scalar(select(AuditEvent.id).limit(1)) is not None:
        raise AuditChainError("audit head missing while events exist; run `flask audit verify`")
    db.session.execute(insert(head).values(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
    return 0, GENESIS_HASH


def _advance_sequences() -> None:
    """Explicit ids leave the serial sequences behind; move them past the new rows."""
    names = ("cases", "reports", "photos", "sealed_keys", "key_envelopes", "case_notes")
    for name in (*names, "public_updates", "audit_events"):
        table = db.metadata.tables[name]
        newest = select(func.max(table.c.id)).scalar_subquery()
        db.session.execute(select(func.setval(func.pg_get_serial_sequence(name, "id"), newest)))


def _bulk_seal(public_key: bytes) -> BulkSeal:
    """The one identity, sealed with one data key wrapped to the shared officer key."""
    data_key = crypto.new_data_key()
    identity = json.dumps(IDENTITY, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return BulkSeal(
        identity_sealed=crypto.encrypt_text(data_key, identity, IDENTITY_LABEL),
        wrapped=crypto.wrap(data_key, public_key),
    )


# --- sample photos -----------------------------------------------------------------


def sample_photos(count: int = SAMPLE_PHOTOS) -> tuple[SamplePhoto, ...]:
    """A handful of real small JPEGs, stored once (encrypted), that every photo row
    shares. Their originals are not kept: bulk photos have no original to open."""
    storage = get_storage()
    photos = []
    for number in range(count):
        data = _sample_jpeg(number)
        processed = process_photo(data, f"bulk-{number}.jpg")
        stored = store_photo(storage, data, processed, 0, named=True).photo
        photos.append(SamplePhoto(processed, stored.file_id, stored.view_key_enc))
    return tuple(photos)


def _sample_jpeg(number: int) -> bytes:
    rng = random.Random(number)  # noqa: S311 - reproducible sample pictures
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(90, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(0, 560), rng.randrange(0, 400)
        box = (x, y, x + rng.randrange(30, 140), y + rng.randrange(20, 100))
        draw.rectangle(box, outline=(30, 30, 30), width=4)
    draw.text((16, 16), f"bulk sample {number}", fill=(0, 0, 0))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()

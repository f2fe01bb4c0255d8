"""The in-process operations of the benchmark and their bare-SQL floors."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from bench.run import Result, judge, summarise, timed

QUEUE_PROVINCE = 79  # Hồ Chí Minh City: the largest province, the hardest queues
SEARCH = "sua bot"  # typed without accents; finds "Sữa bột …"
# A very common word: ~10 % of a province's cases ("pham" also hits "thực phẩm").
COMMON_SEARCH = "my pham"
ADMIN_EMAIL = "bench.admin@bulk.inspect.vn"  # the national scope: every case
OPEN = ("new", "accepted", "assigned", "investigating")
DEEP_PAGES = 100


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


class Bench:
    def __init__(self, url: str, iterations: int, budget_s: float) -> None:
        from inspect_app import create_app

        self.iterations, self.budget = iterations, budget_s
        # The seeder's folder (its sample photos), so the scheduler's sweep finds them.
        self.uploads = os.environ.get("UPLOAD_ROOT") or tempfile.mkdtemp(prefix="bench-")
        overrides = {
            "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(url),
            "RATELIMIT_ENABLED": False,
            "UPLOAD_ROOT": self.uploads,
        }
        self.app: Flask = create_app(overrides=overrides)
        # Custom plans every time: a generic plan cannot use the trigram index for
        # `LIKE %(term)s`, which would make the floor slower than the app.
        self.raw = psycopg.connect(url, autocommit=True, prepare_threshold=None)
        self.server_version = self.raw.execute("SELECT version()").fetchone()[0]
        self.floor_statements: dict[str, int] = {}
        with self.app.app_context():
            self._pick_people()

    # --- set-up ----------------------------------------------------------------------

    def _pick_people(self) -> None:
        from inspect_app.accounts.models import Team, User
        from inspect_app.bulkseed.generator import HEAVY_EVERY
        from inspect_app.bulkseed.loader import load_progress
        from inspect_app.cases.models import Case
        from inspect_app.crypto import encrypt_text
        from inspect_app.extensions import db

        progress = load_progress()
        if progress is None:
            raise SystemExit("the bench database has no bulk data: run `flask seed-bulk` first")
        self.cases = progress.done
        team = db.session.scalar(select(Team).where(Team.code == f"B{QUEUE_PROVINCE}-DOI1"))
        members = {u.email.split("@")[0].split(".")[-1]: u for u in team.members}
        self.team_id = team.id
        self.lead, self.inspector = members["lead"], members["inspector1"]
        self.director = db.session.scalar(
            select(User).where(User.email == f"director.b{QUEUE_PROVINCE}@bulk.inspect.vn")
        )
        # Directors and admins must use TOTP; the bench ones are enrolled so pages
        # are served.
        self.admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        if self.admin is None:
            self.admin = User(
                email=ADMIN_EMAIL,
                full_name="Quản trị viên (bench)",
                password_hash="!",  # noqa: S106 - never logs in: the bench sets its session
                role="admin",
            )
            db.session.add(self.admin)
        for person in (self.director, self.admin):
            if not person.totp_enabled:
                person.totp_secret_enc = encrypt_text(pyotp.random_base32())
                person.totp_enabled = True
        db.session.commit()
        # The newest heavy case (5 reports, ~50 audit events; index 0 is one too).
        heavy_index = HEAVY_EVERY * ((progress.done - 1) // HEAVY_EVERY)
        heavy = db.session.get(Case, progress.case_id(heavy_index))
        self.heavy_case_id = heavy.id
        self.heavy_lead = next(u for u in heavy.team.members if u.role == "team_lead")
        self.identities = {
            "inspector": self.inspector.get_id(),
            "lead": self.lead.get_id(),
            "director": self.director.get_id(),
            "admin": self.admin.get_id(),
            "heavy_lead": self.heavy_lead.get_id(),
        }
        self.user_ids = [self.inspector.id, self.lead.id, self.heavy_lead.id]

    def client(self, who: str) -> FlaskClient:
        client = self.app.test_client()
        now = int(time.time())
        with client.session_transaction() as session:
            session.update(_user_id=self.identities[who], _fresh=True, login_at=now, seen_at=now)
        return client

    def data_description(self) -> dict:
        counts = {}
        for table in ("cases", "reports", "photos", "case_notes", "audit_events"):
            counts[table] = self.raw.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", (table,)
            ).fetchone()[0]
        return {"bulk_cases": self.cases, "approximate_rows": counts}

    # --- measuring -------------------------------------------------------------------

    def _page(self, client: FlaskClient, url: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")

        return call

    def _page_sql(self, client: FlaskClient, url: str) -> Callable[[], None]:
        """The floor of a page: the SQL statements the page itself runs (captured
        from one request, warm), replayed alone, in order, on one connection of the
        app's own engine (same settings: custom plans) — without Python, the
        template or HTTP. So the ratio says what the application adds to its SQL."""
        from sqlalchemy import event

        from inspect_app.extensions import db

        with self.app.app_context():
            engine = db.engine
        captured: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
            captured.append((statement, parameters))

        self._page(client, url)()  # warm: reference caches, compiled statements
        event.listen(engine, "before_cursor_execute", record)
        try:
            self._page(client, url)()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        self.floor_statements[url] = len(captured)
        raw = engine.raw_connection()

        def call() -> None:
            cursor = raw.cursor()
            try:
                for statement, parameters in captured:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            finally:
                cursor.close()
                raw.rollback()

        return call

    def _measure(self, fn: Callable[[], None], heavy: bool = False) -> list[float]:
        iterations = max(10, self.iterations // 10) if heavy else self.iterations
        return timed(fn, iterations, warmup=3, budget_s=self.budget)

    def _compare(self, name: str, app_call, floor_call, limit_ms, max_ratio) -> Result:
        result = summarise(name, self._measure(app_call))
        floor = summarise(name, self._measure(floor_call))
        result.floor_p95_ms = floor.p95_ms
        return judge(result, limit_ms, max_ratio)

    def _page_vs_its_sql(self, name: str, who: str, url: str, limit_ms: float) -> Result:
        """A page against its own SQL (see `_page_sql`)."""
        client = self.client(who)
        floor = self._page_sql(client, url)
        result = self._compare(name, self._page(client, url), floor, limit_ms, 2)
        result.note = f"{url}; floor: the page's {self.floor_statements[url]} SQL statements"
        return result

    # --- the operations --------------------------------------------------------------

    def query_operations(self, parts: set[str]) -> list[Result]:
        """The in-process operations among ``parts`` (queues, case, stats, tick)."""
        results = []
        if "queues" in parts:
            results += self._queues()
        if "case" in parts:
            results.append(self._case_page())
        if "stats" in parts:
            results += self._statistics()
        if "tick" in parts:
            results += self._tick()
        return results

    def _queues(self) -> list[Result]:
        """Every queue page against the SQL it runs itself (see `_page_sql`)."""
        search, common = SEARCH.replace(" ", "+"), COMMON_SEARCH.replace(" ", "+")
        pages = [
            ("queue first page: inspector", "inspector", "/cases", 50),
            ("queue first page: lead", "lead", "/cases", 50),
            ("queue first page: director", "director", "/cases", 50),
            ("queue first page: national (admin)", "admin", "/cases", 50),
            (
                "queue investigating+overdue: lead",
                "lead",
                "/cases?status=investigating&due=overdue",
                50,
            ),
            (
                "queue investigating+overdue: director",
                "director",
                "/cases?status=investigating&due=overdue",
                50,
            ),
            (
                "queue investigating+overdue: national (admin)",
                "admin",
                "/cases?status=investigating&due=overdue",
                50,
            ),
            (f"queue search '{SEARCH}': lead", "lead", f"/cases?q={search}", 50),
            (f"queue search '{SEARCH}': director", "director", f"/cases?q={search}", 50),
            (f"queue search '{SEARCH}': national (admin)", "admin", f"/cases?q={search}", 50),
            (f"queue search '{COMMON_SEARCH}': director", "director", f"/cases?q={common}", 50),
            (
                f"queue search '{COMMON_SEARCH}': national (admin)",
                "admin",
                f"/cases?q={common}",
                50,
            ),
            (
                f"queue phone, my work + search '{SEARCH}': inspector",
                "inspector",
                f"/cases?assignee=mine&q={search}",
                50,
            ),
        ]
        results = [self._page_vs_its_sql(*page) for page in pages]
        results.append(self._deep_page())
        return results

    def _deep_page(self) -> Result:
        from inspect_app.cases.queue import QueueFilters, queue_page
        from inspect_app.deadlines.calendar import load_calendar

        with self.app.app_context():
            from inspect_app.extensions import db

            director = db.session.merge(self.director)
            calendar, today = load_calendar(), datetime.now().date()
            filters, cursor = QueueFilters(statuses=[]), None
            for _ in range(DEEP_PAGES):
                cursor = queue_page(
                    director, filters, today=today, calendar=calendar, cursor=cursor
                ).next_cursor
        return self._page_vs_its_sql(
            f"queue deep page (keyset, page {DEEP_PAGES + 1}, all states): director",
            "director",
            f"/cases?status=all&after={cursor}",
            50,
        )

    def _case_page(self) -> Result:
        with self.app.app_context():
            from inspect_app.audit.models import AuditEvent
            from inspect_app.cases.models import Report
            from inspect_app.extensions import db

            events = db.session.scalar(
                select(func.count()).where(AuditEvent.case_id == self.heavy_case_id)
            )
            reports = db.session.scalar(
                select(func.count()).where(Report.case_id == self.heavy_case_id)
            )
        name = f"case page ({reports} reports, {events} audit events): lead"
        result = self._page_vs_its_sql(name, "heavy_lead", f"/cases/{self.heavy_case_id}", 50)
        return judge(result, 50, None)

    def _statistics(self) -> list[Result]:
        try:
            from inspect_app.stats.aggregates import compute_statistics
            from inspect_app.stats.periods import Period
        except ImportError:
            return [_todo("year of statistics", "arrives with the stats package")]
        year = datetime.now().year - 1
        results = []
        for label, province in ((f"province {QUEUE_PROVINCE}", QUEUE_PROVINCE), ("country", None)):
            with self.app.app_context():
                durations = self._measure(
                    lambda p=province: compute_statistics(Period.year(year), p), heavy=True
                )
            result = summarise(f"statistics {year}: {label}", durations)
            results.append(judge(result, 500, None))
        return results

    def _tick(self) -> list[Result]:
        """Three ticks over every open case at 08:30 on working days:

        - catch-up: from a clean slate (the bench database's alerts, outbox and
          notifications are truncated), so every overdue and due-soon case is news — what
          a deployment's first day, or a day after a long outage, looks like;
        - the next working day's first tick: that day's new reminders, overdue cases
          and escalations, and every officer's digest — the daily load;
        - repeated ticks the same minute: nothing new to decide.
        """
        from inspect_app.cases.deadlines import LOCAL_TZ
        from inspect_app.deadlines.calendar import load_calendar
        from inspect_app.extensions import db
        from inspect_app.notify.models import DeadlineAlert, Notification, OutboxMessage
        from inspect_app.scheduler.jobs import tick

        def at_half_past_eight(day):
            return datetime(day.year, day.month, day.day, 8, 30, tzinfo=LOCAL_TZ)

        def once(name: str, now: datetime) -> Result:
            start = time.perf_counter()
            summary = tick(now)
            result = summarise(name, [time.perf_counter() - start])
            result.note = f"jobs: {summary}"
            return judge(result, 2000, None)

        with self.app.app_context():
            # TRUNCATE, not DELETE: a first morning starts from empty tables, not from
            # the previous run's dead rows in their unique indexes.
            models = (DeadlineAlert, Notification, OutboxMessage)
            tables = ", ".join(model.__tablename__ for model in models)
            db.session.execute(text(f"TRUNCATE {tables}"))
            db.session.commit()
            calendar = load_calendar()
            day = calendar.next_working_day(datetime.now(LOCAL_TZ).date())
            catch_up = once("scheduler tick: catch-up from nothing sent", at_half_past_eight(day))
            now = at_half_past_eight(calendar.add_working_days(day, 1))
            daily = once("scheduler tick: first of the next day", now)
            durations = timed(lambda: tick(now + timedelta(minutes=1)), 10, 1, self.budget)
            repeated = judge(summarise("scheduler tick: repeated", durations), 2000, None)
            repeated.note = f"jobs: {tick(now + timedelta(minutes=2))}"
        return [catch_up, daily, repeated]


def _todo(name: str, why: str) -> Result:
    return Result(name, 0, None, None, None, status="TODO", note=f"TODO: {why}")

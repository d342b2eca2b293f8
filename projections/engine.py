"""The projector: reads the event log in order and keeps read models current.

Each read model records the log position it has reached in
``projection_tracking``. A batch of events and the new positions commit in one
transaction, and the positions are re-read under a lock inside it, so a crash
never skips or double-applies an event and two processes catching up at once
simply take turns. Events a read model does not use still advance its position.

Candidacy events carry only their stream id; the projector keeps a small
insert-only ``registry_directory`` (stream id → programme and team codes) in the
same transaction so each read model can file an event under its programme.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timezone
from datetime import time as time_of_day
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

import orjson

from domain.access import ApiKey
from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from domain.receipts import Receipt
from domain.registry import Registry
from projections.db import Cursor, Database
from projections.rows import MemoryRows, Rows, SqlRows, Table

PAGE_SIZE = 500
BUILD_PAGE_SIZE = 1_000
log = logging.getLogger("registry.projections")
INDEX_NAME = re.compile(r"CREATE (?:UNIQUE )?INDEX IF NOT EXISTS (\w+)")
HOLD_SECONDS = 0.5
ROWS_IN_MEMORY = 100_000  # current rows a rebuild keeps in memory past a checkpoint (see ``MemoryRows``)
CHECKPOINT_EVENTS = 50_000  # a rebuild commits its rows and position after this many events
BULK_AFTER = 5_000  # a catch-up further behind than this many events applies them in bulk first
OUTSIDE_PROGRAMMES = (ApiKey.Event, Receipt.Event)
Progress = Callable[[int, int], None]


class OvertakenError(RuntimeError):
    """Another process applied events to the read models a build is writing, or is applying them now (``busy``)."""

    def __init__(self, message: str, *, busy: bool, done: int) -> None:
        super().__init__(message)
        self.busy = busy
        self.done = done  # events this build had applied and committed before it stopped


@dataclass(frozen=True)
class Codes:
    program_code: str
    team_code: str | None


class Projection(Protocol):
    name: str
    tables: tuple[str, ...]
    layout: tuple[Table, ...]

    def ddl(self) -> list[str]: ...
    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None: ...


def iso(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO 8601 text of fixed width, so text order is time order."""
    if type(moment.tzinfo) is timezone:  # a fixed offset, as every stored time decodes to: one text per instant
        return _iso_at_fixed_offset(moment)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=4096)  # an event's moments are written by several read models
def _iso_at_fixed_offset(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


TRACKING_DDL = [
    "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_directory ("
    " originator_id TEXT PRIMARY KEY, program_code TEXT NOT NULL, team_code TEXT)",
    "CREATE TABLE IF NOT EXISTS projection_status (name TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " heartbeat_at TEXT NOT NULL, last_error TEXT)",
]


class Projector:
    def __init__(
        self,
        registry: Registry,
        db: Database,
        projections: Sequence[Projection],
        *,
        batch: int | None = None,
        checkpoint: int = CHECKPOINT_EVENTS,
    ) -> None:
        self.registry = registry
        self.batch = batch
        self.checkpoint = checkpoint
        self.rows_in_memory = ROWS_IN_MEMORY
        self.bulk_after = BULK_AFTER
        self.db = db
        self.projections = {p.name: p for p in projections}
        self._directory: dict[UUID, Codes] = {}
        self._new_streams: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()

    def setup(self) -> None:
        with self.db.transaction() as cur:
            for statement in TRACKING_DDL:
                cur.execute(statement)
            for projection in self.projections.values():
                if self._outdated(cur, projection):
                    log.warning("read model %s has tables of an older layout; rebuilding it", projection.name)
                    for variant in ("", "__next", "__verify"):  # an unfinished rebuild's tables are as old
                        for table in projection.tables:
                            cur.execute(f"DROP TABLE IF EXISTS {table}{variant}")
                        cur.execute("DELETE FROM projection_tracking WHERE name = %s", (projection.name + variant,))
                self.create(cur, projection)

    def _outdated(self, cur: Cursor, projection: Projection) -> bool:
        """Whether a table of ``projection`` exists without the columns its layout has now."""
        for table in projection.layout:
            if self.db.dialect == "postgres":
                cur.execute(
                    "SELECT column_name AS name FROM information_schema.columns"
                    " WHERE table_name = %s AND table_schema = current_schema()",
                    (table.name,),
                )
            else:
                cur.execute(f"PRAGMA table_info({table.name})")
            found = {r["name"] for r in cur.fetchall()}
            if found and found != set(table.names):
                return True
        return False

    def select(self, names: Iterable[str] | None) -> list[str]:
        chosen = list(names or self.projections)
        unknown = [n for n in chosen if n not in self.projections]
        if unknown:
            raise KeyError(f"no such read model: {', '.join(unknown)} (known: {', '.join(self.projections)})")
        return chosen

    def head(self) -> int:
        return self.registry.recorder.max_notification_id() or 0

    def catch_up(
        self, names: Iterable[str] | None = None, progress: Progress | None = None, *, wait: bool = True
    ) -> int:
        """Apply every event after each read model's position; returns how many were read.

        A read model more than ``bulk_after`` events behind (a new database, a
        layout change, a runner stopped for long) is first brought up in bulk,
        as a rebuild is (``build``), then row by row. If another process is
        applying it in bulk meanwhile, this waits its turn and goes on from where
        that one got; with ``wait=False`` (a best effort: after a write, at
        start-up) it returns at once instead, before the head, and leaves it to that one.
        """
        chosen = self.select(names)
        with self._lock:
            done = 0
            while True:
                applied, far_behind = self._follow(chosen, progress=progress, bulk_after=self.bulk_after)
                done += applied
                if not far_behind:
                    return done
                try:
                    done += self.build(chosen, variant="", progress=progress, wait=wait)
                except OvertakenError as overtaken:
                    done += overtaken.done
                    if overtaken.busy:
                        log.info("%s: another process is catching up in bulk; left to it", ", ".join(chosen))
                        return done
                    # moved meanwhile (another process's bulk went on, a blue/green switch): look again

    def follow(self, names: list[str], *, stop: int | None = None, progress: Progress | None = None) -> int:
        """Apply events to the live read models, batch by batch, up to ``stop`` (rebuilds use ``build``)."""
        return self._follow(names, stop=stop, progress=progress)[0]

    def _follow(
        self,
        names: list[str],
        *,
        stop: int | None = None,
        progress: Progress | None = None,
        bulk_after: int | None = None,
    ) -> tuple[int, bool]:
        """``follow``, and whether it stopped first because the log reaches more than ``bulk_after`` further.

        That is looked at only when the first page comes back full, so a catch-up
        a few events behind (after each write) costs no query more.
        """
        start = self._lowest(names)
        total, done, limit = (stop or self.head()) - start if progress else 0, 0, self.batch or PAGE_SIZE
        while True:
            page = self.registry.recorder.select_notifications(start=start + 1, limit=limit, stop=stop)
            if bulk_after is not None and not done and len(page) == limit and self.head() - start > bulk_after:
                return 0, True
            if page:
                events = [(n.id, self.registry.mapper.to_domain_event(n)) for n in page]
                if not self._apply(names, events, after=start):  # type: ignore[arg-type]
                    start = self._lowest(names)  # a rebuild switched in older rows: go back
                    continue
                start = page[-1].id
                done += len(page)
                if progress:
                    progress(done, max(total, done))
            if len(page) < limit:  # the log's end as of this read; later events are the next call's
                return done, False

    def _lowest(self, names: list[str]) -> int:
        reached = self.positions()
        return min(reached[n] for n in names)

    def positions(self, variant: str = "") -> dict[str, int]:
        with self.db.transaction(write=False) as cur:
            cur.execute("SELECT name, position FROM projection_tracking")
            found = {r["name"]: r["position"] for r in cur.fetchall()}
        return {name: found.get(name + variant, 0) for name in self.projections}

    def rebuild(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Rebuild beside the live tables and switch atomically (see ``projections.rebuild``)."""
        from projections.rebuild import blue_green

        return blue_green(self, self.select(names), progress)

    def create(self, cur: Cursor, projection: Projection, variant: str = "", *, indexes: bool = True) -> None:
        """Create the read model's tables; ``indexes=False``: only with the indexes a build reads by.

        Those are the primary keys and the current rows' unique indexes (rows
        are read back by programme, see ``MemoryRows``; the unique index also
        refuses a second current row at once, not at the end).
        """
        for statement in renamed(projection, variant):
            if indexes or statement.startswith("CREATE TABLE") or "WHERE valid_to IS NULL" in statement:
                cur.execute(statement)
        cur.execute(
            "INSERT INTO projection_tracking (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
            (projection.name + variant,),
        )

    def _apply(self, names: list[str], events: list[tuple[int, DecisionEvent]], after: int | None = None) -> bool:
        """Apply one batch row by row, with the tracking positions, in one transaction (live catch-up).

        ``after`` is the position the batch was read after. A read model found
        behind it (a blue/green switch put older rows in place meanwhile) would
        miss the events between: nothing is applied and False is returned.
        """
        with self.db.transaction() as cur:
            reached = self._locked_positions(cur, names, "")
            if after is not None and min(reached.get(n, 0) for n in names) < after:
                return False
            self._handle(cur, names, "", events, reached, SqlRows(cur))
            self._advance(cur, names, "", events[-1][0])
        return True

    def build(
        self,
        names: list[str],
        *,
        variant: str,
        stop: int | None = None,
        progress: Progress | None = None,
        wait: bool = True,
    ) -> int:
        """Apply events in bulk, up to ``stop``: to a variant no reader uses (a rebuild, a verification),
        or to the live tables (``variant=""``: a catch-up far behind).

        The variant's tables may have only the indexes a build reads by (see
        ``create``): the others are cheaper to build once, at the end, than to
        maintain row by row (``projections.rebuild``).

        Rows are kept in memory and written in bulk (``MemoryRows``); every
        ``checkpoint`` events the tables, the stream directory and the tracking
        positions commit together, so an interrupted build resumes from its last
        checkpoint. Returns how many events were read. Raises ``OvertakenError``
        if another process moved the positions meanwhile (its rows are then in
        the tables, not in this build's memory), or holds them now and
        ``wait`` is False.

        On the live tables a checkpoint also comes at least every
        ``HOLD_SECONDS``: live appliers and blue/green switches wait for it.
        """
        expected = self.positions(variant)  # before the rows: a checkpoint committed after this is noticed below
        start = min(expected[n] for n in names)
        total, done = (stop or self.head()) - start, 0
        layout = [t for n in names for t in self.projections[n].layout]
        rows = MemoryRows(layout, variant, self.db.dialect, keep=self.rows_in_memory)
        if any(expected[n] for n in names):
            rows.load()  # resuming: the rows so far are in the tables
        pages, finished = self._pages(start, stop), False
        while not finished:
            began = time.monotonic()
            with self.db.transaction() as cur:
                reached = self._locked_positions(cur, names, variant, skip_locked=not wait)
                if len(reached) < len(names) or any(reached[n + variant] != expected[n] for n in names):
                    raise OvertakenError(
                        f"another process is writing {', '.join(names)}{variant}; stopped",
                        busy=len(reached) < len(names),
                        done=done,
                    )
                rows.bind(cur)
                applied, last, finished = 0, None, True
                for events in pages:
                    self._handle(cur, names, variant, events, reached, rows, defer=True)
                    last = events[-1][0]
                    applied, done = applied + len(events), done + len(events)
                    if progress:
                        progress(done, max(total, done))
                    if applied >= self.checkpoint or self._holding_too_long(began, live=not variant):
                        finished = False
                        break
                rows.checkpoint()
                self._flush_directory(cur)
                if last is not None:
                    self._advance(cur, names, variant, last)
                    expected = {n: max(expected[n], last) for n in names}
        return done

    def _holding_too_long(self, began: float, *, live: bool) -> bool:
        """Commit often enough that what waits for this transaction waits at most a moment.

        That is the API's writes on SQLite (it has one writer), and on the live
        tables anything else applying them.
        """
        return (live or self.db.dialect == "sqlite") and time.monotonic() - began > HOLD_SECONDS

    def _pages(self, start: int, stop: int | None) -> Iterator[list[tuple[int, DecisionEvent]]]:
        while True:
            page = self.registry.recorder.select_notifications(
                start=start + 1, limit=self.batch or BUILD_PAGE_SIZE, stop=stop
            )
            if not page:
                return
            yield [(n.id, self.registry.mapper.to_domain_event(n)) for n in page]  # type: ignore[misc]
            start = page[-1].id

    def _locked_positions(
        self, cur: Cursor, names: list[str], variant: str, *, skip_locked: bool = False
    ) -> dict[str, int]:
        """The read models' positions, locked until the transaction ends (PostgreSQL; SQLite locks it all).

        ``skip_locked``: rows another transaction holds are left out instead of waited for.
        """
        lock = (" FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE") if self.db.dialect == "postgres" else ""
        marks = ", ".join(["%s"] * len(names))
        tracked = [name + variant for name in names]
        cur.execute(f"SELECT name, position FROM projection_tracking WHERE name IN ({marks}){lock}", tracked)
        return {r["name"]: r["position"] for r in cur.fetchall()}

    def _advance(self, cur: Cursor, names: list[str], variant: str, last: int) -> None:
        marks = ", ".join(["%s"] * len(names))
        cur.execute(
            f"UPDATE projection_tracking SET position = %s WHERE name IN ({marks}) AND position < %s",
            [last, *(name + variant for name in names), last],
        )

    def _handle(
        self,
        cur: Cursor,
        names: list[str],
        variant: str,
        events: list[tuple[int, DecisionEvent]],
        reached: dict[str, int],
        rows: MemoryRows | SqlRows,
        *,
        defer: bool = False,
    ) -> None:
        for position, event in events:
            if isinstance(event, OUTSIDE_PROGRAMMES):
                continue  # access keys and receipts belong to no programme; no read model shows them
            codes = self._codes(cur, event, defer=defer)
            rows.position = position
            for name in names:
                if position > reached[name + variant]:
                    self.projections[name].handle(rows, event, codes)

    def _codes(self, cur: Cursor, event: DecisionEvent, *, defer: bool = False) -> Codes:
        key = event.originator_id
        if isinstance(event, Program.Opened):
            codes = Codes(event.code, None)
        elif isinstance(event, Candidacy.ApplicationSubmitted):
            codes = Codes(event.program_code, event.team_code)
        elif key in self._directory:
            return self._directory[key]
        else:
            cur.execute("SELECT program_code, team_code FROM registry_directory WHERE originator_id = %s", (key.hex,))
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"event at stream {key} arrived before its stream was created")
            self._directory[key] = Codes(row["program_code"], row["team_code"])
            return self._directory[key]
        # Creation events are always written: the batch that first saw them may have rolled back.
        self._new_streams.append((key.hex, codes.program_code, codes.team_code))
        if not defer:
            self._flush_directory(cur)
        self._directory[key] = codes
        return codes

    def _flush_directory(self, cur: Cursor) -> None:
        if self._new_streams:
            cur.executemany(
                "INSERT INTO registry_directory (originator_id, program_code, team_code) VALUES (%s, %s, %s)"
                " ON CONFLICT (originator_id) DO NOTHING",
                self._new_streams,
            )
            self._new_streams = []


def names_in(projections: Iterable[Projection]) -> list[str]:
    """The tables and indexes a read model's DDL creates (what a variant renames)."""
    found: list[str] = []
    for projection in projections:
        found += list(projection.tables)
        found += [m.group(1) for s in projection.ddl() if (m := INDEX_NAME.search(s))]
    return found


def renamed(projection: Projection, variant: str) -> list[str]:
    """The read model's DDL for a variant of its tables: ``standings_teams`` → ``standings_teams__next``."""
    names = names_in([projection])
    if not variant or not names:
        return projection.ddl()
    pattern = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    return [pattern.sub(lambda m: m.group(1) + variant, statement) for statement in projection.ddl()]


def json_ready(value: Any) -> Any:
    """Decimals as exact strings, datetimes as ISO text: the form read models store."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """``value`` as JSON text in the form read models store (``json_ready``), encoded in one pass."""
    return orjson.dumps(value, default=_stored_form, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _stored_form(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (date, time_of_day)):  # passed through with datetimes; ISO 8601, as Python writes them
        return value.isoformat()
    if isinstance(value, tuple):  # a named tuple (orjson writes plain ones itself)
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

"""The projector: reads the event log in order and keeps read models current.

It applies events in one of two ways. A catch-up (``catch_up``, ``follow``,
``apply``) reads a page of events and applies it row by row with the read
models' tracking positions in one transaction (``projections.tracking``). A
bulk build (``build``) keeps rows in memory and writes them in bulk at
checkpoints: a rebuild or a verification (``projections.rebuild``), or a
catch-up far behind. Events a read model does not use still advance its position.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from itertools import islice

from domain.access import KEY_EVENTS
from domain.events import DecisionEvent
from domain.receipts import Receipt
from domain.registry import Registry
from eventstore.scan import stored_events
from projections import documents, failures, notices, schema, tracking
from projections.collector import collecting_less
from projections.db import Cursor, Database
from projections.memory_rows import MemoryRows
from projections.rows import BulkWriteError, SqlRows
from projections.schema import Projection

PAGE_SIZE = 500
BUILD_PAGE_SIZE = 1_000
READ_PAGE_SIZE = 1_000  # events a bulk build reads per statement, the next pages read while one is applied
log = logging.getLogger("registry.projections")
HOLD_SECONDS = 0.5
ROWS_IN_MEMORY = 100_000  # current rows a rebuild keeps in memory past a checkpoint (see ``MemoryRows``)
CHECKPOINT_EVENTS = 50_000  # a rebuild commits its rows and position after this many events
BULK_AFTER = 5_000  # a catch-up further behind than this many events applies them in bulk first
OUTSIDE_PROGRAMMES = (*KEY_EVENTS, Receipt.Event)
DOCUMENTED = "standings"  # the read model whose programmes are also kept as documents (``projections.documents``)
Progress = Callable[[int, int], None]


class OvertakenError(RuntimeError):
    """Another process applied events to the read models a build is writing, or is applying them now (``busy``)."""

    def __init__(self, message: str, *, busy: bool, done: int) -> None:
        super().__init__(message)
        self.busy = busy
        self.done = done  # events this build had applied and committed before it stopped


class Projector:
    """Keeps the read models ``projections`` in ``db`` current with the log of ``registry``."""

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
        self._directory = tracking.Directory()
        self._lock = threading.Lock()

    def setup(self) -> None:
        """Create the read models' tables if missing; those of an older layout are dropped, to be built anew."""
        schema.install(self.db, self.projections.values())
        documents.install(self.db)
        notices.install(self.db)  # what a watcher of the read models' state listens to (``projections.watch``)
        if DOCUMENTED in self.projections and not self.positions().get(DOCUMENTED):
            with self.db.transaction() as cur:  # rows dropped (a new layout) or never built: none to serve
                documents.clear(cur)

    def select(self, names: Iterable[str] | None) -> list[str]:
        chosen = list(names or self.projections)
        unknown = [n for n in chosen if n not in self.projections]
        if unknown:
            raise KeyError(f"no such read model: {', '.join(unknown)} (known: {', '.join(self.projections)})")
        return chosen

    def head(self) -> int:
        return self.registry.recorder.max_notification_id() or 0

    def positions(self, variant: str = "") -> dict[str, int]:
        return tracking.positions(self.db, self.projections, variant)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Keep this projector's catch-ups (in this process) waiting until the block ends.

        A blue/green switch holds it, so that a catch-up in this process does not
        apply a batch read before the switch to the tables after it.
        """
        with self._lock:
            yield

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
        If the tables refuse rows written in bulk, it goes on row by row (``apply``).
        """
        chosen = self.select(names)
        with self.exclusive():
            done = 0
            while True:
                applied, far_behind = self._follow(chosen, progress=progress, bulk_after=self.bulk_after)
                done += applied
                if not far_behind:
                    return done
                try:
                    done += self.build(chosen, variant="", progress=progress, wait=wait)
                    self.refresh_documents(chosen)
                except OvertakenError as overtaken:
                    done += overtaken.done
                    if overtaken.busy:
                        log.info("%s: another process is catching up in bulk; left to it", ", ".join(chosen))
                        return done
                    # moved meanwhile (another process's bulk went on, a blue/green switch): look again
                except BulkWriteError as refused:  # no event to blame: row by row, the one that fails is contained
                    log.warning("%s; catching up from the last checkpoint row by row", refused)
                    done += self.follow(chosen, progress=progress)
                    self.refresh_documents(chosen)
                    return done

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

        That is looked at only when the first page comes back full: a catch-up a few events behind costs no query more.
        """
        start = self._lowest(names)
        total, done, limit = (stop or self.head()) - start if progress else 0, 0, self.batch or PAGE_SIZE
        while True:
            page = self.registry.recorder.select_notifications(start=start + 1, limit=limit, stop=stop)
            if bulk_after is not None and not done and len(page) == limit and self.head() - start > bulk_after:
                return 0, True
            if page:
                events = [(n.id, self.registry.mapper.to_domain_event(n)) for n in page]
                if not self.apply(names, events, after=start):  # type: ignore[arg-type]
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

    def apply(self, names: list[str], events: list[tuple[int, DecisionEvent]], after: int | None = None) -> bool:
        """Apply one batch row by row, with the tracking positions, in one transaction (live catch-up).

        ``events`` are (log position, event) pairs in log order. ``after`` is
        the position the batch was read after. A read model found behind it (a
        blue/green switch put older rows in place meanwhile) would miss the
        events between: nothing is applied and False is returned.
        """
        try:
            with self.db.transaction() as cur:
                reached = tracking.locked_positions(cur, self.db.dialect, names, "")
                if after is not None and min(reached.get(n, 0) for n in names) < after:
                    return False
                stopped, rows = failures.contained(cur), SqlRows(cur, self.db.dialect, buffered=True)
                touched = self._handle(cur, names, "", events, reached, rows, defer=True, skip=stopped)
                rows.flush()  # the batch's rows, before the documents read them
                self._directory.flush(cur)
                if DOCUMENTED in names:
                    fresh = [code for code in sorted(touched) if (DOCUMENTED, code) not in stopped]
                    documents.refresh(cur, fresh, self.registry.clock(), self.db.dialect)
                tracking.advance(cur, names, "", events[-1][0])
        except Exception as error:
            if failures.transient(error):
                raise
            log.warning("a batch of events failed to apply (%s); applying it event by event", error)
            return self._apply_contained(names, events, after)
        return True

    def _apply_contained(self, names: list[str], events: list[tuple[int, DecisionEvent]], after: int | None) -> bool:
        """The batch again, each read model's change to each event in a savepoint (``projections.failures``)."""
        with self.db.transaction() as cur:
            reached = tracking.locked_positions(cur, self.db.dialect, names, "")
            if after is not None and min(reached.get(n, 0) for n in names) < after:
                return False
            stopped, rows, touched = failures.contained(cur), SqlRows(cur, self.db.dialect), set[str]()
            for position, event in events:
                if isinstance(event, OUTSIDE_PROGRAMMES):
                    continue
                codes = self._directory.codes(cur, event)
                touched.add(codes.program_code)
                rows.position = position
                for name in names:
                    if position <= reached[name] or failures.stopped(stopped, name, codes.program_code, position):
                        continue
                    cur.execute("SAVEPOINT apply_event")
                    try:
                        self.projections[name].handle(rows, event, codes)
                    except Exception as error:
                        if failures.transient(error):
                            raise
                        cur.execute("ROLLBACK TO SAVEPOINT apply_event")
                        rows.forget()
                        _contain(cur, failures.HandlerFailedError(name, codes.program_code, position, error), "")
                        stopped[(name, codes.program_code)] = position
                    cur.execute("RELEASE SAVEPOINT apply_event")
            if DOCUMENTED in names:
                fresh = [code for code in sorted(touched) if (DOCUMENTED, code) not in stopped]
                documents.refresh(cur, fresh, self.registry.clock(), self.db.dialect)
            tracking.advance(cur, names, "", events[-1][0])
        return True

    def refresh_documents(self, names: list[str]) -> None:
        """After the live rows changed in bulk: write every programme's document from them again."""
        if DOCUMENTED in names:
            documents.refresh_all(self.db, self.registry.clock(), DOCUMENTED)

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
        ``schema.create``): the others are cheaper to build once, at the end,
        than to maintain row by row (``projections.rebuild``).

        Rows are kept in memory and written in bulk (``MemoryRows``); every
        ``checkpoint`` events the tables, the stream directory and the tracking
        positions commit together, so an interrupted build resumes from its last
        checkpoint. Returns how many events were read. Raises ``OvertakenError``
        if another process moved the positions meanwhile (its rows are then in
        the tables, not in this build's memory), or holds them now and
        ``wait`` is False.

        On the live tables a checkpoint also comes at least every
        ``HOLD_SECONDS``: live appliers and blue/green switches wait for it.

        An event a read model cannot apply is contained to its programme
        (``projections.failures``): what the build applied since its last
        checkpoint is rolled back, the failure is recorded, and the build goes
        on from that checkpoint, that read model applying that programme's
        events only up to the one that failed.
        """
        done = 0
        with collecting_less():
            while True:
                try:
                    return done + self._build_once(names, variant, stop, _offset(progress, done), wait=wait)
                except failures.HandlerFailedError as failed:
                    done += failed.done
                    with self.db.transaction() as cur:
                        _contain(cur, failed, variant)

    def _build_once(
        self, names: list[str], variant: str, stop: int | None, progress: Progress | None, *, wait: bool
    ) -> int:
        """``build`` up to the first event a read model cannot apply (``HandlerFailedError``)."""
        expected = self.positions(variant)  # before the rows: a checkpoint committed after this is noticed below
        start = min(expected[n] for n in names)
        total, done = (stop or self.head()) - start, 0
        layout = [t for n in names for t in self.projections[n].layout]
        rows = MemoryRows(layout, variant, self.db.dialect, keep=self.rows_in_memory)
        if any(expected[n] for n in names):
            rows.load()  # resuming: the rows so far are in the tables
        pages, finished, committed = self._pages(start, stop), False, 0
        with closing(pages):  # its read-ahead stops with the build, however that ends
            while not finished:
                began = time.monotonic()
                with self.db.transaction() as cur, rows.writing(cur):
                    reached = tracking.locked_positions(cur, self.db.dialect, names, variant, skip_locked=not wait)
                    if len(reached) < len(names) or any(reached[n + variant] != expected[n] for n in names):
                        raise OvertakenError(
                            f"another process is writing {', '.join(names)}{variant}; stopped",
                            busy=len(reached) < len(names),
                            done=done,
                        )
                    if not variant and DOCUMENTED in names:  # the live rows change in bulk beneath them
                        documents.clear(cur)
                    applied, last, finished = 0, None, True
                    stopped = failures.contained(cur, variant)
                    for events in pages:
                        try:
                            self._handle(cur, names, variant, events, reached, rows, defer=True, skip=stopped)
                        except failures.HandlerFailedError as failed:
                            failed.done = committed
                            raise
                        last = events[-1][0]
                        applied, done = applied + len(events), done + len(events)
                        if progress:
                            progress(done, max(total, done))
                        if applied >= self.checkpoint or self._holding_too_long(began, live=not variant):
                            finished = False
                            break
                    rows.checkpoint()
                    self._directory.flush(cur)
                    if last is not None:
                        tracking.advance(cur, names, variant, last)
                        expected = {n: max(expected[n], last) for n in names}
                committed = done
        return done

    def _holding_too_long(self, began: float, *, live: bool) -> bool:
        """Commit often enough that what waits for this transaction waits at most a moment.

        That is the API's writes on SQLite (it has one writer), and on the live
        tables anything else applying them.
        """
        return (live or self.db.dialect == "sqlite") and time.monotonic() - began > HOLD_SECONDS

    def _pages(self, start: int, stop: int | None) -> Generator[list[tuple[int, DecisionEvent]], None, None]:
        """The events after ``start`` in batches, read ahead of the batch being applied (``stored_events``)."""
        size, decode = self.batch or BUILD_PAGE_SIZE, self.registry.mapper.to_domain_event
        stored = stored_events(self.registry.recorder, after=start, stop=stop, page=max(size, READ_PAGE_SIZE))
        with closing(stored):
            while batch := list(islice(stored, size)):
                yield [(position, decode(event)) for position, event in batch]  # type: ignore[misc]

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
        skip: Mapping[tuple[str, str], int] | None = None,
    ) -> set[str]:
        """Apply the events each read model has not applied yet, but those ``skip`` holds back (a failure before);
        the programmes they were about. A handler's error is raised as a ``HandlerFailedError``."""
        touched: set[str] = set()
        models = [(name, self.projections[name].handle, reached[name + variant]) for name in names]
        for position, event in events:
            if isinstance(event, OUTSIDE_PROGRAMMES):
                continue  # access keys and receipts belong to no programme; no read model shows them
            codes = self._directory.codes(cur, event, defer=defer)
            touched.add(codes.program_code)
            rows.position = position
            for name, handle, applied in models:
                if position <= applied or (skip and failures.stopped(skip, name, codes.program_code, position)):
                    continue
                try:
                    handle(rows, event, codes)
                except Exception as error:
                    if failures.transient(error) or isinstance(error, BulkWriteError):
                        raise
                    raise failures.HandlerFailedError(name, codes.program_code, position, error) from error
        return touched


def _contain(cur: Cursor, failed: failures.HandlerFailedError, variant: str) -> None:
    """Record that a read model stopped for a programme (``projections.failures``), and say so in the log."""
    failures.record(cur, failed.name + variant, failed.program_code, failed.position, failed.error)
    message = "read model %s stopped for programme %s at position %d: %s"
    log.error(message, failed.name + variant, failed.program_code, failed.position, failed.error)


def _offset(progress: Progress | None, so_far: int) -> Progress | None:
    """``progress``, counting ``so_far`` events already reported before."""
    if progress is None or not so_far:
        return progress
    return lambda done, total: progress(so_far + done, so_far + total)

"""Generate a realistic event log fast: decide on the in-memory store, copy to PostgreSQL in bulk.

Programmes are told (``bench.story``) in chunks, each chunk into a fresh
in-memory registry in a worker process, so memory stays bounded by one chunk
and both cores decide at once. The parent copies each chunk's stored events,
in log order, into the target database through the registry's own recorder
(``insert_events``, a few thousand per call) and stops at exactly the number
of events asked for, so the log may end part-way through a programme — a
valid prefix, as a live log always is.

``generate_big`` appends one programme of thousands of teams (scenario f) the
same way, decided in this process.

    python -m bench.generate --events 200000 --database-url postgresql://root@127.0.0.1:5432/registry_bench
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.persistence import StoredEvent

from api.bootstrap import build
from api.settings import Settings
from bench import database
from bench.story import BigProgramme, Clock, Programme
from domain.program import Program
from domain.registry import Registry

PROGRAMMES_PER_CHUNK = 40  # about 17,000 events: a few MB to pickle, a few seconds to decide
EVENTS_PER_PROGRAMME = 400  # roughly, on average: sizes the chunks of a small log
INSERT_BATCH = 5_000
OPENED = Program.Opened.TOPIC


@dataclass(frozen=True)
class Generated:
    events: int
    programmes: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def decide_chunk(first: int, count: int) -> list[StoredEvent]:
    """Tell programmes ``first`` to ``first + count - 1`` on a fresh in-memory store; returns their stored events."""
    clock = Clock()
    source = build(Settings(database_url="memory://"), clock=clock)
    try:
        for number in range(first, first + count):
            Programme(source.registry, clock, number).tell()
        return stored_events(source.registry)
    finally:
        source.close()


def stored_events(registry: Registry) -> list[StoredEvent]:
    """Every event an in-memory registry stored, in log order."""
    recorder = registry.recorder
    return [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        for n in recorder.select_notifications(start=1, limit=recorder.max_notification_id() or 0)
    ]


def copy(target: Registry, stored: list[StoredEvent]) -> None:
    """Append ``stored`` to ``target``'s log through its recorder (hash chain included), a batch at a time."""
    for i in range(0, len(stored), INSERT_BATCH):
        target.recorder.insert_events(stored[i : i + INSERT_BATCH])


def chunks(workers: int, size: int) -> Generator[list[StoredEvent], None, None]:
    """Chunks of ``size`` programmes in order, decided by ``workers`` processes, one chunk queued ahead of each."""
    context = multiprocessing.get_context("fork")  # before the parent opens any database connection
    with context.Pool(workers) as pool:
        starts = itertools.count(0, size)
        pending = deque(pool.apply_async(decide_chunk, (next(starts), size)) for _ in range(2 * workers))
        while True:
            stored = pending.popleft().get()
            pending.append(pool.apply_async(decide_chunk, (next(starts), size)))
            yield stored


def generate(url: str, events: int, workers: int | None = None) -> Generated:
    """Fill the (empty) registry at ``url`` with ``events`` events."""
    started = time.perf_counter()
    written = programmes = 0
    workers = workers or len(os.sched_getaffinity(0))
    size = max(1, min(PROGRAMMES_PER_CHUNK, events // (EVENTS_PER_PROGRAMME * workers * 2)))
    decided = chunks(workers, size)
    first = next(decided)  # the workers are forked by now; the target's connections open after
    target = build(Settings(database_url=url))
    try:
        for stored in itertools.chain([first], decided):
            wanted = stored[: events - written]
            programmes += sum(1 for e in wanted if e.topic == OPENED)
            copy(target.registry, wanted)
            written += len(wanted)
            if written >= events:
                break
    finally:
        decided.close()
        target.close()
    return Generated(written, programmes, time.perf_counter() - started)


@dataclass(frozen=True)
class Big:
    """The one big programme appended to a log: its code, size and span of effective times."""

    code: str
    events: int
    teams: int
    opened: datetime
    last: datetime  # the registry's clock after the last decision: a little after it took effect
    seconds: float  # deciding and copying


def generate_big(url: str, events: int) -> Big:
    """Append one programme of about ``events`` events (``BigProgramme``) to the registry at ``url``.

    Decided on the in-memory store in this process, then copied like the other
    programmes: its events land, in order, after everything already in the log.
    """
    started = time.perf_counter()
    clock = Clock()
    source = build(Settings(database_url="memory://"), clock=clock)
    try:
        story = BigProgramme(source.registry, clock, events)
        story.tell()
        stored = stored_events(source.registry)
    finally:
        source.close()
    target = build(Settings(database_url=url))
    try:
        copy(target.registry, stored)
    finally:
        target.close()
    return Big(story.code, len(stored), len(story.teams), story.opened, clock.now, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="about 20,000 events")
    parser.add_argument("--database-url", default=database.url(database.bench_database()))
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    events = 20_000 if args.quick else args.events
    database.recreate(args.database_url)
    result = generate(args.database_url, events, args.workers)
    made = f"{result.events:,} events ({result.programmes:,} programmes)"
    print(f"{made} in {result.seconds:.1f} s ({result.rate:,.0f} events/s) into {args.database_url}")


if __name__ == "__main__":
    main()

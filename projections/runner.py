"""The projection runner: follows the log until stopped, one active runner per read model.

On PostgreSQL it LISTENs on the event table's channel and also polls, so a lost
notification or a dropped connection only delays it by one interval; errors are
recorded, and it retries with backoff by itself. A second runner for the same
read models waits on a PostgreSQL advisory lock instead of competing. On SQLite
it polls. Either way the projector's tracking makes a repeated event a no-op.

Each runner reports its state, a heartbeat (at most once a second while events
keep coming) and its last error in ``projection_status``, which ``registry
projections status`` and ``/health`` read.

Under a steady stream of writes, a runner that started a catch-up at every
notification would apply a few events per batch, and each batch pays for the
whole of every document it touches (``projections.documents``: a programme's
standings, as large as the programme). So after each catch-up it lets events
gather for twice as long as that catch-up took (at most ``MAX_GATHER_SECONDS``):
a runner spends at most a third of its time applying, and a batch takes in the
events of three. An idle log costs no wait: a catch-up that finds nothing takes
a millisecond.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

from domain.access import KEY_EVENT_TOPICS
from projections.projector import Projector
from projections.tracking import set_status

log = logging.getLogger("registry.projections")
HEARTBEAT_SECONDS = 1.0  # "live" is written at most this often while events keep coming (``STALE_AFTER_SECONDS``)
GATHER = 2.0  # after a catch-up that took t seconds, events gather for GATHER × t before the next one…
MAX_GATHER_SECONDS = 0.25  # …but never longer than this


class Runner:
    def __init__(
        self,
        projector: Projector,
        names: list[str],
        *,
        interval: float = 0.5,
        postgres_url: str | None = None,
        on_wait: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.projector = projector
        self.names = projector.select(names)
        self.interval = interval
        self.postgres_url = postgres_url
        self.on_wait = on_wait
        self.stop = threading.Event()

    def run(self) -> None:
        with self._exclusive():
            if self.stop.is_set():
                return
            backoff, reported = self.interval, None  # when "live" was last written (None: not since start or error)
            with self._wakeups() as wait:
                while not self.stop.is_set():
                    try:
                        started = time.monotonic()
                        self.projector.catch_up(self.names)
                        spent = time.monotonic() - started
                        if reported is None or time.monotonic() - reported >= HEARTBEAT_SECONDS:
                            set_status(self.projector.db, self.names, "live")
                            reported = time.monotonic()
                        backoff = self.interval
                        self.stop.wait(min(spent * GATHER, MAX_GATHER_SECONDS))
                        wait(self.interval)
                    except Exception as error:  # a runner outlives database outages: record, back off, retry
                        log.warning("projection runner error, retrying in %.1fs: %s", backoff, error)
                        reported = None
                        with suppress(Exception):
                            set_status(self.projector.db, self.names, "retrying", f"{type(error).__name__}: {error}")
                        self.stop.wait(backoff)
                        backoff = min(backoff * 2, 30.0)
        with suppress(Exception):
            set_status(self.projector.db, self.names, "stopped")

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold a PostgreSQL advisory lock per read model for as long as this runner runs."""
        if self.postgres_url is None:
            yield
            return
        import psycopg

        keys = [
            int.from_bytes(hashlib.sha256(f"projection:{n}".encode()).digest()[:8], "big", signed=True)
            for n in sorted(self.names)
        ]
        with psycopg.connect(self.postgres_url, autocommit=True) as conn:
            for key in keys:
                while not self.stop.is_set():
                    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                    if row and row[0]:
                        break
                    self.on_wait("another runner holds these read models; waiting")
                    self.stop.wait(max(self.interval, 1.0))
            yield

    @contextmanager
    def _wakeups(self) -> Iterator[Callable[[float], None]]:
        """A wait that returns early when PostgreSQL announces new events."""
        url = self.postgres_url
        if url is None:

            def poll(seconds: float) -> None:
                self.stop.wait(seconds)

            yield poll
            return
        import psycopg

        channel = self.projector.registry.recorder.channel_name  # type: ignore[attr-defined]
        listener: Any = None

        def wait(seconds: float) -> None:
            nonlocal listener
            try:
                if listener is None:
                    listener = psycopg.connect(url, autocommit=True)
                    listener.execute(f'LISTEN "{channel}"')
                for _ in listener.notifies(timeout=seconds, stop_after=1):
                    pass
            except psycopg.Error:  # the poll still runs; the listener reconnects next time
                listener = None
                self.stop.wait(seconds)

        try:
            yield wait
        finally:
            if listener is not None:
                listener.close()


STALE_AFTER_SECONDS = 10.0


def status(projector: Projector, now: datetime) -> list[dict[str, Any]]:
    """Each read model's position, the head of the log, the lag in events and seconds, and its runner's state."""
    head = projector.head()
    positions = projector.positions()
    with projector.db.transaction(write=False) as cur:
        cur.execute("SELECT * FROM projection_status")
        runners = {row["name"]: row for row in cur.fetchall()}
    report = []
    for name, position in positions.items():
        runner = runners.get(name)
        state = "inline" if runner is None else runner["state"]
        if runner is not None and state == "live":
            age = now - datetime.fromisoformat(runner["heartbeat_at"])
            state = "stopped" if age.total_seconds() > STALE_AFTER_SECONDS else state
        lag_events, lag_seconds = _lag(projector, position, head, now)
        report.append(
            {
                "name": name,
                "position": position,
                "head": head,
                "lag_events": lag_events,
                "lag_seconds": lag_seconds,
                "state": state,
                "last_error": None if runner is None else runner["last_error"],
            }
        )
    return report


LAG_WINDOW = 1_000  # events looked at past a read model's position to tell what it consumes from what it ignores
IGNORED_TOPICS = KEY_EVENT_TOPICS  # no read model reads them


def _lag(projector: Projector, position: int, head: int, now: datetime) -> tuple[int, float]:
    """How many events a read model has yet to consume, and how long the oldest of them has waited.

    Only what read models consume counts: a key issued or revoked (written without
    waking the projector) leaves no lag, so a quiet period after it stays ready.
    """
    if position >= head:
        return 0, 0.0
    waiting = projector.registry.recorder.select_notifications(start=position + 1, limit=LAG_WINDOW, stop=head)
    consumed = [n for n in waiting if n.topic not in IGNORED_TOPICS]
    ignored = len(waiting) - len(consumed) if len(waiting) < LAG_WINDOW else 0  # far behind: count every event
    if not consumed:
        return (0, 0.0) if len(waiting) < LAG_WINDOW else (head - position, 0.0)
    event: Any = projector.registry.mapper.to_domain_event(consumed[0])
    return head - position - ignored, float(max(0.0, (now - event.recorded_at).total_seconds()))

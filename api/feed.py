"""The live event feed for integrators: every programme event after a log position, as CloudEvents 1.0.

Events come from the history read model, which holds every programme event once, keyed by its
log position and filled in log order; so "the events after position P" is the same list
whenever it is asked, and a subscriber that remembers the last position it saw resumes
without a gap or a repeat, across reconnections and server restarts. Each event is a
CloudEvents 1.0 JSON object (structured mode)::

    id             the log position (decimal text)        type        the event type (TeamAdvanced)
    source         /programs/<programme code>             subject     the team code, if any
    time           when it took effect                    data        the event's fields
    recordedtime   when the registry recorded it          actor       who recorded it
    correlationid  the request that recorded it           reason      the recorded reason

Waiting (the long poll and the stream) sleeps without holding a worker thread; each read is
one short query, so subscribers, however slow, do not keep writers from the thread pool.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson

from projections import history
from projections.db import Database

POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
MAX_WAIT_SECONDS = 30.0
PAGE = 100


def cloud_event(row: dict[str, Any]) -> dict[str, Any]:
    """A history row as a CloudEvents 1.0 JSON object (see the module docstring)."""
    event = {
        "specversion": "1.0",
        "id": str(row["position"]),
        "type": row["event_type"],
        "source": f"/programs/{row['program_code']}",
        "time": row["effective_at"],
        "datacontenttype": "application/json",
        "recordedtime": row["recorded_at"],
        "actor": row["actor"],
        "correlationid": row["correlation_id"],
        "reason": row["reason"],
        "data": row["data"],
    }
    if row["team_code"] is not None:
        event["subject"] = row["team_code"]
    return event


async def _after(db: Database, position: int, limit: int) -> list[dict[str, Any]]:
    rows, _ = await anyio.to_thread.run_sync(
        lambda: history.page(db, history.HistoryFilter(), after=position, limit=limit)
    )
    return rows


async def events_after(db: Database, position: int, limit: int, wait: float) -> list[dict[str, Any]]:
    """Up to ``limit`` events after ``position``; with none yet, wait up to ``wait`` seconds for the first."""
    deadline = time.monotonic() + min(wait, MAX_WAIT_SECONDS)
    while not (rows := await _after(db, position, limit)) and time.monotonic() < deadline:
        await anyio.sleep(POLL_SECONDS)
    return [cloud_event(row) for row in rows]


async def stream(db: Database, position: int, idle_timeout: float | None = None) -> AsyncIterator[bytes]:
    """Server-Sent Events from ``position`` on: one ``id``/``event``/``data`` block per event, a comment as
    heartbeat, and the end of the stream after ``idle_timeout`` seconds without an event (if given)."""
    yield b"retry: 1000\n\n"
    quiet_since = beat = time.monotonic()
    while True:
        rows = await _after(db, position, PAGE)
        for row in rows:
            event = cloud_event(row)
            yield b"id: %s\nevent: %s\ndata: %s\n\n" % (
                event["id"].encode(),
                event["type"].encode(),
                orjson.dumps(event),
            )
            position = row["position"]
        now = time.monotonic()
        if rows:
            quiet_since = beat = now
            continue
        if idle_timeout is not None and now - quiet_since >= idle_timeout:
            return
        if now - beat >= HEARTBEAT_SECONDS:
            beat = now
            yield b": still here\n\n"
        await anyio.sleep(POLL_SECONDS)

"""The live event feed against a real server: CloudEvents after a position, the long poll, and the stream
(Server-Sent Events) read by a subscriber that starts mid-log and reconnects across a server restart."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import uvicorn

from api import demo
from api.app import create_app
from api.bootstrap import Services, build
from api.keys import create_key
from api.settings import Settings
from tests.conftest import Clock

CLOUD_EVENT = {"specversion", "id", "type", "source", "time", "datacontenttype", "recordedtime", "actor", "data"}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """The demo on an SQLite file (the file outlives each server started on it)."""
    built = build(
        Settings(database_url=f"sqlite:///{tmp_path / 'feed.sqlite3'}"), clock=Clock(datetime(2026, 11, 1, tzinfo=UTC))
    )
    demo.load(built.registry)
    built.projector.catch_up()
    yield built
    built.close()


@contextmanager
def serving(services: Services) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread, until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    for _ in range(600):  # start-up, not a measurement
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def positions(services: Services) -> list[int]:
    rows = services.db.transaction(write=False)
    with rows as cur:
        cur.execute("SELECT position FROM history_events ORDER BY position")
        return [row["position"] for row in cur.fetchall()]


def read_stream(url: str, key: str, *, last_event_id: str = "", after: int | None = None) -> list[dict[str, Any]]:
    """Every event the stream sends until it falls idle for a second and ends."""
    headers = {"Authorization": f"Bearer {key}"} | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    params: dict[str, Any] = {"idle_timeout": 1} | ({"after": after} if after is not None else {})
    received: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{url}/events/stream", headers=headers, params=params, timeout=30) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in answer.iter_lines():
            if line == "" and "data" in fields:
                event = orjson.loads(fields["data"])
                assert event["id"] == fields["id"] and event["type"] == fields["event"]
                received.append(event)
                fields = {}
            elif line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return received


def withdraw(url: str, key: str, team: str) -> dict[str, Any]:
    """Record a decision over HTTP (the team withdraws) and return the answer."""
    body = {"effective_at": "2026-10-01T00:00:00+00:00", "reason": "Consortium dissolved"}
    path = f"{url}/programs/{demo.PROGRAM}/teams/{team}/withdrawal"
    answer = httpx.post(path, json=body, headers={"X-API-Key": key}, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def auditor(services: Services) -> str:
    return create_key(services, name="integrator", role="auditor", actor="test").secret


def recorder(services: Services) -> str:
    return create_key(services, name="recorder", role="recorder", actor="test").secret


def test_events_are_cloud_events_after_a_position_in_log_order(services: Services) -> None:
    key = auditor(services)
    seen: list[dict[str, Any]] = []
    with serving(services) as url:
        assert httpx.get(f"{url}/events").status_code == 401
        after = 0
        while batch := httpx.get(f"{url}/events", params={"after": after, "limit": 40}, headers={"X-API-Key": key}):
            assert batch.status_code == 200, batch.text
            if not batch.json()["events"]:
                break
            seen += batch.json()["events"]
            after = batch.json()["next_after"]
    assert [int(e["id"]) for e in seen] == positions(services)
    advanced = next(e for e in seen if e["type"] == "TeamAdvanced")  # at 53: four resource kinds are declared first
    assert set(advanced) >= CLOUD_EVENT | {"subject"}
    assert advanced["specversion"] == "1.0" and advanced["source"] == f"/programs/{demo.PROGRAM}"
    assert advanced["actor"] == "official:msit-ai-policy" and "to_stage" in advanced["data"]
    assert advanced["id"] == "53" and advanced["subject"] == "HANBIT" and advanced["time"].startswith("2025-")


def test_a_long_poll_answers_when_an_event_is_recorded(services: Services) -> None:
    key, writer = auditor(services), recorder(services)
    head = positions(services)[-1]
    answered: list[Any] = []
    with serving(services) as url:
        params = {"after": head, "wait": 20}
        waiting = threading.Thread(
            target=lambda: answered.append(
                httpx.get(f"{url}/events", params=params, headers={"X-API-Key": key}, timeout=30)
            )
        )
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive()  # nothing after the head yet: it waits
        recorded = withdraw(url, writer, "MIRAE")
        waiting.join(timeout=30)
    (answer,) = answered
    assert [e["type"] for e in answer.json()["events"]] == ["TeamWithdrew", "SeatReleased"]
    assert answer.json()["next_after"] == recorded["position"]


def test_a_subscriber_started_mid_stream_gets_every_later_event_once_in_order_across_a_restart(
    services: Services,
) -> None:
    key, writer = auditor(services), recorder(services)
    every = positions(services)
    middle = every[len(every) // 2]
    with serving(services) as url:
        first = read_stream(url, key, after=middle)
    assert [int(e["id"]) for e in first] == [p for p in every if p > middle]
    with serving(services) as url:  # a new server on the same store
        for team in ("MIRAE", "HWARANG"):
            withdraw(url, writer, team)
        resumed = read_stream(url, key, last_event_id=first[-1]["id"])
    assert [e["type"] for e in resumed] == ["TeamWithdrew", "SeatReleased"] * 2
    assert [int(e["id"]) for e in first + resumed] == [p for p in positions(services) if p > middle]


def test_subscribers_that_do_not_read_keep_no_writer_waiting(services: Services) -> None:
    """More open streams than the server has worker threads, none of them read: decisions are still recorded."""
    key, writer = auditor(services), recorder(services)
    limits = httpx.Limits(max_connections=60)
    with serving(services) as url, httpx.Client(timeout=30, limits=limits) as client, contextlib.ExitStack() as streams:
        for _ in range(45):
            streams.enter_context(client.stream("GET", f"{url}/events/stream", headers={"X-API-Key": key}))
        for team in ("MIRAE", "HWARANG", "SEOGANG"):
            withdraw(url, writer, team)

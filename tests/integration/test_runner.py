"""The projection runner against real stores: it follows, never skips, never repeats, and yields to a peer.

The gap-safety test runs eight writers at once while a runner tails the log and
compares every position the read models saw with the log itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from api.keys import create_key
from domain.commands import ChangeConsortium, OpenProgram, SubmitApplication
from domain.events import DecisionEvent
from domain.registry import Context
from projections import all_projections
from projections.projector import Projector
from projections.rows import Rows, Table
from projections.runner import Runner, status
from projections.schema import Codes

BOTH = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
POSTGRES_ONLY = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
P = "RUNNER-2026"
CTX = Context(actor="test", reason="runner test")
WRITERS = 8
DECISIONS_PER_WRITER = 25


class Witness:
    """A read model that remembers every position it is handed."""

    name = "witness"
    tables: tuple[str, ...] = ()
    layout: tuple[Table, ...] = ()

    def __init__(self) -> None:
        self.seen: list[int] = []

    def ddl(self) -> list[str]:
        return []

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        self.seen.append(rows.position)


def postgres_url(services: Services) -> str | None:
    url = services.settings.database_url
    return url if url.startswith("postgresql://") else None


def eventually(condition: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Wait for a condition (bounded, so a broken runner fails instead of hanging)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for: {what}"
        time.sleep(0.02)


@contextmanager
def running(runner: Runner) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        runner.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def open_programme(services: Services, seats: int = 1000) -> None:
    services.registry.open_program(
        CTX,
        OpenProgram(
            program_code=P,
            title_ko="러너",
            title_en="Runner",
            agency="MSIT",
            stages=[{"name": "Only", "seats": seats}],
            budgets={"gpu:B200": 10**9},
            finalist_count=1,
        ),
    )


@BOTH
def test_eight_writers_and_a_tailing_runner_skip_nothing_and_repeat_nothing(services: Services) -> None:
    open_programme(services)
    witness = Witness()
    projector = Projector(services.registry, services.db, [*all_projections(), witness])
    projector.setup()
    runner = Runner(projector, list(projector.projections), interval=0.05, postgres_url=postgres_url(services))

    def writer(number: int) -> None:
        """Decisions about the writer's own team: they never conflict, so all eight really run at once."""
        team = f"W{number}"
        services.registry.submit_application(
            CTX, SubmitApplication(program_code=P, team_code=team, name_ko="팀", name_en="T", lead_organisation="L")
        )
        for i in range(DECISIONS_PER_WRITER):
            services.registry.change_consortium(
                CTX, ChangeConsortium(program_code=P, team_code=team, joined=[f"member {i}"], left=[])
            )

    with running(runner), ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
        head = services.projector.head()
        eventually(lambda: min(projector.positions().values()) >= head, "the runner to reach the head")

    log = [n.id for n in services.registry.recorder.select_notifications(start=1, limit=10_000)]
    assert len(log) == 1 + WRITERS * (1 + DECISIONS_PER_WRITER)
    assert witness.seen == sorted(witness.seen), "applied out of log order"
    assert len(witness.seen) == len(set(witness.seen)), "an event was applied twice"
    assert witness.seen == log, "an event was skipped"
    with services.db.transaction(write=False) as cur:
        cur.execute("SELECT COUNT(*) AS n FROM history_events WHERE event_type = 'ConsortiumChanged'")
        assert cur.fetchone() == {"n": WRITERS * DECISIONS_PER_WRITER}


@POSTGRES_ONLY
def test_a_second_runner_waits_for_the_first_and_takes_over_when_it_stops(services: Services) -> None:
    """The advisory lock is PostgreSQL's; on SQLite runners take turns per batch under its write lock."""
    url = postgres_url(services)
    assert url is not None
    waits: list[str] = []
    first = Runner(services.projector, ["standings"], interval=0.05, postgres_url=url)
    second = Runner(services.projector, ["standings"], interval=0.05, postgres_url=url, on_wait=waits.append)
    open_programme(services)
    with running(first):
        eventually(lambda: services.projector.positions()["standings"] == services.projector.head(), "first runner")
        with running(second):
            eventually(lambda: bool(waits), "the second runner to report that it waits")
            first.stop.set()
            services.registry.submit_application(
                CTX,
                SubmitApplication(program_code=P, team_code="LATE", name_ko="늦", name_en="L", lead_organisation="L"),
            )
            head = services.projector.head()
            eventually(lambda: services.projector.positions()["standings"] == head, "the second runner to take over")


@BOTH
def test_status_reports_lag_while_stopped_and_none_when_live(services: Services) -> None:
    open_programme(services)
    names = list(services.projector.projections)
    runner = Runner(services.projector, names, interval=0.05, postgres_url=postgres_url(services))
    with running(runner):
        eventually(lambda: all(r["lag_events"] == 0 for r in status(services.projector, services.clock())), "live")
        assert {r["state"] for r in status(services.projector, services.clock())} == {"live"}
    services.registry.submit_application(
        CTX, SubmitApplication(program_code=P, team_code="T", name_ko="팀", name_en="T", lead_organisation="L")
    )
    services.clock.advance(seconds=30)  # type: ignore[attr-defined]
    report = status(services.projector, services.clock())
    assert {r["state"] for r in report} == {"stopped"}
    assert all(r["lag_events"] == 1 and r["lag_seconds"] >= 30 for r in report)


@BOTH
def test_a_read_waits_for_its_write_and_answers_503_if_the_read_models_stay_behind(services: Services) -> None:
    services.settings = services.settings.model_copy(update={"inline_projections": False, "read_wait": 0.2})
    key = create_key(services, name="rw", role="admin", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": key.secret}) as client:
        open_programme(services)
        written = client.post(
            f"/programs/{P}/teams", json={"team_code": "A", "name_ko": "가", "name_en": "A", "lead_organisation": "L"}
        )
        position = written.json()["position"]
        behind = client.get(f"/programs/{P}/teams/A", params={"min_position": position})
        assert behind.status_code == 503
        assert behind.headers["Retry-After"] == "1"
        assert behind.json()["type"] == "/problems/read-model-behind"
        runner = Runner(
            services.projector, list(services.projector.projections), interval=0.05, postgres_url=postgres_url(services)
        )
        with running(runner):
            services.settings = services.settings.model_copy(update={"read_wait": 30.0})
            caught_up = client.get(f"/programs/{P}/teams/A", headers={"X-Min-Position": str(position)})
            assert caught_up.status_code == 200
            assert caught_up.json()["team_code"] == "A"

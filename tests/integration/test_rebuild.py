"""Rebuilding the read models from the log yields exactly the rows kept current decision by decision.

For generated runs of decision attempts against one programme (see
``attempts`` and ``strategies``), the read models are caught up after every
accepted decision, as the API does. Their full contents — every row of every
table, the stream directory and the tracking positions — must then equal:

1. the same store after ``rebuild`` (which ``verify`` must also find equal), and
2. a fresh read store built from the log (row by row to the middle, then in
   bulk, as a catch-up far behind goes), caught up a second time and handed
   already applied batches again: the tracking positions must make every
   repeat change nothing.

A refused decision (a ``RegistryError``) is part of the run; any other
exception fails the test.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings, target

from api.bootstrap import Services, build
from api.settings import Settings
from domain.candidacy import Candidacy
from domain.errors import RegistryError
from domain.events import DecisionEvent
from domain.pool import Pool
from domain.program import Program
from domain.registry import Context, Recorded
from domain.rounds import EvaluationRound
from projections import all_projections, documents
from projections.db import Database, PostgresDatabase, SQLiteDatabase
from projections.projector import Projector
from projections.rebuild import rebuild, verify
from tests import scratch
from tests.conftest import Clock
from tests.depth import examples
from tests.integration import attempts, strategies
from tests.integration.attempts import Run, Step

Snapshot = dict[str, Any]
# Each example builds its own stores (no function-scoped fixture is shared between examples);
# a run of up to sixty decisions, each caught up, takes longer than Hypothesis expects of one example.
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def snapshot(projector: Projector) -> Snapshot:
    """Every row of every read-model table (and the stream directory), in a fixed order, and the positions."""
    tables = [t for p in projector.projections.values() for t in p.tables] + ["registry_directory"]
    rows: Snapshot = {"positions": projector.positions()}
    with projector.db.transaction(write=False) as cur:
        for table in tables:
            cur.execute(f"SELECT * FROM {table}")
            rows[table] = sorted((tuple(sorted(r.items())) for r in cur.fetchall()), key=repr)
    rows["standings documents, as served now"] = served_documents(projector)
    return rows


def served_documents(projector: Projector) -> dict[str, tuple[int, int, bytes]]:
    """What a read of each programme's present standings gets: its document's position, version and body.

    A document the clock has overtaken is not served (the rows answer instead), so it counts as what they give.
    """
    now = projector.registry.clock()
    with projector.db.transaction(write=False) as cur:
        cur.execute(f"SELECT program_code FROM {documents.TABLE}")
        codes = sorted(r["program_code"] for r in cur.fetchall())
    served: dict[str, tuple[int, int, bytes]] = {}
    for code in codes:
        document = documents.current(projector.db, code)
        assert document is not None
        if document.fresh(now):
            served[code] = (document.position, document.version, document.body)
        else:
            found = documents.computed(projector.db, code, now)
            assert found is not None
            served[code] = (found[1], int(found[0]["version"]), orjson.dumps(found[0]))
        with projector.db.transaction(write=False) as cur:
            assert served[code][0] == documents.last_position(cur, code)  # the programme's last event
    return served


def assert_same(actual: Snapshot, expected: Snapshot) -> None:
    """Table by table, so a failure names the table whose rows differ."""
    assert actual.keys() == expected.keys()
    for table, rows in expected.items():
        assert actual[table] == rows, f"{table} differs"


def logged(projector: Projector) -> list[tuple[int, DecisionEvent]]:
    recorder, mapper = projector.registry.recorder, projector.registry.mapper
    notifications = recorder.select_notifications(start=1, limit=projector.head())
    return [(n.id, mapper.to_domain_event(n)) for n in notifications]  # type: ignore[misc]


def in_programme(event: DecisionEvent) -> bool:
    return isinstance(event, Program.Event | Candidacy.Event | EvaluationRound.Event | Pool.Event)


@dataclass
class Outcome:
    """What a run stored: decisions that wrote events, their log positions, event types and replays."""

    decisions: int = 0
    positions: list[int] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    receipts: int = 0
    replays: int = 0

    def add(self, recorded: Recorded, ctx: Context | None) -> None:
        if recorded.replayed:
            self.replays += 1
            return
        self.receipts += bool(ctx and ctx.idempotency_key)
        self.decisions += bool(recorded.events)
        self.positions += [p for p, e in zip(recorded.positions, recorded.events, strict=True) if in_programme(e)]
        self.types.update(e.type_name for e in recorded.events)

    def report(self) -> None:
        event(f"decisions stored: {next(n for n in (30, 20, 10, 0) if self.decisions >= n)}+")
        event(f"decisions with an idempotency key: {'5+' if self.receipts >= 5 else self.receipts}")
        event(f"retries answered from a receipt: {'2+' if self.replays >= 2 else self.replays}")
        for type_name in self.types:
            event(f"stored at least once: {type_name}")
        target(float(self.decisions), label="decisions stored")


def decide(services: Services, clock: Clock, steps: list[Step]) -> Outcome:
    """Make every attempt, catching up after each accepted one, as the API does."""
    run = Run(services.registry, clock)
    outcome = Outcome()
    outcome.add(attempts.open_programme(services.registry, clock.now), None)
    services.projector.catch_up()
    for step in steps:
        try:
            recorded = run.take(step)
        except RegistryError:
            continue  # a refusal is the rules at work; any other exception fails the test
        outcome.add(recorded, run.last[1] if run.last else None)
        services.projector.catch_up()
    return outcome


def check_rebuild(services: Services, clock: Clock, replica_store: Database, steps: list[Step]) -> None:
    outcome = decide(services, clock, steps)
    outcome.report()
    projector = services.projector
    head = projector.head()
    live = snapshot(projector)

    assert outcome.types["ApplicationSubmitted"] >= 2  # never vacuous: the opening applications are stored
    assert live["positions"] == dict.fromkeys(projector.projections, head)
    history = [dict(row)["position"] for row in live["history_events"]]
    assert sorted(history) == sorted(outcome.positions)  # every programme event once; no API key, no receipt

    events = logged(projector)  # fewer than ``head`` on PostgreSQL, whose ids skip rolled-back saves
    # Pages of 3 events, a checkpoint after each, room for two rows: rows leave memory and come back all the time.
    projector.batch, projector.checkpoint, projector.rows_in_memory = 3, 1, 2
    assert rebuild(projector) == len(events)
    assert_same(snapshot(projector), live)
    assert projector.catch_up() == 0
    assert verify(projector, list(projector.projections)) == []

    # The replica catches up row by row to the middle of the log, then in bulk from the rows that left
    # in the tables (as a runner far behind does), pages of 3 events with a checkpoint after each.
    replica = Projector(services.registry, replica_store, all_projections(), batch=3, checkpoint=1)
    replica.setup()
    by_row = replica.follow(list(replica.projections), stop=events[len(events) // 2][0])
    replica.bulk_after, replica.rows_in_memory = 0, 2
    assert by_row + replica.catch_up() == len(events)
    assert replica.catch_up() == 0
    assert_same(snapshot(replica), live)
    replica.apply(list(replica.projections), events)
    replica.apply(list(replica.projections), events[len(events) // 2 :])
    replica.apply(["funding"], events[-1:])
    assert_same(snapshot(replica), live)


@settings(FAST, max_examples=examples(12, 50))
@given(steps=strategies.runs())
def test_rebuild_yields_the_live_rows_on_sqlite(steps: list[Step]) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory() as folder:
        services = build(Settings(database_url=f"sqlite:///{folder}/registry.sqlite3"), clock=clock)
        replica = SQLiteDatabase(Path(folder) / "replica.sqlite3")
        try:
            check_rebuild(services, clock, replica, steps)
        finally:
            replica.close()
            services.close()


def fresh_postgres(server_url: str, schema: str) -> str:
    """Clear the scratch database (``scratch.clear``) and empty a ``replica`` schema; returns the replica's conninfo."""
    scratch.clear(server_url, schema)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS replica CASCADE")
        conn.execute("CREATE SCHEMA replica")
    return psycopg.conninfo.make_conninfo(server_url, options="-c search_path=replica")


@pytest.mark.postgres
@settings(FAST, max_examples=examples(5, 20))
@given(steps=strategies.runs(max_decisions=40))
def test_rebuild_yields_the_live_rows_on_postgres(
    postgres_server_url: str, registry_schema: str, steps: list[Step]
) -> None:
    clock = Clock()
    replica_url = fresh_postgres(postgres_server_url, registry_schema)
    services = build(Settings(database_url=postgres_server_url, pool_size=2), clock=clock)
    replica = PostgresDatabase(replica_url, pool_size=1)
    try:
        check_rebuild(services, clock, replica, steps)
    finally:
        replica.close()
        services.close()

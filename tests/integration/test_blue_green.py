"""Blue/green rebuilds: reads keep the old rows until the switch, interruptions resume, verify finds tampering.

A slowed-down rebuild (its progress callback reads the API between batches)
shows that every read during the rebuild answers 200 with the pre-rebuild
standings, and that the answers change only after the switch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo
from api.app import create_app
from api.bootstrap import Services
from api.cli import app as cli
from api.keys import create_key
from domain.commands import SubmitApplication
from domain.registry import Context
from projections import all_projections, documents
from projections.projector import Projector
from projections.rebuild import NEXT, _lock_live, _prepare, _switch, rebuild, verify
from tests.conftest import Clock

pytestmark = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
STANDINGS = f"/programs/{demo.PROGRAM}/standings"
# The demo takes applications only within its call: these are received in it and recorded late.
CTX = Context(actor="official:test", reason="접수", effective_at=datetime(2025, 7, 25, 1, 0, tzinfo=UTC))


class RebuildInterruptedError(Exception):
    pass


@pytest.fixture(autouse=True)
def after_the_story(clock: Clock) -> None:
    """The demo's decisions run to August 2026; the server clock must be later."""
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def small_pages(services: Services) -> None:
    """Batches of 7 events and a rebuild checkpoint after each, so the demo's ~100 events take many."""
    services.projector.batch = services.projector.checkpoint = 7


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    key = create_key(services, name="reader", role="auditor", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": key.secret}) as client:
        yield client


def table(services: Services, name: str) -> list[dict[str, Any]]:
    with services.db.transaction(write=False) as cur:
        cur.execute(f"SELECT * FROM {name}")
        return sorted(cur.fetchall(), key=repr)


def test_reads_answer_the_old_rows_until_the_switch(services: Services, client: TestClient, small_pages: None) -> None:
    demo.load(services.registry)
    services.projector.catch_up()
    before = client.get(STANDINGS).json()
    with services.db.transaction() as cur:  # a visible mark on the live rows, gone once rebuilt rows replace them
        cur.execute("UPDATE standings_programs SET title_en = 'OLD ROWS' WHERE program_code = %s", (demo.PROGRAM,))
        # its stored document was written from the unmarked rows: without it, reads come from the rows
        cur.execute(f"DELETE FROM {documents.TABLE} WHERE program_code = %s", (demo.PROGRAM,))
    during: list[tuple[int, str]] = []

    def read(done: int, total: int) -> None:
        answer = client.get(STANDINGS)
        during.append((answer.status_code, answer.json()["title_en"]))

    rebuild(services.projector, ["standings"], read)
    assert len(during) > 5
    assert set(during) == {(200, "OLD ROWS")}
    after = client.get(STANDINGS).json()
    assert after["title_en"] == before["title_en"] != "OLD ROWS"
    assert after == before
    assert services.projector.positions()["standings"] == services.projector.head()


def test_an_interrupted_rebuild_resumes_where_it_stopped(services: Services, small_pages: None) -> None:
    demo.load(services.registry)
    services.projector.catch_up()
    live = {t: table(services, t) for t in ("standings_teams", "history_events", "funding_ledger")}
    seen: list[int] = []

    def interrupt(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 4:
            raise RebuildInterruptedError

    with pytest.raises(RebuildInterruptedError):
        rebuild(services.projector, None, interrupt)
    # Progress is reported as each batch is applied; the fourth was not yet committed when interrupted,
    # so three checkpoints of seven were kept.
    assert services.projector.positions("__next")["history"] == 21
    assert table(services, "history_events") == live["history_events"]  # the live side never noticed

    resumed: list[int] = []
    rebuild(services.projector, None, lambda done, total: resumed.append(done))
    assert resumed[-1] == services.projector.head() - 21  # only the rest was read again
    assert {t: table(services, t) for t in live} == live
    assert verify(services.projector, list(services.projector.projections)) == []


def indexes(services: Services) -> set[tuple[str, str]]:
    """(table, index) of every index on the read models' tables."""
    tables = [t for p in services.projector.projections.values() for t in p.tables]
    marks = ", ".join(["%s"] * len(tables))
    with services.db.transaction(write=False) as cur:
        if services.db.dialect == "postgres":
            cur.execute(
                f"SELECT tablename AS tbl, indexname AS name FROM pg_indexes WHERE tablename IN ({marks})", tables
            )
        else:
            cur.execute(
                f"SELECT tbl_name AS tbl, name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})",
                tables,
            )
        return {(r["tbl"], r["name"]) for r in cur.fetchall()}


def test_a_rebuild_interrupted_before_its_indexes_ends_with_every_index_a_fresh_store_has(
    services: Services, small_pages: None
) -> None:
    """A build writes tables with their primary keys only; the switch must leave every index in place."""
    fresh = indexes(services)
    assert {name for _, name in fresh} >= {"standings_teams_now", "history_events_team", "standings_moments_recorded"}
    demo.load(services.registry)
    services.projector.catch_up()
    names = list(services.projector.projections)
    _prepare(services.projector, names, NEXT, resume=True)
    services.projector.build(names, variant=NEXT)  # built, then stopped before the indexes and the switch
    rebuild(services.projector)  # resumes: nothing left to read, so only the indexes and the switch
    assert indexes(services) == fresh
    rebuild(services.projector)  # and a rebuild from scratch
    assert indexes(services) == fresh


def test_verify_passes_on_a_healthy_store_and_names_a_row_altered_by_hand(services: Services) -> None:
    demo.load(services.registry)
    services.projector.catch_up()
    url = ["--database-url", services.settings.database_url]
    runner = CliRunner()
    healthy = runner.invoke(cli, ["projections", "verify", *url])
    assert healthy.exit_code == 0, healthy.output
    with services.db.transaction() as cur:
        cur.execute(
            "UPDATE funding_ledger SET granted = granted + 1 WHERE team_code = 'HANBIT' AND resource = 'krw:data'"
        )
    tampered = runner.invoke(cli, ["projections", "verify", "funding", *url])
    assert tampered.exit_code == 1
    assert "funding_ledger" in tampered.output and "HANBIT" in tampered.output
    differences = verify(services.projector, ["funding"])
    assert [(d.table, d.side, d.row["team_code"], d.row["resource"]) for d in differences] == [
        ("funding_ledger", "live only", "HANBIT", "krw:data"),
        ("funding_ledger", "rebuild only", "HANBIT", "krw:data"),
    ]
    assert differences[0].row["granted"] == differences[1].row["granted"] + 1


def test_a_runner_following_when_a_rebuild_switches_in_goes_back_and_misses_nothing(
    services: Services, clock: Clock
) -> None:
    demo.load(services.registry)
    services.projector.catch_up()
    names = list(services.projector.projections)
    _prepare(services.projector, names, NEXT, resume=True)
    services.projector.build(names, variant=NEXT)  # the shadow reaches the head as it is now
    for number in range(9):
        clock.advance(minutes=1)
        services.registry.submit_application(
            CTX,
            SubmitApplication(
                program_code=demo.PROGRAM,
                team_code=f"LATE{number}",
                name_ko="늦은 팀",
                name_en="Late",
                lead_organisation="KAIST",
            ),
        )
    runner = Projector(services.registry, services.db, all_projections(), batch=3)  # another process's runner

    def switch_once(done: int, total: int) -> None:  # the end of rebuild(), while the runner is mid-way
        if done == 3:
            with services.db.transaction() as cur:
                _lock_live(services.projector, cur, names)
                for name in names:
                    _switch(services.projector, cur, services.projector.projections[name])

    runner.follow(names, progress=switch_once)
    assert set(services.projector.positions().values()) == {services.projector.head()}
    assert verify(services.projector, names) == []

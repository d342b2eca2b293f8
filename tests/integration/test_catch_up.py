"""Catching up far behind: in bulk first, then row by row, and never twice over when processes race.

A read model more than ``bulk_after`` events behind (a new database, a layout
change, a runner stopped for long) is brought up with the rebuild's bulk path
on the live tables; the rebuild property test (``test_rebuild``) holds its rows
to the row-by-row ones. Here: that it is chosen only when far behind, and that
several processes catching up at once on PostgreSQL apply every event once and
end at the head.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from api import demo
from api.bootstrap import Services
from domain.commands import SubmitApplication
from domain.registry import Context
from projections import all_projections
from projections.db import PostgresDatabase
from projections.projector import Projector
from projections.rebuild import verify
from tests.conftest import Clock

IN_THE_CALL = datetime(2025, 7, 25, 1, 0, tzinfo=UTC)  # the demo takes applications only in its call: recorded late


@pytest.fixture(autouse=True)
def after_the_story(clock: Clock) -> None:
    """The demo's decisions run to August 2026; the server clock must be later."""
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)


def spy_on_build(projector: Projector) -> list[str]:
    """Record the variant of every bulk build the projector starts ("" for the live tables)."""
    calls: list[str] = []
    build = projector.build

    def recorded(names: list[str], **kwargs: Any) -> int:
        calls.append(kwargs["variant"])
        return build(names, **kwargs)

    projector.build = recorded  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_catch_up_goes_in_bulk_only_when_far_behind(services: Services) -> None:
    projector = services.projector
    builds = spy_on_build(projector)
    steps = demo.load(services.registry)
    head = projector.head()
    assert head > 40 and steps > 0
    projector.bulk_after, projector.batch, projector.checkpoint = head - 1, 4, 8

    assert projector.catch_up() == head  # every event is behind: in bulk, on the live tables
    assert builds == [""]
    assert set(projector.positions().values()) == {head}
    assert verify(projector, list(projector.projections)) == []

    for number in range(5):  # a few decisions: fewer than bulk_after
        services.registry.submit_application(
            Context(actor="official:test", reason="접수", effective_at=IN_THE_CALL),
            SubmitApplication(
                program_code=demo.PROGRAM,
                team_code=f"LATE{number}",
                name_ko="늦은 팀",
                name_en="Late",
                lead_organisation="KAIST",
            ),
        )
    behind = projector.head() - head
    assert 0 < behind <= projector.bulk_after
    assert projector.catch_up() == behind
    assert builds.count("") == 1  # row by row this time (verify builds its own scratch tables)
    assert verify(projector, list(projector.projections)) == []


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"])
def test_processes_catching_up_in_bulk_at_once_apply_every_event_once(services: Services, postgres_url: str) -> None:
    demo.load(services.registry)
    head = services.projector.head()
    events = len(services.registry.recorder.select_notifications(start=1, limit=head))
    racers = []
    for _ in range(3):  # three processes starting together on a store whose read models are empty
        racer = Projector(services.registry, PostgresDatabase(postgres_url, pool_size=2), all_projections())
        racer.bulk_after, racer.batch, racer.checkpoint = 0, 3, 2
        racers.append(racer)
    start, errors, applied = threading.Barrier(len(racers)), [], []

    def race(racer: Projector) -> None:
        start.wait()
        try:
            applied.append(racer.catch_up())  # waits its turn, goes on from where the others got
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        assert len(applied) == len(racers)
        assert sum(applied) >= events  # every event read by one of them at least (a count of reads, not of writes)
        assert set(services.projector.positions().values()) == {head}
        # and applied once: an event applied twice would double a grant, repeat a history row or a version
        assert verify(services.projector, list(services.projector.projections)) == []
    finally:
        for racer in racers:
            racer.db.close()


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"])
def test_a_best_effort_catch_up_leaves_a_busy_read_model_and_a_plain_one_waits_for_it(
    services: Services, postgres_url: str
) -> None:
    demo.load(services.registry)
    projector = services.projector
    projector.bulk_after, projector.batch = 0, 4  # far behind: the first page comes back full
    head = projector.head()
    with psycopg.connect(postgres_url) as other:  # another process, in the middle of applying the read models
        other.execute("SELECT position FROM projection_tracking FOR UPDATE")

        best_effort: list[int] = []
        leaving = threading.Thread(target=lambda: best_effort.append(projector.catch_up(wait=False)))
        leaving.start()
        leaving.join(timeout=30)
        assert not leaving.is_alive() and best_effort == [0]  # it returned without waiting, and applied nothing
        assert set(projector.positions().values()) == {0}

        waited: list[int] = []
        waiting = threading.Thread(target=lambda: waited.append(projector.catch_up()))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # it cannot finish while the rows are held: it waits
        other.rollback()
    waiting.join(timeout=60)
    assert waited and waited[0] > 0
    assert set(projector.positions().values()) == {head}


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_bulk_catch_up_overtaken_before_its_first_checkpoint_goes_on_from_the_new_positions(
    services: Services,
) -> None:
    demo.load(services.registry)
    projector = services.projector
    names = list(projector.projections)
    events = len(services.registry.recorder.select_notifications(start=1, limit=projector.head()))
    projector.bulk_after, projector.batch, projector.checkpoint = 0, 4, 8
    other = Projector(services.registry, services.db, all_projections(), batch=5)  # another process's runner
    positions, calls, overtook = projector.positions, [], []

    def another_process_applies_meanwhile(variant: str = "") -> dict[str, int]:
        seen = positions(variant)
        calls.append(variant)
        if len(calls) == 2:  # the first is catch_up's look at the lag, the second the build's starting point
            overtook.append(other.follow(names, stop=min(seen.values()) + 10))
        return seen

    projector.positions = another_process_applies_meanwhile  # type: ignore[method-assign]
    applied = projector.catch_up()
    assert overtook == [10]
    assert applied + overtook[0] == events  # the build stopped, and went on after the other's ten
    assert set(positions().values()) == {projector.head()}
    assert verify(projector, names) == []

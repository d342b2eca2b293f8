"""Programmes kept between decisions: used to decide, never trusted unchecked.

A decision reads its programme from the copy kept in this process
(``domain.kept``); a copy gone stale — another process changed the programme —
must neither let through what the fresh programme forbids (the store refuses the
save and the decision is made again on fresh state) nor refuse what it allows
(a refusal on a kept copy is decided again from the store). Staleness is staged
by putting back the copy read before a rival decision, on every store, and on
SQLite and PostgreSQL also by a second registry over the same database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.bootstrap import Services, build
from domain import errors
from domain.commands import AddStage, OpenCall
from domain.kept import Kept, Reads, reading
from domain.program import Program
from domain.registry import Registry
from tests.application.story import PROGRAM, STAGES, ctx, open_programme, submit
from tests.conftest import Clock


@pytest.fixture
def registry(services: Services, clock: Clock) -> Registry:
    open_programme(services.registry, clock)
    submit(services.registry, clock, "nuri", "누리", "Nuri")  # the programme is kept from here on
    return services.registry


def a_future_call(registry: Registry, clock: Clock) -> None:
    """From now on applications to stage 0 are refused: its call opens tomorrow."""
    later = clock() + timedelta(days=1)
    command = OpenCall(program_code=PROGRAM, stage=0, opens_at=later, closes_at=later + timedelta(days=30))
    registry.open_call(ctx(clock), command)


def going_stale(registry: Registry) -> Iterator[None]:
    """Put the copy kept now back after the block: as if another process had made the block's changes."""
    stale = registry.program(PROGRAM)
    yield
    registry.kept.forget([stale.id])
    registry.kept.keep([stale])


def loads_of_programmes(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    loaded: list[UUID] = []
    get = registry.repository.get

    def counting_get(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        found = get(aggregate_id, *args, **kwargs)
        if isinstance(found, Program):
            loaded.append(aggregate_id)
        return found

    monkeypatch.setattr(registry.repository, "get", counting_get)
    return loaded


def test_a_decision_reads_its_programme_from_the_kept_copy(
    registry: Registry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = loads_of_programmes(registry, monkeypatch)
    submit(registry, clock, "gaon", "가온", "Gaon")
    assert loaded == []
    registry.program(PROGRAM)  # outside a decision, the store is asked
    assert loaded == [Program.id_for(PROGRAM)]


def test_a_stale_kept_copy_is_refused_at_the_save_and_the_decision_made_again_on_fresh_state(
    registry: Registry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = going_stale(registry)
    next(stale)
    a_future_call(registry, clock)
    next(stale, None)
    saves: list[int] = []
    save = registry.save

    def counted_save(*aggregates: Any, **kwargs: Any) -> Any:
        saves.append(1)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(registry, "save", counted_save)
    with pytest.raises(errors.CallNotOpenError):
        submit(registry, clock, "gaon", "가온", "Gaon")  # the kept copy has no call: it would have let it in
    assert saves == [1]  # one save tried, on the kept copy, and refused by the store
    with pytest.raises(errors.TeamNotFoundError):
        registry.candidacy(PROGRAM, "gaon")


def test_a_refusal_on_a_stale_kept_copy_is_decided_again_from_the_store(registry: Registry, clock: Clock) -> None:
    stale = going_stale(registry)
    next(stale)
    registry.add_stage(ctx(clock), AddStage(program_code=PROGRAM, stage={**STAGES[-1], "name": "3단계"}))
    next(stale, None)
    recorded = submit(registry, clock, "gaon", "가온", "Gaon", stage=2)  # the kept copy has no stage 2
    assert recorded.positions
    assert registry.candidacy(PROGRAM, "gaon").stage == 2


@pytest.mark.parametrize(  # the in-memory store belongs to one registry: no other process can share it
    "store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_programme_changed_by_another_process_is_read_again(
    services: Services, registry: Registry, clock: Clock
) -> None:
    other = build(services.settings, clock=clock)
    try:
        other.registry.add_stage(ctx(clock), AddStage(program_code=PROGRAM, stage={**STAGES[-1], "name": "3단계"}))
        assert submit(registry, clock, "dasom", "다솜", "Dasom", stage=2).positions
        a_future_call(other.registry, clock)
        with pytest.raises(errors.CallNotOpenError):
            submit(registry, clock, "gaon", "가온", "Gaon")
    finally:
        other.close()


def test_the_store_refuses_an_append_whose_unchanged_record_moved_on(registry: Registry) -> None:
    program = registry.program(PROGRAM)
    head = registry.recorder.max_notification_id()
    stored = StoredEvent(uuid4(), 1, "registry:Tested", b'{"n": 1}')
    for version in (program.version - 1, program.version + 1):
        with pytest.raises(IntegrityError):
            registry.recorder.insert_events([stored], unchanged=[(program.id, version)])
    assert registry.recorder.max_notification_id() == head  # nothing stored
    assert registry.recorder.insert_events([stored], unchanged=[(program.id, program.version)])


def test_a_kept_programme_is_lent_to_one_decision_at_a_time_and_not_copied(registry: Registry) -> None:
    """No copy (its cost grows with the programme): the instance itself, taken out while a decision holds it."""
    program = registry.program(PROGRAM)  # outside a decision: from the store
    kept = Kept()
    kept.keep([program])
    loads: list[Program] = []

    def load() -> Program:
        loads.append(registry.repository.get(program.id))
        return loads[-1]

    with reading(Reads(use_kept=True)) as first:
        lent = kept.get(program.id, load)
        with reading(Reads(use_kept=True)) as second:  # another decision, meanwhile
            other = kept.get(program.id, load)
    assert lent is program and first.from_kept
    assert other is loads[0] and other is not program and not second.from_kept
    kept.keep([other, lent])  # both saved: both kept, for two decisions at once
    with reading(Reads(use_kept=True)) as third:
        one = kept.get(program.id, load)
        with reading(Reads(use_kept=True)) as fourth:
            two = kept.get(program.id, load)
    assert {id(one), id(two)} == {id(program), id(other)}
    assert third.from_kept and fourth.from_kept and len(loads) == 1


def test_a_newer_instance_replaces_the_kept_ones_and_an_older_one_is_dropped(registry: Registry) -> None:
    older, newer = registry.program(PROGRAM), registry.program(PROGRAM)
    newer.version += 1  # as if a decision had saved an event to it
    kept = Kept(instances=2)
    kept.keep([older, older])
    kept.keep([newer, older])

    def load() -> Program:
        raise AssertionError("read from the store")

    with reading(Reads(use_kept=True)):
        assert kept.get(older.id, load) is newer
        with pytest.raises(AssertionError, match="store"):
            kept.get(older.id, load)  # the older instance was not kept beside it


def test_an_instance_put_back_twice_is_kept_once(registry: Registry) -> None:
    """A decision hands back what it read and what it wrote, often the same instance: it is lent to one decision."""
    program = registry.program(PROGRAM)
    kept = Kept()
    kept.keep([program, program])
    loaded: list[Program] = []

    def load() -> Program:
        loaded.append(registry.repository.get(program.id))
        return loaded[-1]

    with reading(Reads(use_kept=True)):
        first = kept.get(program.id, load)
        with reading(Reads(use_kept=True)):
            second = kept.get(program.id, load)
    assert first is program and second is not program and second is loaded[0]


def test_at_most_so_many_instances_of_a_programme_are_kept(registry: Registry) -> None:
    instances = [registry.program(PROGRAM) for _ in range(3)]
    kept = Kept(instances=2)
    kept.keep(instances)
    loaded: list[Program] = []

    def load() -> Program:
        loaded.append(registry.repository.get(instances[0].id))
        return loaded[-1]

    with reading(Reads(use_kept=True)):
        lent = [kept.get(instances[0].id, load) for _ in range(3)]
    assert [any(p is i for i in instances) for p in lent] == [True, True, False] and len(loaded) == 1


def test_a_refused_decision_puts_nothing_back(
    registry: Registry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal may come after the decision changed the programme it was lent: the next decision reads the store."""
    with pytest.raises(errors.RegistryError):
        submit(registry, clock, "nuri", "누리", "Nuri")  # already applied: refused (on the kept one, then the store's)
    loaded = loads_of_programmes(registry, monkeypatch)
    submit(registry, clock, "gaon", "가온", "Gaon")
    assert loaded == [Program.id_for(PROGRAM)]  # read from the store once, then kept again
    submit(registry, clock, "dasom", "다솜", "Dasom")
    assert loaded == [Program.id_for(PROGRAM)]

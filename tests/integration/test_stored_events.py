"""Stored events read ahead of their reader (``eventstore.scan.stored_events``): what a bulk build reads.

On every store they are the recorder's events, in order, from any position up
to any stop; on PostgreSQL a thread reads the next pages while the reader
works, so a reader that stops early (a build that fails or is overtaken) must
stop that thread and give its connection back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import islice

import pytest
from eventsourcing.persistence import DataError, StoredEvent

from api import demo
from api.bootstrap import Services
from eventstore.scan import stored_events
from tests.conftest import Clock

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
every_store = pytest.mark.parametrize("store", ["memory", "sqlite", POSTGRES])


@pytest.fixture(autouse=True)
def after_the_story(clock: Clock) -> None:
    """The demo's decisions run to August 2026; the server clock must be later."""
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)


def facts(events: Sequence[tuple[int, StoredEvent]]) -> list[tuple[int, object, int, str, bytes]]:
    return [(p, e.originator_id, e.originator_version, e.topic, e.state) for p, e in events]


@every_store
def test_they_are_the_recorders_events_in_order_from_any_position_to_any_stop(services: Services) -> None:
    demo.load(services.registry)
    recorder = services.registry.recorder
    head = recorder.max_notification_id() or 0
    logged = [(n.id, n) for n in recorder.select_notifications(start=1, limit=head)]
    assert len(logged) > 50
    for after, stop, page in [(0, None, 7), (0, None, 1_000), (10, None, 3), (10, 40, 4), (head, None, 5), (5, 5, 2)]:
        expected = [(p, n) for p, n in logged if p > after and (stop is None or p <= stop)]
        assert facts(list(stored_events(recorder, after=after, stop=stop, page=page))) == facts(expected)


@every_store
def test_a_reader_that_stops_early_gives_its_connection_back(services: Services) -> None:
    demo.load(services.registry)
    recorder = services.registry.recorder
    for _ in range(3 * services.settings.pool_size):  # more readers than the pool has connections
        reading = stored_events(recorder, page=2)
        assert len(list(islice(reading, 3))) == 3
        reading.close()
    assert len(list(stored_events(recorder, page=50))) == recorder.max_notification_id()


@pytest.mark.parametrize("store", [POSTGRES])
def test_a_failure_in_the_reading_thread_reaches_the_reader(services: Services) -> None:
    demo.load(services.registry)
    with pytest.raises(DataError, match="bigint"):  # the server refuses the stop, in the thread
        list(stored_events(services.registry.recorder, stop="not a position", page=2))  # type: ignore[arg-type]

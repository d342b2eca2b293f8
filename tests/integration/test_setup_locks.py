"""A process starting while another applies events takes no lock the applier holds against it (PostgreSQL).

Every API process and runner sets the read models up as it starts
(``Projector.setup``). Creating an index that exists, or a trigger, still locks
its table against writers; a starting process that did so while a runner was
half-way through a batch waited for it, and two such locks in one transaction,
taken in another order than the runner's, deadlocked one of them. Here a
writer's transaction holds the locks a runner holds mid-batch on every read
model table, and a process starting meanwhile must finish its set-up without
waiting for that transaction. No timings are asserted: the deadline only stops
a set-up that waits.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from api.bootstrap import Services, build
from api.settings import Settings
from projections import documents
from projections.notices import DDL, TRIGGER_NAME
from projections.schema import INDEX_NAME

pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
DEADLINE_SECONDS = 60.0


def written_tables(services: Services) -> list[str]:
    """Every table a runner writes while it applies a batch."""
    tables = [t for projection in services.projector.projections.values() for t in projection.tables]
    return [*tables, "projection_tracking", "registry_directory", "projection_failures", documents.TABLE]


def test_a_process_starting_while_a_runner_writes_sets_up_without_waiting_for_it(services: Services) -> None:
    tables = written_tables(services)
    assert "projection_failures" in tables and "standings_documents" in tables
    finished = threading.Event()
    errors: list[BaseException] = []

    def start_another_process() -> None:
        try:
            build(services.settings).close()  # what a new API process or runner does first
            finished.set()
        except BaseException as error:  # reported below
            errors.append(error)

    with psycopg.connect(services.settings.database_url) as runner:  # mid-batch: rows written, not yet committed
        for table in tables:
            runner.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        starting = threading.Thread(target=start_another_process, daemon=True)
        starting.start()
        starting.join(DEADLINE_SECONDS)
        done_while_held = finished.is_set()
        runner.rollback()
    starting.join(DEADLINE_SECONDS)
    assert not errors, errors
    assert done_while_held, "the starting process waited for the runner's transaction"


def test_a_new_database_still_gets_every_index_and_trigger_and_a_second_start_changes_none(services: Services) -> None:
    expected_indexes = {
        m.group(1) for p in services.projector.projections.values() for s in p.ddl() if (m := INDEX_NAME.search(s))
    }
    expected_triggers = {m.group(1) for s in DDL if (m := TRIGGER_NAME.match(s))}
    first = indexes_and_triggers(services.settings.database_url)
    assert expected_indexes and expected_indexes <= first[0]
    assert len(expected_triggers) == 5 and expected_triggers <= first[1]
    build(Settings(database_url=services.settings.database_url)).close()
    assert indexes_and_triggers(services.settings.database_url) == first


def indexes_and_triggers(url: str) -> tuple[set[str], set[str]]:
    with psycopg.connect(url) as conn:
        indexes = {str(row[0]) for row in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
        triggers = {str(row[0]) for row in conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    return indexes, triggers

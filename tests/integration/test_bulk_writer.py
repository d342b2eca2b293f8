"""Rows handed to the bulk writer are in the tables once drained; what the tables refuse reaches the build.

On PostgreSQL the writer copies batches in a thread of its own on the build's
connection while the build goes on; on SQLite it inserts them at once. Either
way, after ``drain`` every batch is there, a refused value is raised as a
``BulkWriteError`` (which no event is blamed for), and after a failure nothing
more is written.
"""

from __future__ import annotations

import time

import pytest

from api.bootstrap import Services
from projections import memory_rows
from projections.memory_rows import MemoryRows
from projections.rows import Table
from projections.writer import BulkWriteError, Writer

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
both_stores = pytest.mark.parametrize("store", ["sqlite", POSTGRES])
TABLE = "bulk_writer_test"
COLUMNS = ("n", "word")


def make_table(services: Services) -> None:
    with services.db.transaction() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} (n BIGINT PRIMARY KEY, word TEXT NOT NULL)")


def count(services: Services) -> int:
    with services.db.transaction(write=False) as cur:
        cur.execute(f"SELECT COUNT(*) AS n FROM {TABLE}")
        row = cur.fetchone()
    return int(row["n"]) if row else 0


@both_stores
def test_every_batch_handed_over_is_in_the_table_once_drained(services: Services) -> None:
    make_table(services)
    with services.db.transaction() as cur:
        writer = Writer(cur, services.db.dialect)
        try:
            for start in range(0, 1_000, 100):
                writer.write(TABLE, COLUMNS, [(n, f"word {n}") for n in range(start, start + 100)])
            writer.drain()
            cur.execute(f"SELECT COUNT(*) AS n, SUM(n) AS total FROM {TABLE}")  # seen inside the transaction
            assert cur.fetchone() == {"n": 1_000, "total": sum(range(1_000))}
        finally:
            writer.close()
    assert count(services) == 1_000


@both_stores
def test_a_value_the_table_refuses_is_raised_and_nothing_more_is_written(services: Services) -> None:
    make_table(services)
    with pytest.raises(BulkWriteError, match=TABLE), services.db.transaction() as cur:
        writer = Writer(cur, services.db.dialect)
        try:
            writer.write(TABLE, COLUMNS, [(1, "one")])
            writer.write(TABLE, COLUMNS, [(1, "one again")])  # the primary key refuses it
            for _ in range(20):  # later batches fail the same way, or are not written
                writer.write(TABLE, COLUMNS, [(2, "two")])
            writer.drain()
        finally:
            writer.close(abandon=True)
    assert count(services) == 0  # the transaction was rolled back


@pytest.mark.parametrize("store", [POSTGRES])
def test_a_statement_failing_after_a_refused_batch_is_reported_as_the_refusal(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build's own statement (a stream directory lookup, say) run after the thread's COPY failed only sees the
    transaction lost: the build must report the refusal, which a catch-up answers by going on row by row."""
    make_table(services)
    monkeypatch.setattr(memory_rows, "FLUSH_ROWS", 1)  # each row handed over at once
    table = Table(TABLE, ("n BIGINT", "word TEXT NOT NULL"), ("n",), versioned=False)
    rows = MemoryRows([table], "", "postgres")
    with pytest.raises(BulkWriteError, match=TABLE), services.db.transaction() as cur, rows.writing(cur):
        rows.append(table, {"n": 1, "word": "one"})
        rows.append(table, {"n": 1, "word": "one again"})  # the primary key refuses it, in the thread
        for _ in range(1_000):  # until the failed COPY has run before one of these
            cur.execute("SELECT 1")
            time.sleep(0.01)
    assert count(services) == 0

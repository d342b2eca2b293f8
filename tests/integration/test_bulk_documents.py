"""After a bulk build, every programme's standings document is written again, a batch of programmes read together.

The live path writes a programme's document from its own queries after each
batch of events (``documents.refresh``); a rebuild writes them all afterwards
from the rows of several programmes read at once (``documents.refresh_all``).
For a log of several generated programmes, in batches smaller than their
number, the documents must come out byte for byte as the live path wrote them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import build
from api.settings import Settings
from bench.story import Clock, Programme
from projections import documents
from projections.rebuild import rebuild
from tests.conftest import database_url

BOTH = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
PROGRAMMES = 5


def stored(db: Any) -> list[dict[str, Any]]:
    with db.transaction(write=False) as cur:
        cur.execute(f"SELECT * FROM {documents.TABLE} ORDER BY program_code")
        return [dict(row) for row in cur.fetchall()]


@BOTH
def test_documents_written_in_batches_are_those_the_live_path_wrote(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    services = build(Settings(database_url=database_url(store, tmp_path, request)), clock=clock)
    try:
        for number in range(PROGRAMMES):
            Programme(services.registry, clock, number).tell()
        services.projector.bulk_after = 10**9  # row by row: each page's programmes get their documents live
        services.projector.catch_up()
        live = stored(services.db)
        assert len(live) == PROGRAMMES
        monkeypatch.setattr(documents, "BATCH", 2)  # batches of two, and a last one of one
        rebuild(services.projector)
        assert stored(services.db) == live
    finally:
        services.close()


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_bodies_are_compressed_with_lz4_on_postgresql(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = Clock()
    services = build(Settings(database_url=database_url(store, tmp_path, request)), clock=clock)
    try:
        Programme(services.registry, clock, 0).tell()
        services.projector.catch_up()
        services.projector.setup()  # again, as every process starting does: nothing to change
        with services.db.transaction(write=False) as cur:
            cur.execute("SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'")
            available = cur.fetchone()
            if available is None or not available["lz4"]:
                pytest.skip("this PostgreSQL server was built without lz4: bodies stay with pglz")
            cur.execute(f"SELECT pg_column_compression(body) AS method FROM {documents.TABLE}")
            assert [row["method"] for row in cur.fetchall()] == ["lz4"]
            cur.execute(documents.UNCOMPRESSED_BY_LZ4)
            assert cur.fetchone() is None  # so a process starting now does not set it again (that locks the table)
    finally:
        services.close()


def test_on_sqlite_every_batch_writes_even_a_large_programme_s_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "WRITTEN_WHEN_READ_ABOVE", 2)  # PostgreSQL would leave this one to its readers
    clock = Clock()
    services = build(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}"), clock=clock)
    try:
        Programme(services.registry, clock, 0).tell()
        services.projector.bulk_after = 10**9  # batch by batch, as a live runner applies them
        services.projector.catch_up()
        with services.db.transaction(write=False) as cur:
            cur.execute("SELECT COUNT(*) AS n FROM standings_teams WHERE valid_to IS NULL")
            row = cur.fetchone()
            assert row is not None and row["n"] > documents.WRITTEN_WHEN_READ_ABOVE
        bodies = [row["body"] for row in stored(services.db)]
        assert bodies and documents.STALE not in bodies
    finally:
        services.close()

"""The PostgreSQL tests' scratch database: clearing it between tests leaves what a new one would.

``postgres_url`` deletes rows instead of dropping the schema when the schema is the
one ``build`` makes (``tests/scratch.py``). These tests prove that shortcut hides
nothing: after a full story, a clear and ``build`` give the same rows as ``build`` on
an empty database, and a schema a test changed is dropped instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from api import demo
from api.bootstrap import build
from api.settings import Settings
from tests import scratch
from tests.conftest import Clock

AFTER_THE_DEMO = Clock(datetime(2026, 11, 1, tzinfo=UTC))  # the demo's decisions run to August 2026

pytestmark = pytest.mark.postgres


def every_row(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Each table of the ``public`` schema with its rows, sorted."""
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {table: sorted(map(tuple, conn.execute(f'SELECT * FROM "{table}"')), key=repr) for table in tables}


def test_a_cleared_database_builds_as_a_new_one(postgres_server_url: str, registry_schema: str) -> None:
    scratch.empty(postgres_server_url)
    build(Settings(database_url=postgres_server_url)).close()
    new = every_row(postgres_server_url)

    services = build(Settings(database_url=postgres_server_url), clock=AFTER_THE_DEMO)
    demo.load(services.registry)
    services.projector.catch_up()
    services.close()
    assert every_row(postgres_server_url) != new  # the demo left rows to clear

    scratch.clear(postgres_server_url, registry_schema)
    assert scratch.catalogue(postgres_server_url) == registry_schema  # the fast path: only rows went
    build(Settings(database_url=postgres_server_url)).close()
    assert every_row(postgres_server_url) == new

    services = build(Settings(database_url=postgres_server_url), clock=AFTER_THE_DEMO)
    demo.load(services.registry)  # the identities restarted: the same story lands at the same positions
    services.close()
    with psycopg.connect(postgres_server_url) as conn:
        first = conn.execute("SELECT min(notification_id) FROM registry_events").fetchone()
    assert first == (1,)


def test_a_changed_schema_is_dropped(postgres_server_url: str, registry_schema: str) -> None:
    scratch.clear(postgres_server_url, registry_schema)
    build(Settings(database_url=postgres_server_url)).close()
    with psycopg.connect(postgres_server_url) as conn:
        conn.execute("ALTER TABLE projection_tracking ADD COLUMN note TEXT")
    assert scratch.catalogue(postgres_server_url) != registry_schema

    scratch.clear(postgres_server_url, registry_schema)
    assert every_row(postgres_server_url) == {}

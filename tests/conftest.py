"""Shared fixtures: a controllable clock, and the registry on each of its three stores.

PostgreSQL tests run against the server named by ``REGISTRY_TEST_DATABASE_URL``
(default: the local server's ``test`` database). Each test session works in a
scratch database of its own on that server, so parallel runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from api.bootstrap import Services, build
from api.settings import Settings

DEFAULT_TEST_DATABASE_URL = "postgresql://root@127.0.0.1:5432/test"
NO_DATABASE = """
PostgreSQL is not reachable at {url} ({error}).
The PostgreSQL tests need a server. Either start the local one, or run one with Docker:
    docker compose up -d db
    export REGISTRY_TEST_DATABASE_URL=postgresql://registry:registry@127.0.0.1:5432/registry
"""


@dataclass
class Clock:
    """The server clock, under the test's control."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A scratch database on the test server for this session; dropped afterwards."""
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(NO_DATABASE.format(url=url, error=str(error).strip()), pytrace=False)
    name = f"registry_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """The scratch database, emptied before the test."""
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_server_url


def database_url(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if store == "memory":
        return "memory://"
    if store == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def services(store: str, clock: Clock, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Services]:
    """The registry, its read store and projector, on each of the three stores in turn."""
    built = build(Settings(database_url=database_url(store, tmp_path, request)), clock=clock)
    yield built
    built.close()

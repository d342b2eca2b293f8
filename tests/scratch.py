"""The scratch databases a test run makes on the PostgreSQL test server, and the check that none is left.

Every database a run creates is named ``registry_test_<run>_<worker>…``: ``<run>`` is
drawn once per ``pytest`` invocation (the controller hands it to its xdist workers)
and ``<worker>`` is the xdist worker (``gw0``, ``gw1``, …, or ``main`` without xdist).
So parallel workers never share a database, and runs by other people on the same
server never see each other's. When the run ends, the controller lists the databases
still carrying the run's prefix (``leftovers``): any one there fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_TEST_DATABASE_URL = "postgresql://root@127.0.0.1:5432/test"
NO_DATABASE = """
PostgreSQL is not reachable at {url} ({error}).
The PostgreSQL tests need a server. Either start the local one, or run one with Docker:
    docker compose up -d db
    export REGISTRY_TEST_DATABASE_URL=postgresql://registry:registry@127.0.0.1:5432/registry
"""
LEFT_BEHIND = """This run left {count} scratch database(s) on {url}: {names}.
Whatever creates a scratch database must drop it when done (DROP DATABASE … WITH (FORCE));
see tests/scratch.py. Drop these by hand with:
{commands}"""


class UnreachableError(Exception):
    """The test server does not answer; the message says how to start one."""


def server_url() -> str:
    """The test server: ``REGISTRY_TEST_DATABASE_URL``, else the local server's ``test`` database."""
    return os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def prefix(run: str) -> str:
    """What the name of every database the run ``run`` creates starts with."""
    return f"registry_test_{run}_"


def beside(url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``url``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def check_reachable(url: str) -> None:
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        raise UnreachableError(NO_DATABASE.format(url=url, error=str(error).strip())) from None


@contextmanager
def database(url: str, name: str) -> Iterator[str]:
    """A new, empty database ``name`` beside ``url``, dropped on the way out (even if the body failed)."""
    drop(url, name)  # a leftover of a crashed run with the same name would not be empty
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield beside(url, name)
    finally:
        drop(url, name)


def empty(url: str) -> None:
    """Empty the database at ``url``: a new ``public`` schema, with nothing in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def drop(url: str, name: str) -> None:
    """Drop database ``name`` (if it exists), closing whatever connections a test left open to it."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def leftovers(url: str, run: str) -> list[str]:
    """The databases on the server whose names carry the run's prefix."""
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname", (prefix(run),)
        ).fetchall()
    return [str(row[0]) for row in rows]


def left_behind(url: str, names: list[str]) -> str:
    """The failure message for databases a run left behind."""
    commands = "\n".join(f"    psql {url!r} -c 'DROP DATABASE \"{name}\" WITH (FORCE)'" for name in names)
    return LEFT_BEHIND.format(count=len(names), url=url, names=", ".join(names), commands=commands)

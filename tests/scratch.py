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
from psycopg.rows import TupleRow

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
        # A commit need not wait for the disk: tests stop backends and servers, never PostgreSQL itself.
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield beside(url, name)
    finally:
        drop(url, name)


def empty(url: str) -> None:
    """Empty the database at ``url``: a new ``public`` schema, with nothing in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


# Everything in the ``public`` schema that a test could change and a row reset would not put back.
CATALOGUE = r"""
SELECT md5(coalesce(string_agg(item, E'\n' ORDER BY item), '')) FROM (
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS item
        FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT format('relation %s %s', relname, relkind)
        FROM pg_class WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT format('constraint %s %s', conrelid::regclass, pg_get_constraintdef(oid))
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger AS t
        JOIN pg_class AS c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
    UNION ALL SELECT format('function %s %s', proname, md5(prosrc))
        FROM pg_proc WHERE pronamespace = 'public'::regnamespace
) AS catalogue
"""


def catalogue(url: str) -> str:
    """A digest of the ``public`` schema's definitions: tables, columns, indexes, constraints, triggers, functions."""
    with psycopg.connect(url, autocommit=True) as conn:
        return _digest(conn)


def _digest(conn: psycopg.Connection[TupleRow]) -> str:
    row = conn.execute(CATALOGUE).fetchone()
    assert row is not None
    return str(row[0])


# Every row of the ``public`` schema deleted and its sequences restarted, past the append-only triggers,
# in one statement: one round trip instead of one per table.
RESET_ROWS = """
DO $$
DECLARE
    name text;
BEGIN
    SET LOCAL session_replication_role = replica;
    FOR name IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('DELETE FROM public.%I', name);
    END LOOP;
    FOR name IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
        EXECUTE format('ALTER SEQUENCE public.%I RESTART', name);
    END LOOP;
END
$$
"""


def clear(url: str, schema: str) -> None:
    """Empty the database at ``url`` of rows, or of everything.

    When its ``public`` schema is exactly ``schema`` (a ``catalogue`` digest: the tables
    ``build`` makes), only the rows go and the sequences restart, which costs a tenth of
    dropping and recreating the 34 tables and their indexes; ``build`` then seeds its rows
    again, so the test sees what ``build`` makes of an empty database. A schema a test
    changed (or a role that cannot disable the append-only triggers) gets ``empty``.
    """
    with psycopg.connect(url) as conn:
        if _digest(conn) == schema:
            try:
                conn.execute(RESET_ROWS)
                conn.commit()
                return
            except psycopg.errors.InsufficientPrivilege:
                conn.rollback()
    empty(url)


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

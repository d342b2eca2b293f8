"""The scratch PostgreSQL databases the benchmarks fill, and plain connections to them.

The server defaults to the local one; ``BENCH_SERVER_URL`` names another
(any database on it: the scratch databases are created beside it and dropped after).
The scratch database is ``registry_bench`` unless ``BENCH_DATABASE`` (or
``python -m bench.run --database``) names another, so two runs on one server —
a ``make bench`` and the quick test, say — never share one. Scenarios that need
a second, empty database name it after the first (``registry_bench_import``).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_SERVER_URL = "postgresql://root@127.0.0.1:5432/postgres"
DEFAULT_DATABASE = "registry_bench"


def server_url() -> str:
    return os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL)


def bench_database() -> str:
    """The scratch database's name: ``BENCH_DATABASE``, else ``registry_bench``."""
    return os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE)


def url(name: str, server: str | None = None) -> str:
    """The URL of database ``name`` on the benchmark server (or on the server of the URL ``server``)."""
    return urlunsplit(urlsplit(server or server_url())._replace(path=f"/{name}"))


def beside(database_url: str, suffix: str) -> str:
    """The URL of a sibling scratch database: the same server, the name with ``_suffix`` appended."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"{parts.path}_{suffix}"))


def _admin(database_url: str) -> tuple[psycopg.Connection[tuple[object, ...]], str]:
    parts = urlsplit(database_url)
    admin = psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
    return admin, parts.path.lstrip("/")


def recreate(database_url: str) -> None:
    """Drop the database if it exists and create it empty."""
    drop(database_url)
    admin, name = _admin(database_url)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def drop(database_url: str) -> None:
    admin, name = _admin(database_url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"

"""The scratch PostgreSQL database the benchmarks fill, and plain connections to it.

The server defaults to the local one; ``BENCH_SERVER_URL`` names another
(any database on it: the scratch database is created beside it and dropped after).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_SERVER_URL = "postgresql://root@127.0.0.1:5432/postgres"
BENCH_DATABASE = "registry_bench"


def server_url() -> str:
    return os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL)


def url(name: str) -> str:
    """The URL of database ``name`` on the benchmark server."""
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


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

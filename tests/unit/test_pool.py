"""The tuned PostgreSQL pool is the library's pool with the same settings, and a passive pre-ping.

``eventstore.pool.tuned_pool`` builds the pool again from the library's; a setting
the library starts passing to its pool, and the rebuild does not copy, fails here.
No server is needed: neither pool is opened.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresFactory
from psycopg_pool import ConnectionPool

from eventstore.environment import event_store_env
from eventstore.pool import passive_check
from eventstore.postgres import RegistryPostgresFactory
from eventstore.shims import MostRecentFirstPool

SETTINGS = [
    "conninfo",
    "kwargs",
    "connection_class",
    "min_size",
    "max_size",
    "close_returns",
    "timeout",
    "max_waiting",
    "max_lifetime",
    "max_idle",
    "reconnect_timeout",
    "num_workers",
    "get_password_func",
    "_reset",  # passed only to the constructor: read here to notice if the library starts passing one
    "_reconnect_failed",
]


def pools() -> tuple[Any, Any]:
    env = event_store_env("postgresql://someone:secret@db.example:6543/registry", pool_size=3, timeout=2.5)
    return PostgresFactory(env).datastore.pool, RegistryPostgresFactory(env).datastore.pool


def test_the_tuned_pool_keeps_every_setting_of_the_librarys_pool() -> None:
    library, tuned = pools()
    assert isinstance(tuned, MostRecentFirstPool)
    assert {name: getattr(tuned, name) for name in SETTINGS} == {name: getattr(library, name) for name in SETTINGS}
    assert (tuned.min_size, tuned.max_size, tuned.timeout) == (3, 3, 2)
    ours, theirs = tuned._configure, library._configure  # autocommit and the idle-in-transaction timeout
    assert ours is not None and theirs is not None
    assert ours.__code__ is theirs.__code__


def test_the_tuned_pool_pings_passively_where_the_library_pings_every_checkout() -> None:
    library, tuned = pools()
    assert library._check is ConnectionPool.check_connection
    assert tuned._check is passive_check

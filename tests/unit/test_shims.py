"""The shims in ``eventstore/shims.py`` hold only while the libraries keep what they rely on.

Each test names what changed when it fails: then read the new release's source and
rewrite the shim, or drop it if the library now offers a way (a setting, a hook).
"""

from __future__ import annotations

import inspect
from collections import deque
from importlib.metadata import version
from typing import Any

import psycopg_pool
import pytest
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder

from eventstore.shims import WRITTEN_FOR, FailFastPostgresRecorder, MostRecentFirst, MostRecentFirstPool

RETRIED = [
    (PostgresApplicationRecorder, "insert_events"),
    (PostgresAggregateRecorder, "select_events"),
    (PostgresApplicationRecorder, "select_notifications"),
    (PostgresApplicationRecorder, "max_notification_id"),
]


@pytest.mark.parametrize("distribution", sorted(WRITTEN_FOR))
def test_the_installed_release_is_the_one_the_shims_were_written_for(distribution: str) -> None:
    installed, written_for = version(distribution), WRITTEN_FOR[distribution]
    assert installed.split(".")[:2] == written_for.split("."), (
        f"{distribution} {installed} is installed but eventstore/shims.py was written for {written_for}.x: "
        "check what the shims rely on in the new release, then update WRITTEN_FOR and the pin in pyproject.toml"
    )


@pytest.mark.parametrize(("library", "name"), RETRIED, ids=[name for _, name in RETRIED])
def test_the_library_still_retries_ten_times_and_keeps_the_undecorated_method(library: type, name: str) -> None:
    method = getattr(library, name)
    assert hasattr(method, "__wrapped__"), (
        f"{library.__name__}.{name} is no longer wrapped by a decorator: "
        "if the library stopped retrying, FailFastPostgresRecorder can inherit it as it is"
    )
    retry = inspect.getclosurevars(method).nonlocals
    assert (retry.get("max_attempts"), retry.get("wait")) == (10, 0.2), (
        f"{library.__name__}.{name}'s decorator changed (it closes over {sorted(retry)}): "
        "check it is still eventsourcing.utils.retry and whether it can now be configured"
    )
    assert getattr(FailFastPostgresRecorder, name) is method.__wrapped__


def test_psycopg_pool_still_keeps_idle_connections_in_a_deque_it_appends_to_and_pops_left() -> None:
    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(open=False)
    assert type(getattr(pool, "_pool", None)) is deque, "psycopg_pool no longer keeps idle connections in _pool"
    assert hasattr(pool, "_lock"), "psycopg_pool no longer guards its idle connections with _lock"
    taking = inspect.getsource(psycopg_pool.ConnectionPool._get_ready_connection)
    returning = inspect.getsource(psycopg_pool.ConnectionPool._add_to_pool)
    assert "self._pool.popleft()" in taking, "psycopg_pool takes idle connections differently: check MostRecentFirst"
    assert "self._pool.append(conn)" in returning, "psycopg_pool returns connections differently: check MostRecentFirst"


def test_the_most_recent_first_pool_takes_the_connection_returned_last() -> None:
    pool = MostRecentFirstPool(open=False)
    idle = pool._pool
    assert isinstance(idle, MostRecentFirst)
    idle.append("returned first")
    idle.append("returned last")
    assert idle.popleft() == "returned last"

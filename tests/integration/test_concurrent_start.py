"""Processes starting at once on one PostgreSQL database set the event store up one after another.

Every API process and runner sets the event store's tables, functions and triggers up as it starts.
In one transaction each took locks in an order that could cross another's (an index checked on the
events table, then the append function replaced; the function, then a trigger on the events table):
two workers of one server starting together deadlocked, and the server stopped. Set-ups now take
one advisory lock first, so they run one at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from api.bootstrap import build
from api.settings import Settings

pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
PROCESSES = 4
ROUNDS = 5


def test_processes_starting_together_all_start(store: str, postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url)
    build(settings).close()  # the tables exist, as when a server's workers start beside a running registry

    def start() -> None:
        build(settings).close()

    with ThreadPoolExecutor(PROCESSES) as pool:
        for _ in range(ROUNDS):
            for started in [pool.submit(start) for _ in range(PROCESSES)]:
                started.result()  # raises the start's error, a deadlock among them

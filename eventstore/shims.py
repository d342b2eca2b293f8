"""Two behaviours the libraries offer no hook for, each tied to the release it was written against.

Written for ``eventsourcing==9.5.6`` and ``psycopg-pool==3.3.3`` (``WRITTEN_FOR`` holds the
releases, major and minor, that keep what is relied on here). ``tests/unit/test_shims.py``
fails, saying what changed, when an installed release differs or the attributes used here move;
then read the new release and rewrite or drop the shim.

``FailFastPostgresRecorder``: eventsourcing decorates the PostgreSQL recorder's methods with
``@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)`` when it defines the
class, and no setting changes that. With the database down a request would wait through ten
connection timeouts; it should answer 503 within one, and the client (or its Idempotency-Key
retry) decides when to try again. The subclass binds the undecorated functions, which the
decorator (``functools.wraps``) keeps as ``__wrapped__``.

``MostRecentFirstPool``: psycopg_pool hands out the connection idle longest (it appends returned
connections to a deque and takes from its left) and has no option to do otherwise. One request
after another then wakes a different server process each time, whose caches have gone cold
(about 60 µs more per save on the benchmark machine). The subclass replaces that deque with one
whose left is its right, so the connection returned last is handed out first. The pool shrinks
from the same end, so it would close its warmest idle connection; with no overflow connections
(``POSTGRES_MAX_OVERFLOW=0``, see ``eventstore.environment``) it never shrinks.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from eventsourcing.postgres import ConnectionPool, PostgresAggregateRecorder, PostgresApplicationRecorder
from psycopg import Connection
from psycopg.rows import DictRow

WRITTEN_FOR = {"eventsourcing": "9.5", "psycopg-pool": "3.3"}
"""Each library's release (major.minor) whose internals these shims were read against."""


class FailFastPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder without its ten attempts on a connection error."""

    insert_events = PostgresApplicationRecorder.insert_events.__wrapped__
    select_events = PostgresAggregateRecorder.select_events.__wrapped__
    select_notifications = PostgresApplicationRecorder.select_notifications.__wrapped__
    max_notification_id = PostgresApplicationRecorder.max_notification_id.__wrapped__


class MostRecentFirst(deque[Any]):
    """Idle connections, the one returned last taken first (psycopg_pool appends, and pops left)."""

    def popleft(self) -> Any:
        return self.pop()


class MostRecentFirstPool(ConnectionPool[Connection[DictRow]]):
    """The library's connection pool, handing out the connection returned last instead of the oldest."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._lock:  # an open pool's workers may already be adding connections
            self._pool = MostRecentFirst(self._pool)

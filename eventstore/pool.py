"""The PostgreSQL connection pool: pinged only when the server has spoken, the warmest connection first.

The library's datastore builds its pool with an active pre-ping (a round trip on
every checkout) and hands out the connection idle longest. ``tuned_pool`` builds
the same pool, with the same settings, through psycopg_pool's public constructor,
with two changes. Its pre-ping is passive (``passive_check``): a connection is
pinged before use only if the server has said something on it since it went idle
(a restart or ``pg_terminate_backend`` sends an error and closes it), so a
connection broken by a restart is still replaced, not used, without a round trip
on every checkout. And it hands out the connection returned last, whose server
process is still warm (``shims.MostRecentFirstPool``).
"""

from __future__ import annotations

import select
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg_pool import ConnectionPool

from eventstore.shims import MostRecentFirstPool


def passive_check(conn: Connection[Any]) -> None:
    """Ping a pooled connection only if it is not idle and healthy, or the server has spoken on it since."""
    pgconn = conn.pgconn
    if pgconn.status == ConnStatus.OK and pgconn.transaction_status == TransactionStatus.IDLE:
        poll = select.poll()
        poll.register(pgconn.socket, select.POLLIN)
        if not poll.poll(0):
            return
    ConnectionPool.check_connection(conn)


def tuned_pool(datastore: PostgresDatastore) -> MostRecentFirstPool:
    """The datastore's pool built again with the same settings, a passive pre-ping and warm-first reuse.

    Call it before the datastore's first use: its own pool is then unopened (no
    connection, no thread) and is closed here.
    """
    library = datastore.pool
    library.close()
    return MostRecentFirstPool(
        library.conninfo,
        connection_class=library.connection_class,
        kwargs=library.kwargs,
        min_size=library.min_size,
        max_size=library.max_size,
        open=False,  # the datastore opens it on first use, as it does its own
        configure=datastore.after_connect_func(),
        check=passive_check if datastore.pre_ping else None,
        name=library.name,
        close_returns=library.close_returns,
        timeout=library.timeout,
        max_waiting=library.max_waiting,
        max_lifetime=library.max_lifetime,
        max_idle=library.max_idle,
        reconnect_timeout=library.reconnect_timeout,
        num_workers=library.num_workers,
        get_password_func=library.get_password_func,
    )

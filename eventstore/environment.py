"""The eventsourcing library's environment for a database URL: which recorder, transcoder, pool and timeouts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from eventsourcing.utils import get_topic

from eventstore.memory import ChainedPOPOFactory
from eventstore.postgres import ChainedPostgresRecorder, RegistryPostgresFactory
from eventstore.sqlite import ChainedSQLiteRecorder
from eventstore.transcoder import FastJSONTranscoder

# Aggregates stay cached in the process and are brought up to date from the store on each read
# (fast-forward), so a long programme stream is not replayed from its first event per decision.
CACHE = {"AGGREGATE_CACHE_MAXSIZE": "10000", "AGGREGATE_CACHE_FASTFORWARD": "y"}
SQLITE_PREFIX = "sqlite:///"


def event_store_env(url: str, *, pool_size: int, timeout: float) -> dict[str, str]:
    """The library's environment for ``memory://``, ``sqlite:///PATH`` or ``postgresql://…``.

    ``pool_size`` is the PostgreSQL connections per process; ``timeout`` the seconds to
    wait for one (a connection, or a free one from the pool).
    """
    return {**CACHE, "TRANSCODER_TOPIC": get_topic(FastJSONTranscoder), **_store_env(url, pool_size, timeout)}


def _store_env(url: str, pool_size: int, timeout: float) -> dict[str, str]:
    if url.startswith("memory://"):
        return {"PERSISTENCE_MODULE": get_topic(ChainedPOPOFactory)}
    if url.startswith(SQLITE_PREFIX):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(Path(url.removeprefix(SQLITE_PREFIX))),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": get_topic(ChainedSQLiteRecorder),
        }
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": get_topic(RegistryPostgresFactory),
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",  # a fixed pool: it never shrinks (see eventstore.shims)
        "POSTGRES_CONNECT_TIMEOUT": str(max(1, int(timeout))),
        "POSTGRES_MAX_WAITING": "0",  # unlimited queue; each wait is bounded by the timeout
        # a connection broken by a database restart is replaced, not used (pinged only if the server spoke on it)
        "POSTGRES_PRE_PING": "y",
        "APPLICATION_RECORDER_TOPIC": get_topic(ChainedPostgresRecorder),
    }

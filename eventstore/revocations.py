"""How many API keys have been revoked: one small number every process can read in one tiny query.

Each store counts revocation events as it stores them, in the same transaction
(PostgreSQL and SQLite with a trigger on the events table, memory under its
lock), so the count has moved by the time a revocation's save returns. A process
that caches verified keys reads it on each request and forgets its cache when
it has moved (``api.keycache``): a revocation takes effect on the next request
in every process without loading the key from the log each time. The count
starts at 0 when the table is made; only its changes mean anything.

On PostgreSQL the trigger also sends ``NOTICE_CHANNEL`` a notice ``revoked N``
(the new count) in the same transaction, delivered at its commit, so a process
that listens (``projections.watch``) learns of a revocation without reading the
count per request.
"""

from __future__ import annotations

from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.access import ApiKey

TABLE = "registry_key_revocations"
REVOKED = ApiKey.Revoked.TOPIC
SELECT = f"SELECT revoked FROM {TABLE} WHERE id = 1"
NOTICE_CHANNEL = "registry_state"  # where changes to the log's state are announced (``projections.watch``)
REVOKED_NOTICE = "revoked"
_TABLE_DDL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, revoked BIGINT NOT NULL)",
    f"INSERT INTO {TABLE} (id, revoked) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
]


def postgres_ddl(schema: str, events_table: str) -> list[Composed]:
    count = SQL(
        "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$"
        f" DECLARE n BIGINT; BEGIN UPDATE {TABLE} SET revoked = revoked + 1 WHERE id = 1 RETURNING revoked INTO n;"
        f" PERFORM pg_notify('{NOTICE_CHANNEL}', '{REVOKED_NOTICE} ' || n); RETURN NULL; END $body$"
    ).format(function=Identifier(schema, "registry_count_revocation"))
    trigger = SQL(
        "CREATE OR REPLACE TRIGGER registry_count_revocation AFTER INSERT ON {events}"
        " FOR EACH ROW WHEN (NEW.topic = {topic}) EXECUTE FUNCTION {function}()"
    ).format(
        events=Identifier(schema, events_table),
        topic=Literal(REVOKED),
        function=Identifier(schema, "registry_count_revocation"),
    )
    return [*(SQL(statement).format() for statement in _TABLE_DDL), count, trigger]


def sqlite_ddl(events_table: str) -> list[str]:
    return [
        *_TABLE_DDL,
        f"CREATE TRIGGER IF NOT EXISTS registry_count_revocation AFTER INSERT ON {events_table}"
        f" WHEN NEW.topic = '{REVOKED}' BEGIN UPDATE {TABLE} SET revoked = revoked + 1 WHERE id = 1; END",
    ]

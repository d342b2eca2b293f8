"""What a read model is to the projector, and the tables it is kept in.

A read model (``Projection``) names its tables, their layout and their DDL,
and handles each event filed under a programme and team (``Codes``). This
module creates those tables for the live read model or for a variant beside
it (``__next`` while a rebuild builds, ``__verify`` while a verification
does), and finds tables of an older layout, which ``install`` drops so that
they are built again. The projector's own tables are created here too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from domain.events import DecisionEvent
from projections import failures
from projections.db import Cursor, Database
from projections.rows import Rows, Table

log = logging.getLogger("registry.projections")
INDEX_NAME = re.compile(r"CREATE (?:UNIQUE )?INDEX IF NOT EXISTS (\w+)")
TRACKING_DDL = [
    "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_directory ("
    " originator_id TEXT PRIMARY KEY, program_code TEXT NOT NULL, team_code TEXT)",
    "CREATE TABLE IF NOT EXISTS projection_status (name TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " heartbeat_at TEXT NOT NULL, last_error TEXT)",
    failures.DDL,
]


@dataclass(frozen=True)
class Codes:
    """The programme, and the team if any, an event is filed under."""

    program_code: str
    team_code: str | None


class Projection(Protocol):
    name: str
    tables: tuple[str, ...]
    layout: tuple[Table, ...]

    def ddl(self) -> list[str]: ...
    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None: ...


def install(db: Database, projections: Iterable[Projection]) -> None:
    """Create the projector's tables and each read model's; those of an older layout are dropped first.

    Every process runs this as it starts, often while another applies events.
    PostgreSQL takes a table lock for ``CREATE INDEX IF NOT EXISTS`` before it
    finds the index there, and two such locks taken in one transaction while a
    runner writes the same tables in another order deadlock; so only the indexes
    missing are created (``present``), and a process finding its tables in place
    takes no table lock at all.
    """
    with db.transaction() as cur:
        for statement in TRACKING_DDL:
            cur.execute(statement)
        for projection in projections:
            if outdated(cur, db.dialect, projection):
                log.warning("read model %s has tables of an older layout; rebuilding it", projection.name)
                for variant in ("", "__next", "__verify"):  # an unfinished rebuild's tables are as old
                    for table in projection.tables:
                        cur.execute(f"DROP TABLE IF EXISTS {table}{variant}")
                    cur.execute("DELETE FROM projection_tracking WHERE name = %s", (projection.name + variant,))
            create(cur, projection, present=present(cur, db.dialect))


def present(cur: Cursor, dialect: str) -> frozenset[str]:
    """The indexes in the schema read models are kept in (PostgreSQL; on SQLite, none are looked up)."""
    if dialect != "postgres":
        return frozenset()
    cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    return frozenset(row["indexname"] for row in cur.fetchall())


def outdated(cur: Cursor, dialect: str, projection: Projection) -> bool:
    """Whether a table of ``projection`` exists without the columns its layout has now."""
    found = existing_columns(cur, dialect, [table.name for table in projection.layout])
    return any(found.get(table.name, set()) not in (set(), set(table.names)) for table in projection.layout)


def existing_columns(cur: Cursor, dialect: str, tables: list[str]) -> dict[str, set[str]]:
    """The columns of each of ``tables`` that exists (on PostgreSQL in one query: each costs a round trip)."""
    found: dict[str, set[str]] = {}
    if dialect == "postgres":
        cur.execute(
            "SELECT table_name, column_name AS name FROM information_schema.columns"
            " WHERE table_name = ANY(%s) AND table_schema = current_schema()",
            (tables,),
        )
        for row in cur.fetchall():
            found.setdefault(row["table_name"], set()).add(row["name"])
        return found
    for table in tables:
        cur.execute(f"PRAGMA table_info({table})")
        found[table] = {r["name"] for r in cur.fetchall()}
    return found


def create(
    cur: Cursor,
    projection: Projection,
    variant: str = "",
    *,
    indexes: bool = True,
    present: frozenset[str] = frozenset(),
) -> None:
    """Create the read model's tables and its tracking row; ``indexes=False``: only with the indexes a build reads by.

    Those are the primary keys and the current rows' unique indexes (rows
    are read back by programme, see ``MemoryRows``; the unique index also
    refuses a second current row at once, not at the end). Indexes named in
    ``present`` exist already and are left alone.
    """
    for statement in renamed(projection, variant):
        index = INDEX_NAME.search(statement)
        if index is not None and index.group(1) in present:
            continue
        if indexes or statement.startswith("CREATE TABLE") or "WHERE valid_to IS NULL" in statement:
            cur.execute(statement)
    cur.execute(
        "INSERT INTO projection_tracking (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
        (projection.name + variant,),
    )


def names_in(projections: Iterable[Projection]) -> list[str]:
    """The tables and indexes a read model's DDL creates (what a variant renames)."""
    found: list[str] = []
    for projection in projections:
        found += list(projection.tables)
        found += [m.group(1) for s in projection.ddl() if (m := INDEX_NAME.search(s))]
    return found


def renamed(projection: Projection, variant: str) -> list[str]:
    """The read model's DDL for a variant of its tables: ``standings_teams`` → ``standings_teams__next``."""
    names = names_in([projection])
    if not variant or not names:
        return projection.ddl()
    pattern = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    return [pattern.sub(lambda m: m.group(1) + variant, statement) for statement in projection.ddl()]

"""Each programme's current standings kept as a ready JSON document, so a read costs one indexed row.

The standings projection writes a programme's document in the same transaction
as the rows it comes from (``refresh``, called by the projector after each live
batch), with the log position of the programme's last event: that position is
the document's version, and with the programme's version it makes the ETag.
A bulk build or a blue/green switch empties the documents and ``refresh_all``
writes them again from the rows; until then, and whenever a document is missing,
readers compute the standings from the rows as before. As-of answers always do.

On PostgreSQL a large programme (more than ``WRITTEN_WHEN_READ_ABOVE`` teams) is
not written after every batch: its row is marked ``STALE`` at its position, and
the next reader computes the standings and stores them there (``computed`` with
``fill``), in its own snapshot and only if nothing changed since.

What is judged when read (an elimination final once its objection deadline has
passed, a round or call open within its window) depends on the clock. A
document keeps the times where those judgements can change (``boundaries``) and
where the clock stood among them when it was written (``Judged``); a reader
whose clock stands elsewhere among them gets the standings from the rows, so a
document is never served past the moment it would have changed.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from projections.db import Cursor, Database
from projections.encoding import iso
from projections.standings.queries import current_standings, standings_in

log = logging.getLogger("registry.projections")
TABLE = "standings_documents"
DDL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (program_code TEXT PRIMARY KEY, position BIGINT NOT NULL,"
    " version BIGINT NOT NULL, body TEXT NOT NULL, boundaries TEXT NOT NULL, judged TEXT NOT NULL)"
]
TIME_KEYS = ("_at", "deadline")  # the keys whose values are times (``boundaries_of``)
BATCH = 50  # programmes read together and written per transaction by ``refresh_all``
# Teams: on PostgreSQL a larger programme's document is written by its next reader (``computed``), not by each batch.
WRITTEN_WHEN_READ_ABOVE = 1_000
STALE = ""  # the body of a document left to be written when next read: none to serve (``computed``)
UNJUDGED = "[-1,-1]"  # a stale row's judgement (``_stale``)
RACED = ("55P03", "40001")  # PostgreSQL: a row lock not to be had at once; a row changed since the snapshot


@dataclass(frozen=True)
class Judged:
    """Where a moment stands among a document's boundaries: how many lie before it, and how many not after it."""

    before: int
    not_after: int

    @classmethod
    def at(cls, boundaries: list[str], now: datetime) -> Judged:
        moment = iso(now)
        return cls(bisect_left(boundaries, moment), bisect_right(boundaries, moment))

    @property
    def tag(self) -> int:
        """Grows by at least one whenever the clock passes a boundary: part of the ETag."""
        return self.before + self.not_after

    @property
    def stored(self) -> str:
        """As the ``judged`` column keeps it."""
        return orjson.dumps([self.before, self.not_after]).decode()


@dataclass(frozen=True)
class Document:
    program_code: str
    position: int
    version: int
    body: bytes  # the standings as JSON, without the two times a reply answers for
    boundaries: list[str]
    judged: Judged

    def fresh(self, now: datetime) -> bool:
        """Whether the standings judged at ``now`` are still exactly this document."""
        return Judged.at(self.boundaries, now) == self.judged

    @property
    def etag(self) -> str:
        return etag(self.version, self.position, self.judged)


def etag(version: int, position: int, judged: Judged) -> str:
    """``"version.position.tag"``: If-Match reads the version before the first dot."""
    return f'"{version}.{position}.{judged.tag}"'


def boundaries_of(standings: dict[str, Any]) -> list[str]:
    """The times at which reading the standings later could judge something differently (sorted).

    Every time the document holds (a deadline, a window's ends, when things happened), not only those
    judged today (objection deadlines of eliminations and advancements, rounds' and calls' windows):
    a time already past is never crossed again, and one judged tomorrow cannot be forgotten here.
    """
    found: set[str] = set()
    _times(standings, found)
    return sorted(found)


def _times(value: Any, found: set[str]) -> None:
    """Walk the document without recursion; it may hold thousands of teams, and runs after every live batch."""
    pending = [value]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            for key, item in node.items():
                kind = type(item)
                if kind is str:
                    if key.endswith(TIME_KEYS):
                        found.add(item)
                elif kind is dict or kind is list:
                    pending.append(item)
        elif type(node) is list:
            pending += [item for item in node if type(item) is dict or type(item) is list]


UNCOMPRESSED_BY_LZ4 = (  # lz4 is there (PostgreSQL 14 and later, built with it) and bodies are not yet set to it
    "SELECT 1 FROM pg_settings, pg_attribute WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    f" AND attrelid = '{TABLE}'::regclass AND attname = 'body' AND attcompression <> 'l'"
)


def install(db: Database) -> None:
    """The table; on PostgreSQL built with lz4 (14 and later), bodies compressed with it rather than pglz.

    A big programme's document (3.6 MB of JSON at 13,000 teams) is written after every live batch about
    it: pglz took 43 ms to write it, lz4 20 ms, measured here; a read decompresses faster too.
    """
    with db.transaction() as cur:
        for statement in DDL:
            cur.execute(statement)
        if db.dialect == "postgres":
            cur.execute(UNCOMPRESSED_BY_LZ4)  # asked first: setting it locks the table, even to the same method
            if cur.fetchone() is not None:  # applies to bodies written from now on
                cur.execute(f"ALTER TABLE {TABLE} ALTER COLUMN body SET COMPRESSION lz4")


def current(db: Database, program_code: str) -> Document | None:
    """The programme's document, if one is kept (one row by its key)."""
    with db.transaction(write=False) as cur:
        cur.execute(
            f"SELECT position, version, body, boundaries, judged FROM {TABLE} WHERE program_code = %s",
            (program_code,),
        )
        row = cur.fetchone()
    if row is None or row["body"] == STALE:
        return None
    before, not_after = orjson.loads(row["judged"])
    return Document(
        program_code,
        int(row["position"]),
        int(row["version"]),
        row["body"].encode(),
        orjson.loads(row["boundaries"]),
        Judged(before, not_after),
    )


def last_position(cur: Cursor, program_code: str) -> int:
    """The log position of the programme's last event in the standings (0: none)."""
    cur.execute("SELECT MAX(position) AS position FROM standings_moments WHERE program_code = %s", (program_code,))
    row = cur.fetchone()
    return int(row["position"] or 0) if row else 0


def computed(
    db: Database, program_code: str, now: datetime, *, fill: bool = False
) -> tuple[dict[str, Any], int, Judged] | None:
    """The current standings from the rows, their last position and judgement, read in one snapshot.

    With ``fill`` (PostgreSQL), they also become the programme's document, in the same transaction, if its
    row is there for the same position: left ``STALE`` by ``refresh``, or one the clock has overtaken. Never
    a row that changed since the snapshot (the rows then changed too): one a batch is writing is not waited
    for, and one written or removed since fails the transaction; either way the fill is left to a later reader.
    A programme without a row (its document removed) stays answered from the rows. A fill that fails for any
    reason leaves the answer as it was read.
    """
    found = None
    try:
        with db.transaction(write=fill and db.dialect == "postgres") as cur:
            if db.dialect == "postgres":
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            standings = standings_in(cur, program_code, now)
            if standings is None:
                return None
            position, boundaries = last_position(cur, program_code), boundaries_of(standings)
            judged = Judged.at(boundaries, now)
            found = standings, position, judged
            if fill and db.dialect == "postgres":
                _fill(cur, program_code, position, standings, boundaries, judged)
    except Exception as error:
        if found is None:
            raise
        if getattr(error, "sqlstate", None) not in RACED:
            log.warning("the standings document of %s was not stored: %s", program_code, error)
    return found


def _fill(
    cur: Cursor, code: str, position: int, standings: dict[str, Any], boundaries: list[str], judged: Judged
) -> None:
    marks = judged.stored
    cur.execute(FILLABLE, (code, position, STALE, marks))
    if cur.fetchone() is not None:  # only now is the body worth encoding (3.6 MB at 13,000 teams)
        body, times = orjson.dumps(standings).decode(), orjson.dumps(boundaries).decode()
        cur.execute(FILL, (standings["version"], body, times, marks, code, position))


def refresh(cur: Cursor, program_codes: Iterable[str], now: datetime, dialect: str) -> None:
    """Write the documents of ``program_codes`` from the rows as the caller's transaction sees them.

    On PostgreSQL a programme of more than ``WRITTEN_WHEN_READ_ABOVE`` teams is marked ``STALE`` instead, at its
    position: building its document costs as much as its size (190 ms at 13,000 teams, measured), after every
    batch about it; its next reader builds it from the rows and stores it (``computed``), once per change read.
    """
    codes = list(program_codes)
    large = _large(cur, codes) if dialect == "postgres" else set()
    for code in codes:
        position = last_position(cur, code)
        if code in large:
            cur.execute(UPSERT, _stale(code, position))
        else:
            _write(cur, code, position, now)


def _large(cur: Cursor, codes: list[str]) -> set[str]:
    """Which of these programmes have more than ``WRITTEN_WHEN_READ_ABOVE`` teams (their current rows, counted)."""
    if not codes:
        return set()
    cur.execute(
        f"SELECT program_code FROM standings_teams WHERE program_code IN ({', '.join(['%s'] * len(codes))})"
        " AND valid_to IS NULL GROUP BY program_code HAVING COUNT(*) > %s",
        [*codes, WRITTEN_WHEN_READ_ABOVE],
    )
    return {row["program_code"] for row in cur.fetchall()}


def _stale(code: str, position: int) -> tuple[Any, ...]:
    """A ``STALE`` row. Its judgement is one no clock gives, so a process of an earlier version (before stale
    rows were written), which knows no ``STALE`` body, finds the document not fresh and reads the rows."""
    return (code, position, 0, STALE, "[]", UNJUDGED)


def _write(cur: Cursor, code: str, position: int, now: datetime) -> None:
    standings = standings_in(cur, code, now)
    if standings is None:
        cur.execute(f"DELETE FROM {TABLE} WHERE program_code = %s", (code,))
        return
    cur.execute(UPSERT, _row(code, position, standings, now))


UPSERT = (
    f"INSERT INTO {TABLE} (program_code, position, version, body, boundaries, judged)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (program_code) DO UPDATE SET position = excluded.position,"
    " version = excluded.version, body = excluded.body, boundaries = excluded.boundaries,"
    " judged = excluded.judged"
)


FILLABLE = (  # the programme's row at this position, if stale or otherwise judged, locked unless a batch holds it
    f"SELECT 1 FROM {TABLE} WHERE program_code = %s AND position = %s AND (body = %s OR judged <> %s) FOR UPDATE NOWAIT"
)
FILL = (
    f"UPDATE {TABLE} SET version = %s, body = %s, boundaries = %s, judged = %s"
    " WHERE program_code = %s AND position = %s"
)


def _row(code: str, position: int, standings: dict[str, Any], now: datetime) -> tuple[Any, ...]:
    boundaries = boundaries_of(standings)
    judged = Judged.at(boundaries, now)
    return (
        code,
        position,
        standings["version"],
        orjson.dumps(standings).decode(),
        orjson.dumps(boundaries).decode(),
        judged.stored,
    )


def clear(cur: Cursor) -> None:
    """Forget every document (a bulk build or a switch changed the rows beneath them)."""
    cur.execute(f"DELETE FROM {TABLE}")


def refresh_all(db: Database, now: datetime, tracking_name: str = "standings") -> int:
    """Write every programme's document from the live rows (a large one's ``STALE``); returns how many.

    Each batch holds the standings' tracking row (as a live batch does), so no
    events are applied to the rows while their documents are written. A batch's
    programmes are read together (``current_standings``: a query per table, not
    a dozen per programme) and written in one statement.
    """
    written = 0
    for batch in _batches(_last_positions(db)):
        with db.transaction() as cur:
            if db.dialect == "postgres":
                cur.execute("SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE", (tracking_name,))
            codes = [code for code, _ in batch]
            positions = dict(_last_positions_in(cur, codes))  # again, inside the lock: they may have moved
            large = _large(cur, codes) if db.dialect == "postgres" else set()
            found = list(current_standings(cur, [code for code in codes if code not in large], now))
            gone = [code for code, standings in found if standings is None]
            if gone:
                cur.execute(f"DELETE FROM {TABLE} WHERE program_code IN ({', '.join(['%s'] * len(gone))})", gone)
            rows = [_row(c, positions.get(c, 0), s, now) for c, s in found if s is not None]
            cur.executemany(UPSERT, rows + [_stale(code, positions.get(code, 0)) for code in sorted(large)])
            written += len(batch)
    return written


def _last_positions(db: Database) -> list[tuple[str, int]]:
    with db.transaction(write=False) as cur:
        return _last_positions_in(cur)


def _last_positions_in(cur: Cursor, codes: list[str] | None = None) -> list[tuple[str, int]]:
    """Each programme's last position in the standings (of ``codes``, or of all)."""
    where = "" if codes is None else f" WHERE program_code IN ({', '.join(['%s'] * len(codes))})"
    cur.execute(
        f"SELECT program_code, MAX(position) AS position FROM standings_moments{where} GROUP BY program_code",
        codes or [],
    )
    return [(r["program_code"], int(r["position"])) for r in cur.fetchall()]


def _batches(items: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]

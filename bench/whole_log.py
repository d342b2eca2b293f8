"""Commands over the whole log, timed as an operator runs them, against raw PostgreSQL floors.

g. ``registry audit verify`` (every event's canonical encoding rebuilt from its
   stored state and hashed, checked against its chain link, the Merkle root
   computed, then the log held against every stored signed checkpoint) against
   a raw scan: keyset pages of the events table hashing each state once with
   SHA-256, then keyset pages of the chain table.
h. ``registry import --no-catch-up`` of a ``registry export`` file into a
   fresh, empty database (every line parsed, every hash and checkpoint
   signature checked, events and chain links written by COPY in one
   transaction) against COPY of the same rows, prepared beforehand, into an
   empty table shaped like the event store's. A second row, for the record,
   adds ``registry projections rebuild`` run next on the same database: the
   read models' build the plain ``registry import`` does after the import
   (scenario a measures that rate). A third gives the import's peak memory,
   which must stay bounded whatever the log's size (the file is streamed).

Our figures are the commands' wall-clock time in a child process, interpreter
start-up included, as an operator sees them; the raw ones run in this process.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from bench import database
from bench.base import EVENTS_TABLE, Bench, Result, create_events_like
from bench.figures import median
from bench.processes import measured_registry, timed_registry

MIN_VERIFY_RATIO = 0.5
MIN_IMPORT_RATIO = 0.3
MAX_IMPORT_RSS_MB = 256
RAW_REPEATS = 3
PAGE = 5_000
EVENT_PAGE = (
    f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE}"
    " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
CHAIN_PAGE = (
    "SELECT leaf, position, stream, version, prev_hash, hash FROM registry_chain WHERE leaf > %s ORDER BY leaf LIMIT %s"
)
COLUMNS = "originator_id, originator_version, topic, state"
COPY_TABLE = "bench_raw_copy"
COPY_BLOCK = 1 << 20


# --- g. audit verify ----------------------------------------------------------------------


def audit_verify(bench: Bench) -> list[Result]:
    output, seconds = timed_registry(["audit", "verify"], bench.database_url)
    found = re.search(r"Verified (\d+) events", output)
    if found is None:
        raise RuntimeError(f"registry audit verify said: {output[-500:]}")
    events = int(found.group(1))
    ours = events / seconds
    raw = median([raw_scan_rate(bench.database_url) for _ in range(RAW_REPEATS)])
    ratio = ours / raw
    return [
        Result(
            "g. audit verify, whole log",
            "events/s",
            f"{ours:,.0f}",
            f"{raw:,.0f}",
            ratio,
            f"≥ {MIN_VERIFY_RATIO}× raw",
            ratio >= MIN_VERIFY_RATIO,
            f"ours: `registry audit verify` verified {events:,} events in {seconds:.1f} s (child process, wall"
            f" clock, start-up included; each event's canonical encoding rebuilt from its stored state and"
            f" hashed, checked against its chain link, the Merkle root computed and the log held against every"
            f" stored signed checkpoint; events and chain read through server-side cursors in binary pages);"
            f" raw: one connection, keyset pages of {PAGE:,} over {EVENTS_TABLE}"
            f" (position, stream, version, topic, state) with hashlib.sha256 of each state, then keyset pages of"
            f" {PAGE:,} over registry_chain (every column), median of {RAW_REPEATS}",
        )
    ]


def raw_scan_rate(database_url: str) -> float:
    """Events/s reading every event (hashing its state once) and every chain link, in keyset pages."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        events = scan(conn, EVENT_PAGE, lambda row: hashlib.sha256(row[4]).digest())
        scan(conn, CHAIN_PAGE, lambda row: None)
        return events / (time.perf_counter() - started)


def scan(conn: psycopg.Connection[TupleRow], page: str, each: Callable[[TupleRow], object]) -> int:
    """Read a table in keyset pages on its first column, calling ``each`` on every row; returns the rows read."""
    read, last = 0, -1
    while rows := conn.execute(page, (last, PAGE)).fetchall():
        for row in rows:
            each(row)
        last, read = rows[-1][0], read + len(rows)
    return read


# --- h. import ------------------------------------------------------------------------------


def import_log(bench: Bench) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        export = Path(scratch) / "log.jsonl"
        _, exported_in = timed_registry(["export", str(export)], bench.database_url)
        exported = sum(1 for line in export.open("rb") if not line.startswith(b'{"checkpoint"'))  # events only
        imported = timed_import(export, database.beside(bench.database_url, "import"))
        rows = Path(scratch) / "events.copy"
        prepare_copy(bench.database_url, rows)
        raw_seconds, copied = timed_copy(rows, database.beside(bench.database_url, "copy"))
    if imported.events != exported or copied != exported:
        raise RuntimeError(f"exported {exported:,} events, imported {imported.events:,}, copied {copied:,}")
    ours, raw = exported / imported.seconds, exported / raw_seconds
    whole = exported / (imported.seconds + imported.rebuild_seconds)
    ratio = ours / raw
    return [
        Result(
            "h. import vs COPY",
            "events/s",
            f"{ours:,.0f}",
            f"{raw:,.0f}",
            ratio,
            f"≥ {MIN_IMPORT_RATIO}× raw",
            ratio >= MIN_IMPORT_RATIO,
            f"ours: `registry import --no-catch-up` of a {exported:,}-event `registry export` file (made in"
            f" {exported_in:.1f} s) into a fresh database in {imported.seconds:.1f} s (child process, wall clock,"
            f" start-up included; every line parsed, every hash and checkpoint signature checked, events and"
            f" chain links written by COPY in one transaction; the command's own timing of that work:"
            f" {imported.work_seconds:.1f} s); raw: COPY ({COLUMNS}) FROM STDIN of the same rows, prepared"
            f" beforehand as a COPY text file, into an empty table shaped like {EVENTS_TABLE} (primary key,"
            f" position index), one transaction, in {raw_seconds:.1f} s",
        ),
        Result(
            "h. import, then the read models built",
            "events/s",
            f"{whole:,.0f}",
            f"{raw:,.0f}",
            whole / raw,
            "for the record",
            None,
            f"the import above ({imported.seconds:.1f} s) plus `registry projections rebuild` on the same database"
            f" ({imported.rebuild_seconds:.1f} s, child process, wall clock): what a plain `registry import`"
            " does, the read models' build included (its rate is scenario a's)",
        ),
        Result(
            "h. import peak memory",
            "MB peak RSS",
            f"{imported.peak_rss_mb:,.0f}",
            "—",
            None,
            f"≤ {MAX_IMPORT_RSS_MB} MB",
            imported.peak_rss_mb <= MAX_IMPORT_RSS_MB,
            "peak resident set (VmHWM) of the whole `registry import --no-catch-up` process, read by the process"
            " itself as the command finished (`bench.child registry …`)",
        ),
    ]


@dataclass(frozen=True)
class Imported:
    events: int  # in the database afterwards
    seconds: float  # `registry import --no-catch-up`, wall clock
    work_seconds: float  # the check and write, as the command timed them
    rebuild_seconds: float  # `registry projections rebuild` afterwards, wall clock
    peak_rss_mb: float  # the import's peak resident set


def timed_import(export: Path, target: str) -> Imported:
    """``registry import --no-catch-up`` into a fresh database, then ``registry projections rebuild`` there."""
    database.recreate(target)
    try:
        output, seconds, peak = measured_registry(["import", "--no-catch-up", str(export)], target)
        found = re.search(r"import\s+([\d.]+)\s+s", output)
        if found is None:
            raise RuntimeError(f"registry import said: {output[-500:]}")
        _, rebuild_seconds = timed_registry(["projections", "rebuild"], target)
        with psycopg.connect(target, autocommit=True) as conn:
            row = conn.execute(f"SELECT COUNT(*) FROM {EVENTS_TABLE}").fetchone()
        return Imported(int(row[0]) if row else 0, seconds, float(found.group(1)), rebuild_seconds, peak)
    finally:
        database.drop(target)


def prepare_copy(database_url: str, path: Path) -> None:
    """The log's rows in COPY text format, in log order: what the raw baseline loads."""
    sql = f"COPY (SELECT {COLUMNS} FROM {EVENTS_TABLE} ORDER BY notification_id) TO STDOUT"
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        conn.cursor() as cur,
        cur.copy(sql) as copy,
        path.open("wb") as out,
    ):
        for block in copy:
            out.write(block)


def timed_copy(rows: Path, target: str) -> tuple[float, int]:
    """Seconds COPY of ``rows`` into an empty events-shaped table takes, and the rows it then holds."""
    database.recreate(target)
    try:
        with psycopg.connect(target) as conn:
            create_events_like(conn, COPY_TABLE)
            conn.commit()
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY {COPY_TABLE} ({COLUMNS}) FROM STDIN") as copy,
                rows.open("rb") as f,
            ):
                while block := f.read(COPY_BLOCK):
                    copy.write(block)
            conn.commit()
            seconds = time.perf_counter() - started
            row = conn.execute(f"SELECT COUNT(*) FROM {COPY_TABLE}").fetchone()
        return seconds, int(row[0]) if row else 0
    finally:
        database.drop(target)

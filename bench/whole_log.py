"""Commands over the whole log, timed as an operator runs them, against raw PostgreSQL floors.

g. ``registry audit verify`` (every event rehashed and checked against its
   chain link, then the Merkle root) against a raw scan: keyset pages of the
   events table hashing each state once with SHA-256, then keyset pages of the
   chain table.
h. ``registry import`` of a ``registry export`` file into a fresh, empty
   database (every hash checked, then written; the command then brings the
   read models up to date) against COPY of the same rows into an empty table
   shaped like the event store's.

Our figures are the commands' wall-clock time in a child process, interpreter
start-up included, as an operator sees them; the raw ones run in this process.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from bench import database
from bench.base import EVENTS_TABLE, Bench, Result, create_events_like
from bench.figures import median
from bench.processes import timed_registry

MIN_VERIFY_RATIO = 0.5
MIN_IMPORT_RATIO = 0.3
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
            f" clock, start-up included); raw: one connection, keyset pages of {PAGE:,} over {EVENTS_TABLE}"
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
        seconds, imported = timed_import(export, database.beside(bench.database_url, "import"))
        rows = Path(scratch) / "events.copy"
        prepare_copy(bench.database_url, rows)
        raw_seconds, copied = timed_copy(rows, database.beside(bench.database_url, "copy"))
    if imported != exported or copied != exported:
        raise RuntimeError(f"exported {exported:,} events, imported {imported:,}, copied {copied:,}")
    ours, raw = exported / seconds, exported / raw_seconds
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
            f"ours: `registry import` of a {exported:,}-event `registry export` file (made in {exported_in:.1f} s)"
            f" into a fresh database in {seconds:.1f} s (child process, wall clock, start-up included; the"
            f" command checks every hash, writes events and chain links, then brings the read models up to"
            f" date); raw: COPY ({COLUMNS}) FROM STDIN of the same rows, prepared beforehand as a COPY text file,"
            f" into an empty table shaped like {EVENTS_TABLE} (primary key, position index), one transaction,"
            f" in {raw_seconds:.1f} s",
        )
    ]


def timed_import(export: Path, target: str) -> tuple[float, int]:
    """Seconds ``registry import`` takes into a fresh database, and the events it then holds."""
    database.recreate(target)
    try:
        _, seconds = timed_registry(["import", str(export)], target)
        with psycopg.connect(target, autocommit=True) as conn:
            row = conn.execute(f"SELECT COUNT(*) FROM {EVENTS_TABLE}").fetchone()
        return seconds, int(row[0]) if row else 0
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

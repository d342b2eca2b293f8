"""The benchmark scenarios: each measures our figure beside a raw baseline taken in the same run.

A scenario is a function from the prepared ``Bench`` to ``Result`` rows; add one
by writing the function and listing it, with its label, in ``SCENARIOS``. Speed
is judged only as a ratio to the raw figure, because the machine is shared and
noisy; absolute numbers are for the record. Scenarios run in list order on one
database, and each leaves the read models live (a scenario that needs them at
the head of the log catches them up first).

This module holds the first two (a. rebuild, b. reads during a blue/green
rebuild); the others live beside it: ``bench.throughput`` (c, e),
``bench.append`` (d), ``bench.bitemporal`` (f), ``bench.whole_log`` (g, h), ``bench.steps`` (i).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import orjson
import psycopg

from bench.append import store_append
from bench.base import Bench, Result, Scenario, api_key, catch_up, serving
from bench.bitemporal import as_of_standings
from bench.processes import REGISTRY, Child
from bench.steps import where_the_time_goes
from bench.throughput import http_standings, http_write
from bench.whole_log import audit_verify, import_log
from projections import all_projections, documents

RAW_PAGE = (
    "SELECT notification_id, originator_id, originator_version, topic, state FROM registry_events"
    " WHERE notification_id > %s ORDER BY notification_id LIMIT 1000"
)
RAW_REPEATS = 3
MIN_REBUILD_RATIO = 0.5
MAX_REBUILD_RSS_MB = 256
READ_INTERVAL = 0.05  # seconds between standings reads: enough to see the switch, little load on two cores
IDLE_READS = 50
READS_AFTER_EXIT = 10
ALTERED = " (altered before the rebuild)"


# --- a. rebuild rate ----------------------------------------------------------------------


def raw_read_rate(database_url: str) -> float:
    """Events/s reading the whole log in keyset pages of 1,000 and decoding each state with orjson."""
    read, last = 0, 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        while rows := conn.execute(RAW_PAGE, (last,)).fetchall():
            for row in rows:
                orjson.loads(row[4])
            last, read = rows[-1][0], read + len(rows)
        return read / (time.perf_counter() - started)


def write_floor(database_url: str) -> tuple[float, int]:
    """Seconds PostgreSQL takes to write the rebuilt read models' rows again, and how many rows.

    Each table is copied into an empty twin inside the database (``INSERT …
    SELECT``: no client, no computing), then given the same indexes, as a
    rebuild does. No rebuild of these rows, however fast its code, can take less:
    it writes the same rows into the same kind of tables.
    """
    seconds, rows = 0.0, 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in (t for projection in all_projections() for t in projection.layout):
            twin = table.name + "__floor"
            statements = [s.replace(table.name, twin) for s in table.ddl()]  # the table, then its indexes
            conn.execute(f"DROP TABLE IF EXISTS {twin}")
            conn.execute(statements[0])
            started = time.perf_counter()
            rows += conn.execute(f"INSERT INTO {twin} SELECT * FROM {table.name}").rowcount
            for statement in statements[1:]:
                conn.execute(statement)
            seconds += time.perf_counter() - started
            conn.execute(f"DROP TABLE {twin}")
    return seconds, rows


def timed_child(bench: Bench, args: list[str], log_name: str) -> dict[str, Any]:
    """Run ``bench.child`` with ``args`` in a process of its own; what it reports."""
    log_path = bench.logs / log_name
    with log_path.open("wb") as log:
        done = Child([sys.executable, "-m", "bench.child", *args], bench.database_url, log).wait()
    output = log_path.read_text()
    if done.code:
        raise RuntimeError(f"bench.child {' '.join(args)} failed ({done.code}):\n{output}")
    report: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return report


def rebuild_rate(bench: Bench) -> list[Result]:
    raw = statistics.median(raw_read_rate(bench.database_url) for _ in range(RAW_REPEATS))
    report = timed_child(bench, [], "rebuild.log")
    ours = report["events"] / report["seconds"]
    how = f"{report['events']:,} events in {report['seconds']:.1f} s (projections.rebuild.rebuild in a child process)"
    floor_seconds, floor_rows = write_floor(bench.database_url)
    floor = report["events"] / floor_seconds
    caught_up = timed_child(bench, ["catch-up"], "catch-up.log")
    return [
        Result(
            "a. rebuild rate",
            "events/s",
            f"{ours:,.0f}",
            f"{floor:,.0f}",
            ours / floor,
            f"≥ {MIN_REBUILD_RATIO}× write floor",
            ours / floor >= MIN_REBUILD_RATIO,
            f"{how}; raw: the write floor below (PostgreSQL alone writing the same rows); against a keyset read"
            f" of the log (pages of 1,000 + orjson.loads, median of {RAW_REPEATS}) ours is {ours / raw:.3f}×",
        ),
        Result(
            "a. rebuild write floor",
            "events/s",
            f"{floor:,.0f}",
            f"{raw:,.0f}",
            floor / raw,
            "for the record",
            None,
            f"the fastest any rebuild of these read models can go here: PostgreSQL alone writing the rows the"
            f" rebuild wrote ({floor_rows:,} in {floor_seconds:.1f} s, INSERT … SELECT into empty twins of the"
            f" tables, then their indexes); ours is {ours / floor:.2f}× this floor",
        ),
        Result(
            "a. catch-up from empty",
            "events/s",
            f"{caught_up['events'] / caught_up['seconds']:,.0f}",
            f"{raw:,.0f}",
            caught_up["events"] / caught_up["seconds"] / raw,
            "for the record",
            None,
            f"the read models emptied and caught up by Projector.catch_up in a child process (as after a layout"
            f" change or on a new database: in bulk on the live tables, then row by row): {caught_up['events']:,}"
            f" events in {caught_up['seconds']:.1f} s, peak RSS {caught_up['peak_rss_mb']:,.0f} MB",
        ),
        Result(
            "a. rebuild peak memory",
            "MB peak RSS",
            f"{report['peak_rss_mb']:,.0f}",
            "—",
            None,
            f"≤ {MAX_REBUILD_RSS_MB} MB",
            report["peak_rss_mb"] <= MAX_REBUILD_RSS_MB,
            "peak resident set (VmHWM) of the whole rebuild process",
        ),
    ]


# --- b. reads during a blue/green rebuild ---------------------------------------------------


@dataclass(frozen=True)
class Read:
    at: float  # seconds since the rebuild started
    status: int
    seconds: float
    shows: str  # "before" (the altered live rows), "after" (the rebuilt rows) or "other"


def reads_during_rebuild(bench: Bench) -> list[Result]:
    catch_up(bench.database_url)
    secret = api_key(bench.database_url)
    program, title = alter_title(bench.database_url)
    path = f"/programs/{program}/standings"
    with serving(bench) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}) as http:
        before = answered(http.get(path).json())
        if before["title_en"] != title + ALTERED:
            raise RuntimeError(f"the server does not show the altered title: {before['title_en']!r}")
        expected = {"before": before, "after": {**before, "title_en": title}}
        idle = [read(http, path, expected, time.perf_counter()).seconds for _ in range(2 * IDLE_READS)]
        idle = idle[IDLE_READS:]  # the first reads warm the server's caches
        with (bench.logs / "rebuild-under-reads.log").open("wb") as log:
            rebuild = Child([*REGISTRY, "projections", "rebuild"], bench.database_url, log)
            watched = watch(http, path, expected, rebuild)
    return judge(watched, idle, bench.events)


def alter_title(database_url: str) -> tuple[str, str]:
    """Make one programme's live row visibly different from what a rebuild writes; returns code and title."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT program_code, title_en FROM standings_programs ORDER BY program_code LIMIT 1")
        program, title = row.fetchone() or ("", "")
        conn.execute(
            "UPDATE standings_programs SET title_en = title_en || %s WHERE program_code = %s", (ALTERED, program)
        )
        conn.execute(f"DELETE FROM {documents.TABLE} WHERE program_code = %s", (program,))  # read from the rows
    return str(program), str(title)


def answered(body: dict[str, Any]) -> dict[str, Any]:
    """The standings without the two times a reply answers for (the moment of each request)."""
    return {k: v for k, v in body.items() if k not in ("as_of", "known_at")}


def read(http: httpx.Client, path: str, expected: dict[str, Any], since: float) -> Read:
    """One GET; a read that gets no answer at all counts as status 0, a failure like any non-200."""
    started = time.perf_counter()
    try:
        response = http.get(path, timeout=30)
    except httpx.TransportError:
        return Read(started - since, 0, time.perf_counter() - started, "other")
    seconds = time.perf_counter() - started
    body = answered(response.json()) if response.status_code == 200 else None
    shows = next((name for name, value in expected.items() if body == value), "other")
    return Read(started - since, response.status_code, seconds, shows)


@dataclass(frozen=True)
class Watched:
    reads: list[Read]
    seconds: float  # from the rebuild's start to its exit
    peak_rss_mb: float  # the rebuild's, as last seen before it exited


def watch(http: httpx.Client, path: str, expected: dict[str, Any], rebuild: Child) -> Watched:
    """Read until the rebuild exits, then a few more."""
    reads, peak = [], 0.0
    while (done := rebuild.poll()) is None:
        peak = max(peak, rebuild.peak_rss_mb() or 0.0)
        reads.append(read(http, path, expected, rebuild.started))
        time.sleep(READ_INTERVAL)
    if done.code:
        raise RuntimeError(f"the rebuild under reads failed ({done.code}); see rebuild-under-reads.log")
    reads += [read(http, path, expected, rebuild.started) for _ in range(READS_AFTER_EXIT)]
    return Watched(reads, done.seconds, peak)


def judge(watched: Watched, idle: list[float], events: int) -> list[Result]:
    reads, took = watched.reads, watched.seconds
    ok = sum(r.status == 200 for r in reads)
    shows = [r.shows for r in reads]
    switch = shows.index("after") if "after" in shows else len(shows)
    in_order = set(shows[:switch]) <= {"before"} and set(shows[switch:]) == {"after"}
    during = [r.seconds for r in reads if r.at < took]
    last_old = reads[switch - 1].at - took if switch else float("nan")
    first_new = reads[switch].at - took if switch < len(reads) else float("nan")
    p50_during, p50_idle = statistics.median(during or [0.0]) * 1000, statistics.median(idle) * 1000
    return [
        Result(
            "b. reads during blue/green rebuild",
            "reads answered 200",
            f"{ok:,} of {len(reads):,}",
            "—",
            None,
            "all",
            ok == len(reads),
            f"{len(during):,} while the rebuild ran, {len(reads) - len(during)} after it exited",
        ),
        Result(
            "b. old rows until the switch, rebuilt after",
            "reads: pre-rebuild body / rebuilt body / other",
            f"{shows.count('before'):,} / {shows.count('after'):,} / {shows.count('other'):,}",
            "—",
            None,
            "pre-rebuild until the switch, rebuilt after",
            in_order and ok == len(reads),
            f"last pre-rebuild read {last_old:+.2f} s and first rebuilt read {first_new:+.2f} s from the rebuild's"
            f" exit; `registry projections rebuild` of {events:,} events took {took:.1f} s ({events / took:,.0f}"
            f" events/s while serving, peak RSS {watched.peak_rss_mb:,.0f} MB)",
        ),
        Result(
            "b. standings read latency during rebuild",
            "p50 ms (raw: idle server)",
            f"{p50_during:.1f}",
            f"{p50_idle:.1f}",
            p50_during / p50_idle if p50_idle else None,
            "for the record",
            None,
            f"max {max(during or [0.0]) * 1000:.0f} ms while rebuilding",
        ),
    ]


SCENARIOS: list[Scenario] = [
    Scenario("a. rebuild rate", rebuild_rate),
    Scenario("b. reads during blue/green rebuild", reads_during_rebuild),
    Scenario("c. HTTP write, 8 clients", http_write),
    Scenario("d. store-level append", store_append),
    Scenario("e. HTTP standings read, 8 clients", http_standings),
    Scenario("f. as-of standings, big programme", as_of_standings),
    Scenario("g. audit verify, whole log", audit_verify),
    Scenario("h. import vs COPY", import_log),
    Scenario("i. where the time goes", where_the_time_goes),
]

"""d. Store-level append: one decision per transaction through the application service, against a raw INSERT.

Ours: in this process, one thread, ``Registry.submit_application`` of a new
team to an open programme, one call after another (each loads the programme,
decides, and saves one event and its chain link in one transaction), built
exactly as the API builds it (``api.bootstrap.build``). Raw: one psycopg
connection INSERTs one row of the same size into a table shaped like the
event store's and COMMITs, one after another. Both for the same time.

Then, for the decisions we made: each call's position is above the one before
(commit order is position order), and the positions are contiguous — as many
events between the first and the last as decisions, none missing.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from api.bootstrap import build
from api.settings import Settings
from bench.base import EVENTS_TABLE, Bench, Result, create_events_like
from domain.commands import OpenProgram, SubmitApplication
from domain.registry import Context, Registry

MIN_APPEND_RATIO = 0.5
PROGRAMME = "BENCH-APPENDS"
RAW_TABLE = "bench_raw_append"
WARMUP_DECISIONS = 50
ACTOR = "official:bench-append"
STAGES = [{"name": "Stage 1", "seats": 10, "criteria": [{"code": "benchmark", "max_points": 100}]}]


@dataclass(frozen=True)
class Appended:
    positions: list[int]  # in the order the calls returned
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.positions) / self.seconds


def store_append(bench: Bench) -> list[Result]:
    services = build(Settings(database_url=bench.database_url))
    try:
        registry = services.registry
        registry.open_program(
            Context(actor=ACTOR, reason="Opened for the benchmark"),
            OpenProgram(
                program_code=PROGRAMME,
                title_ko="추가 벤치마크",
                title_en="Append benchmark",
                agency="Ministry of Science and ICT",
                stages=STAGES,
                budgets={},
                finalist_count=1,
            ),
        )
        apply_for_teams(registry, "warm", seconds=0, at_least=WARMUP_DECISIONS)
        ours = apply_for_teams(registry, "team", seconds=bench.sizes.append_seconds)
    finally:
        services.close()
    with psycopg.connect(bench.database_url) as conn:
        state, topic = sample_row(conn, ours.positions[0])
        raw = raw_appends(conn, topic, state, bench.sizes.append_seconds)
        in_range = events_between(conn, ours.positions[0], ours.positions[-1])
    return results(ours, raw, in_range, len(state))


def apply_for_teams(registry: Registry, prefix: str, *, seconds: float, at_least: int = 1) -> Appended:
    """Submit new teams' applications one by one for ``seconds``, and at least ``at_least`` of them."""
    positions: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    while len(positions) < at_least or time.perf_counter() < until:
        number = len(positions) + 1
        ctx = Context(actor=ACTOR, reason="Application received", correlation_id=f"bench-append-{prefix}-{number}")
        outcome = registry.submit_application(
            ctx,
            SubmitApplication(
                program_code=PROGRAMME,
                team_code=f"{prefix.upper()}{number:07d}",
                name_ko=f"추가 팀 {number}",
                name_en=f"Append team {number}",
                lead_organisation=f"Append Labs {number}",
                members=["KAIST"],
                contact="append@bench.example",
            ),
        )
        if outcome.position is None:
            raise RuntimeError(f"application {number} recorded nothing")
        positions.append(outcome.position)
    return Appended(positions, time.perf_counter() - started)


def sample_row(conn: psycopg.Connection[TupleRow], position: int) -> tuple[bytes, str]:
    """The stored state and topic of one of our events: what the raw rows copy."""
    row = conn.execute(f"SELECT state, topic FROM {EVENTS_TABLE} WHERE notification_id = %s", (position,)).fetchone()
    if row is None:
        raise RuntimeError(f"no event at position {position}")
    return bytes(row[0]), str(row[1])


def raw_appends(conn: psycopg.Connection[TupleRow], topic: str, state: bytes, seconds: float) -> Appended:
    """Single-row INSERT + COMMIT, one after another, for ``seconds`` (after a few unmeasured ones)."""
    create_events_like(conn, RAW_TABLE)
    conn.commit()
    insert = f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s)"

    def append() -> int:
        row = conn.execute(insert + " RETURNING notification_id", (uuid.uuid4(), topic, state)).fetchone()
        conn.commit()
        return int(row[0]) if row else 0

    for _ in range(WARMUP_DECISIONS):
        append()
    positions: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    while time.perf_counter() < until:
        positions.append(append())
    took = time.perf_counter() - started
    conn.execute(f"DROP TABLE {RAW_TABLE}")
    conn.commit()
    return Appended(positions, took)


def events_between(conn: psycopg.Connection[TupleRow], first: int, last: int) -> int:
    row = conn.execute(
        f"SELECT COUNT(*) FROM {EVENTS_TABLE} WHERE notification_id BETWEEN %s AND %s", (first, last)
    ).fetchone()
    return int(row[0]) if row else 0


def results(ours: Appended, raw: Appended, in_range: int, state_bytes: int) -> list[Result]:
    ratio = ours.rate / raw.rate
    positions = ours.positions
    first, last = positions[0], positions[-1]
    ascending = all(a < b for a, b in itertools.pairwise(positions))
    contiguous = last - first + 1 == len(positions) == in_range
    return [
        Result(
            "d. store-level append",
            "decisions/s (1 per transaction)",
            f"{ours.rate:,.0f}",
            f"{raw.rate:,.0f}",
            ratio,
            f"≥ {MIN_APPEND_RATIO}× raw",
            ratio >= MIN_APPEND_RATIO,
            f"ours: {len(positions):,} Registry.submit_application calls in {ours.seconds:.1f} s, one thread,"
            f" each one transaction (event + chain link); raw: {len(raw.positions):,} single-row INSERT + COMMIT"
            f" of a {state_bytes:,}-byte state into a table shaped like {EVENTS_TABLE}, one connection;"
            f" {WARMUP_DECISIONS} unmeasured of each first",
        ),
        Result(
            "d. commit order = position order",
            "positions of our decisions",
            f"{first:,}–{last:,}",
            "—",
            None,
            "ascending, contiguous",
            ascending and contiguous,
            f"{len(positions):,} decisions; each call's position above the previous one's: {ascending};"
            f" last − first + 1 = {last - first + 1:,}, events stored in that range {in_range:,}",
        ),
    ]

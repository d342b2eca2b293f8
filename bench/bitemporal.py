"""f. Standings as of a past moment, for one programme of about 100,000 events, against its current standings.

The programme (``bench.story.BigProgramme``: thousands of teams) is decided on
the in-memory store and appended to the bench log (``bench.generate.generate_big``),
then the read models catch up. The current standings are first read from the
programme's stored document (for the record), then, with the document removed,
computed from the rows: the as-of answer, which is always computed from the
rows, is held against that. Through ``registry serve``, one client reads the
current standings, then the standings as of a time two thirds of the way
through the programme's life and as known now: each up to ``Sizes.reads``
times, and no read started once ``Sizes.read_budget`` seconds have gone on that
view (at least one is: a view of a big programme may be slow, and the run must
stay bounded). Each read waits up to ``TIMEOUT`` seconds; one that is not
answered 200 in time fails the scenario. The first two current reads warm the
server and are not counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2 as httpx
import psycopg

from bench.base import HTTP_WORKERS, Bench, Result, api_key, bearer, catch_up, registry_server, serving
from bench.figures import median, percentile
from bench.generate import Big, generate_big
from projections import documents

MAX_AS_OF_RATIO = 2.0
TIMEOUT = 120.0
WARMUP_READS = 2
THROUGH = 2 / 3  # how far through the programme's life the past moment lies


@dataclass(frozen=True)
class Reads:
    seconds: list[float]  # answered 200, each
    failures: list[str]  # "status: detail" of each read that was not

    @property
    def median_ms(self) -> float:
        return median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 0.95) * 1000


def as_of_standings(bench: Bench) -> list[Result]:
    sizes = bench.sizes
    big = generate_big(bench.database_url, sizes.big_events)
    started = time.perf_counter()
    applied = catch_up(bench.database_url)
    caught_up = time.perf_counter() - started
    headers = bearer(api_key(bench.database_url))
    moment = big.opened + (big.last - big.opened) * THROUGH
    past = {"as_of": moment.isoformat(), "known_at": datetime.now(UTC).isoformat()}
    path = f"/programs/{big.code}/standings"
    with (
        serving(bench, registry_server(HTTP_WORKERS), "serve-as-of.log") as base,
        httpx.Client(base_url=base, headers=headers, timeout=TIMEOUT) as http,
    ):
        read_many(http, path, {}, WARMUP_READS, budget=None)
        stored = read_many(http, path, {}, sizes.reads, sizes.read_budget)
        forget_document(bench.database_url, big.code)
        current = read_many(http, path, {}, sizes.reads, sizes.read_budget)
        as_of = read_many(http, path, past, sizes.reads, sizes.read_budget)
    made = (
        f"{big.code}: {big.events:,} events, {big.teams:,} teams, generated and appended in {big.seconds:.0f} s,"
        f" read models caught up ({applied:,} events) in {caught_up:.0f} s"
    )
    return [*results(big, current, as_of, past, made), stored_row(stored, current)]


def forget_document(database_url: str, code: str) -> None:
    """Without its stored document, the current standings are computed from the rows, as as-of answers are."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {documents.TABLE} WHERE program_code = %s", (code,))


def stored_row(stored: Reads, current: Reads) -> Result:
    return Result(
        "f. current standings, stored document",
        "median ms (raw: current from the rows)",
        f"{stored.median_ms:,.1f}" if stored.seconds else "—",
        f"{current.median_ms:,.1f}",
        stored.median_ms / current.median_ms if stored.seconds and current.median_ms else None,
        "for the record",
        None,
        f"the same programme's current standings answered from its stored document ({len(stored.seconds)} reads),"
        " before it was removed so that the rows answer the current reads the as-of reads are held against",
    )


def read_many(http: httpx.Client, path: str, params: dict[str, str], count: int, budget: float | None) -> Reads:
    """Up to ``count`` sequential reads; with a budget, none is started once it is spent (the first always is)."""
    seconds: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    for _ in range(count):
        if budget is not None and (seconds or failures) and time.perf_counter() - started > budget:
            break
        began = time.perf_counter()
        try:
            answer = http.get(path, params=params)
        except httpx.TransportError as error:
            failures.append(f"no answer within {TIMEOUT:.0f} s ({type(error).__name__})")
            continue
        if answer.status_code == 200:
            seconds.append(time.perf_counter() - began)
        else:
            failures.append(f"{answer.status_code}: {answer.text[:200]}")
    return Reads(seconds, failures)


def results(big: Big, current: Reads, as_of: Reads, past: dict[str, str], made: str) -> list[Result]:
    clean = not current.failures and not as_of.failures and bool(as_of.seconds)
    ratio = as_of.median_ms / current.median_ms if clean and current.median_ms else None
    asked = f"?as_of={past['as_of']}&known_at={past['known_at']} (two thirds of the way from opening to the end)"
    failed = "; ".join(f"failed: {f}" for f in (current.failures + as_of.failures)[:3])
    return [
        Result(
            "f. as-of standings, big programme",
            "median ms (raw: current standings)",
            f"{as_of.median_ms:,.0f}" if as_of.seconds else "—",
            f"{current.median_ms:,.1f}",
            ratio,
            f"≤ {MAX_AS_OF_RATIO:g}× current",
            clean and ratio is not None and ratio <= MAX_AS_OF_RATIO,
            f"{made}; GET /programs/{big.code}/standings{asked}: {len(as_of.seconds)} reads answered 200;"
            f" current: {len(current.seconds)} reads; one client, sequential, {HTTP_WORKERS} uvicorn workers"
            + (f"; {failed}" if failed else ""),
        ),
        Result(
            "f. as-of standings p95",
            "p95 ms (raw: current standings)",
            f"{as_of.p95_ms:,.0f}" if as_of.seconds else "—",
            f"{current.p95_ms:,.1f}",
            as_of.p95_ms / current.p95_ms if clean and current.p95_ms else None,
            "for the record",
            None,
            f"nearest-rank p95 of {len(as_of.seconds)} as-of and {len(current.seconds)} current reads"
            " (of few reads, the slowest)",
        ),
    ]

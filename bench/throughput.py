"""HTTP throughput under 8 concurrent clients: ours against a bare FastAPI server with the same settings.

Both servers run as uvicorn with httptools, uvloop and ``HTTP_WORKERS``
worker processes: ``registry serve`` with its defaults otherwise (a JSON
request log line per request), and ``bench.raw_server``. For the writes, as in
production, ``registry projections run`` keeps the read models in a process of
its own and the server does no read-model work on the request path
(``REGISTRY_INLINE_PROJECTIONS=false``); the runner shares the machine with it.
The same load generator (``bench.load``, a process of its own) drives both,
one server at a time, so neither shares the machine with the other.

c. Writes: each request submits the application of a new team to an open
   programme (a decision that succeeds, 201) against ``POST /rows``, an INSERT
   of one row of the same body and a COMMIT. Requests/s and p99 latency.
e. Reads: the standings of a typical generated programme against a fixed JSON
   document of the same bytes. Requests/s.

A run in which any request fails (not 2xx, or no answer) does not pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import orjson
import psycopg

from bench import cpu, load
from bench.base import (
    HTTP_WORKERS,
    Bench,
    Result,
    api_key,
    bearer,
    catch_up,
    create_events_like,
    raw_server,
    registry_server,
    serving,
)
from bench.figures import median
from bench.load import Load, Outcome
from bench.processes import REGISTRY, Child
from bench.raw_server import RAW_TABLE

CLIENTS = 8
MIN_WRITE_RATE_RATIO = 0.5
MAX_WRITE_P99_RATIO = 3.0
MIN_READ_RATE_RATIO = 0.5
WRITE_PROGRAMME = "BENCH-HTTP-WRITES"
EVEN_SHARE = 0.75  # the most of a server's CPU one of its processes may take in a run that is kept…
EVEN_ATTEMPTS = 3  # …unless this many runs have been made (``evenly``)
NOT_INLINE = {"REGISTRY_INLINE_PROJECTIONS": "false"}  # the runner keeps the read models, off the request path
GENERATED = re.compile(r"^BENCH-\d+$")  # the programmes bench.generate told, not those scenarios open
APPLICATION = orjson.dumps(
    {
        "team_code": "W@N@",
        "name_ko": "벤치 컨소시엄 @N@",
        "name_en": "Bench Consortium @N@",
        "lead_organisation": "Bench Labs @N@",
        "members": ["KAIST", "Chipwave"],
        "contact": "w@N@@bench.example",
        "reason": "Application received",
    }
).decode()


def programme_spec(code: str) -> dict[str, Any]:
    """A programme open to applications, shaped like the generated ones."""
    criteria = [{"code": "benchmark", "max_points": 40}, {"code": "expert", "max_points": 35}]
    return {
        "program_code": code,
        "title_ko": "벤치마크 사업",
        "title_en": "Benchmark programme",
        "agency": "Ministry of Science and ICT",
        "stages": [{"name": "Stage 1", "seats": 10, "criteria": criteria, "gates": ["independence"]}],
        "budgets": {"gpu:H100": 10_000},
        "finalist_count": 2,
        "reason": "Opened for the benchmark",
    }


def drive(
    bench: Bench, url: str, method: str = "GET", headers: dict[str, str] | None = None, body: str = ""
) -> Outcome:
    sizes = bench.sizes
    spec = Load(url, method, headers or {}, body, CLIENTS, sizes.warmup_seconds, sizes.load_seconds)
    return load.run(spec)


def outcome_note(name: str, outcome: Outcome) -> str:
    note = (
        f"{name}: {outcome.requests:,} requests in {outcome.seconds:.0f} s, p50 {outcome.p50_ms:.1f} ms,"
        f" p99 {outcome.p99_ms:.1f} ms, max {outcome.max_ms:.0f} ms; answers {outcome.summary()}"
    )
    return note + (f"; first failure: {outcome.sample!r}" if outcome.sample else "")


# --- c. writes --------------------------------------------------------------------------------


Run = tuple[Outcome, dict[int, cpu.Process], dict[int, cpu.Process]]  # what a run saw, and the CPU around it


@dataclass(frozen=True)
class Measured:
    """One server's run that was kept: what the load generator saw, the CPU by role, how the server's split."""

    outcome: Outcome
    used: dict[str, float]
    shares: list[float]
    attempts: int

    @property
    def split(self) -> str:
        tries = "" if self.attempts == 1 else f" (run {self.attempts}: the runs before were uneven)"
        return cpu.split(self.shares) + tries


def evenly(measure: Callable[[int], Run]) -> Measured:
    """``measure(attempt)``, on a server started for it, until no server process did more than ``EVEN_SHARE``
    of the server's CPU, at most ``EVEN_ATTEMPTS`` times (the last run is kept, even or not).

    Each keep-alive client stays with the worker that accepted its connection; a run whose connections went
    mostly to one worker measures one worker, not the server. Ours and raw are held to this alike.
    """
    for attempt in range(1, EVEN_ATTEMPTS + 1):
        outcome, before, after = measure(attempt)
        shares = cpu.shares(before, after)
        if not shares or shares[0] <= EVEN_SHARE:
            break
    return Measured(outcome, cpu.spent(before, after), shares, attempt)


def http_write(bench: Bench) -> list[Result]:
    catch_up(bench.database_url)
    headers = bearer(api_key(bench.database_url, "admin"))
    applications: dict[str, int] = {}

    def ours_once(attempt: int) -> Run:
        code = WRITE_PROGRAMME if attempt == 1 else f"{WRITE_PROGRAMME}-{attempt}"  # new teams' codes each time
        with serving(bench, registry_server(HTTP_WORKERS), f"serve-writes-{attempt}.log", NOT_INLINE) as base:
            opened = httpx.post(f"{base}/programs", json=programme_spec(code), headers=headers, timeout=30)
            if opened.status_code != 201:
                raise RuntimeError(f"could not open {code}: {opened.status_code} {opened.text[:300]}")
            before = cpu.snapshot()
            outcome = drive(bench, f"{base}/programs/{code}/teams", "POST", headers, APPLICATION)
            after = cpu.snapshot()
            catch_up(bench.database_url)  # what the runner has not applied yet, before the read models are counted
            applications["stored"] = programmes(base, headers).get(code, 0)
        return outcome, before, after

    def raw_once(attempt: int) -> Run:
        with psycopg.connect(bench.database_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            create_events_like(conn, RAW_TABLE)
        env = {"BENCH_RAW_DATABASE_URL": bench.database_url}
        with serving(bench, raw_server(), f"raw-writes-{attempt}.log", env) as base:
            before = cpu.snapshot()
            outcome = drive(bench, f"{base}/rows", "POST", headers, APPLICATION)
            return outcome, before, cpu.snapshot()

    with following(bench):
        ours = evenly(ours_once)
    raw = evenly(raw_once)
    with psycopg.connect(bench.database_url, autocommit=True) as conn:
        row = conn.execute(f"SELECT COUNT(*) FROM {RAW_TABLE}").fetchone()
        conn.execute(f"DROP TABLE {RAW_TABLE}")
    stored = (applications["stored"], int(row[0]) if row else 0)
    return [*write_results(ours.outcome, raw.outcome, stored), cpu_result(ours, raw)]


def cpu_result(ours_run: Measured, raw_run: Measured) -> Result:
    """CPU per request across the machine, by process role: which part of the system the writes cost."""
    mine, theirs = (
        cpu.per_request({**run.used, "load generator": run.outcome.cpu_seconds}, run.outcome.answered)
        for run in (ours_run, raw_run)
    )
    total, raw_total = sum(mine.values()), sum(theirs.values())
    return Result(
        "c. HTTP write, CPU per request",
        "ms of CPU per request, all processes",
        f"{total:.2f}",
        f"{raw_total:.2f}",
        total / raw_total if raw_total else None,
        "for the record",
        None,
        f"the same runs, CPU time (user + system) read from /proc before and after each, by process role"
        f" (bench.cpu), over every answer including the warm-up; ours: {cpu.described(mine)}; raw:"
        f" {cpu.described(theirs)}; 'other' is the rest of the machine; the server processes' shares of the"
        f" server's CPU (supervisor and workers; a connection stays with the worker that accepted it, and a run"
        f" where one took more than {EVEN_SHARE:.0%} is run again on a new server, {EVEN_ATTEMPTS} runs at most):"
        f" ours {ours_run.split}, raw {raw_run.split}",
    )


@contextmanager
def following(bench: Bench) -> Iterator[None]:
    """``registry projections run`` in a process of its own while the block runs: it keeps the read models."""
    with (bench.logs / "runner.log").open("wb") as log:
        runner = Child([*REGISTRY, "projections", "run", "--interval", "0.2"], bench.database_url, log)
        try:
            yield
        finally:
            gone = runner.poll()
            runner.stop()
    if gone is not None:
        raise RuntimeError(f"the projection runner exited with code {gone.code} during the run; see runner.log")


def programmes(base: str, headers: dict[str, str]) -> dict[str, int]:
    """Every programme's code and number of teams, from ``GET /programs``."""
    answer = httpx.get(f"{base}/programs", headers=headers, timeout=60)
    answer.raise_for_status()
    return {str(p["program_code"]): int(p.get("teams", 0)) for p in answer.json()}


def write_results(ours: Outcome, raw: Outcome, stored: tuple[int, int]) -> list[Result]:
    """The two rows of c; every request must have succeeded, and every 201 must have stored what it said."""
    created = ours.statuses.get("201", 0), raw.statuses.get("201", 0)
    clean = not ours.failed and not raw.failed and stored == created
    rate_ratio = ours.rate / raw.rate if raw.rate else None
    p99_ratio = ours.p99_ms / raw.p99_ms if raw.p99_ms else None
    how = (
        f"{CLIENTS} keep-alive clients (bench.load, own process), {HTTP_WORKERS} uvicorn workers each"
        " (httptools, uvloop); ours: POST /programs/{p}/teams, one new team's application per request"
        " (registry serve, REGISTRY_INLINE_PROJECTIONS=false, a `registry projections run` process following the log);"
        " raw: bare FastAPI POST /rows, INSERT of the same body as one"
        " events-shaped row + COMMIT (psycopg pool of 8)"
    )
    checks = (
        f"teams in the programme afterwards {stored[0]:,} (201 answers {created[0]:,});"
        f" raw rows stored {stored[1]:,} (201 answers {created[1]:,})"
    )
    return [
        Result(
            "c. HTTP write, 8 clients",
            "requests/s",
            f"{ours.rate:,.0f}",
            f"{raw.rate:,.0f}",
            rate_ratio,
            f"≥ {MIN_WRITE_RATE_RATIO}× raw, no errors",
            clean and rate_ratio is not None and rate_ratio >= MIN_WRITE_RATE_RATIO,
            f"{how}; {outcome_note('ours', ours)}; {outcome_note('raw', raw)}; {checks}",
        ),
        Result(
            "c. HTTP write p99 latency",
            "p99 ms",
            f"{ours.p99_ms:,.1f}",
            f"{raw.p99_ms:,.1f}",
            p99_ratio,
            f"≤ {MAX_WRITE_P99_RATIO:g}× raw, no errors",
            clean and p99_ratio is not None and p99_ratio <= MAX_WRITE_P99_RATIO,
            f"the same runs; p50 ours {ours.p50_ms:.1f} ms, raw {raw.p50_ms:.1f} ms;"
            f" failed requests ours {ours.failed:,}, raw {raw.failed:,}",
        ),
    ]


# --- e. reads ---------------------------------------------------------------------------------


def http_standings(bench: Bench) -> list[Result]:
    catch_up(bench.database_url)
    headers = bearer(api_key(bench.database_url))
    document = bench.logs / "standings.json"
    with serving(bench, registry_server(HTTP_WORKERS), "serve-standings.log") as base:
        code, teams = typical_programme(base, headers)
        path = f"/programs/{code}/standings"
        first = httpx.get(base + path, headers=headers, timeout=30)
        if first.status_code != 200:
            raise RuntimeError(f"GET {path} answered {first.status_code}: {first.text[:300]}")
        document.write_bytes(first.content)

    def ours_once(attempt: int) -> Run:
        with serving(bench, registry_server(HTTP_WORKERS), f"serve-standings-{attempt}.log") as base:
            before = cpu.snapshot()
            return drive(bench, base + path, headers=headers), before, cpu.snapshot()

    def raw_once(attempt: int) -> Run:
        env = {"BENCH_RAW_DOCUMENT": str(document)}
        with serving(bench, raw_server(), f"raw-standings-{attempt}.log", env) as base:
            before = cpu.snapshot()
            return drive(bench, f"{base}/document", headers=headers), before, cpu.snapshot()

    ours_run, raw_run = evenly(ours_once), evenly(raw_once)
    ours, raw = ours_run.outcome, raw_run.outcome
    ratio = ours.rate / raw.rate if raw.rate else None
    how = (
        f"{code} ({teams:,} teams, a {len(first.content):,}-byte answer), {CLIENTS} keep-alive clients,"
        f" {HTTP_WORKERS} uvicorn workers each (httptools, uvloop); ours: GET {path} with an auditor key;"
        " raw: bare FastAPI async GET /document answering the same bytes read once at start-up"
    )
    return [
        Result(
            "e. HTTP standings read, 8 clients",
            "requests/s",
            f"{ours.rate:,.0f}",
            f"{raw.rate:,.0f}",
            ratio,
            f"≥ {MIN_READ_RATE_RATIO}× raw, no errors",
            not ours.failed and not raw.failed and ratio is not None and ratio >= MIN_READ_RATE_RATIO,
            f"{how}; {outcome_note('ours', ours)}; {outcome_note('raw', raw)}; the server processes' shares of the"
            f" server's CPU (as in c): ours {ours_run.split}, raw {raw_run.split}",
        )
    ]


def typical_programme(base: str, headers: dict[str, str]) -> tuple[str, int]:
    """The generated programme with the median number of teams, from ``GET /programs``."""
    generated = sorted((teams, code) for code, teams in programmes(base, headers).items() if GENERATED.match(code))
    if not generated:
        raise RuntimeError("no generated programme to read")
    teams = median([float(t) for t, _ in generated])
    count, code = min(generated, key=lambda p: abs(p[0] - teams))
    return code, count

"""What every scenario shares: the prepared bench, its result rows, and servers started as child processes.

A scenario is a labelled function from the prepared ``Bench`` to ``Result``
rows (``bench.scenarios.SCENARIOS`` lists them). Speed is judged only as a
ratio to a raw figure taken in the same run, because the machine is shared and
noisy; absolute numbers are for the record.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import psycopg
from psycopg.rows import TupleRow

from api.bootstrap import build
from api.settings import Settings
from bench import cpu
from bench.processes import REGISTRY, Child, free_port, registry

HTTP_WORKERS = 2  # uvicorn worker processes for every server the HTTP scenarios compare (one per core)
EVENTS_TABLE = "registry_events"


@dataclass(frozen=True)
class Sizes:
    """How long and how big each scenario runs: the full run, or the quick one (CI, a first look)."""

    load_seconds: float  # measured HTTP load per server (c, e)
    warmup_seconds: float  # load before the measured window, not counted
    append_seconds: float  # store-level appends per side (d)
    big_events: int  # the one big programme's events (f)
    reads: int  # at most this many sequential reads of each view (f) …
    read_budget: float  # … and none started once this many seconds have gone on that view (one always is)


FULL = Sizes(
    load_seconds=25,
    warmup_seconds=3,
    append_seconds=10,
    big_events=100_000,
    reads=15,
    read_budget=120,
)
QUICK = Sizes(
    load_seconds=2,
    warmup_seconds=0.5,
    append_seconds=1.5,
    big_events=2_000,
    reads=5,
    read_budget=10,
)


@dataclass(frozen=True)
class Bench:
    """What every scenario gets: the filled database, its size, and a directory for child logs."""

    database_url: str
    events: int
    quick: bool
    logs: Path

    @property
    def sizes(self) -> Sizes:
        return QUICK if self.quick else FULL


@dataclass(frozen=True)
class Result:
    scenario: str
    measure: str
    ours: str
    raw: str
    ratio: float | None
    target: str
    passed: bool | None  # None: reported for the record, not judged
    notes: str = ""


@dataclass(frozen=True)
class Scenario:
    """A scenario's label (how its first row starts, and its name if it cannot run) and what runs it."""

    label: str
    run: Callable[[Bench], list[Result]]


def skipped(scenario: Scenario, error: BaseException) -> Result:
    """A row for a scenario that could not run, so the table still shows it."""
    return Result(scenario.label, "—", "—", "—", None, "—", False, f"did not run: {error}")


# --- the registry, as a client sees it ------------------------------------------------------


def catch_up(database_url: str) -> int:
    """Bring the live read models to the head of the log; returns the events applied."""
    services = build(Settings(database_url=database_url))
    try:
        return services.projector.catch_up()
    finally:
        services.close()


def api_key(database_url: str, role: str = "auditor") -> str:
    """A new API key's secret, issued with ``registry keys create``."""
    output = registry(["keys", "create", "--role", role, "--name", f"bench-{role}"], database_url)
    return next(word for word in output.split() if word.startswith("rk_"))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def create_events_like(conn: psycopg.Connection[TupleRow], table: str) -> None:
    """An empty table shaped like the event store's: the same columns, primary key and position index."""
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(
        f"CREATE TABLE {table} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text,"
        " state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
    )
    conn.execute(f"CREATE UNIQUE INDEX {table}_position ON {table} (notification_id ASC)")


# --- servers ----------------------------------------------------------------------------------


def registry_server(workers: int = 1) -> Callable[[int], list[str]]:
    """``registry serve`` on a given port (uvicorn with httptools and uvloop, see ``api.cli.serve``)."""
    return lambda port: [*REGISTRY, "serve", "--port", str(port), "--workers", str(workers)]


def raw_server(workers: int = HTTP_WORKERS) -> Callable[[int], list[str]]:
    """The bare FastAPI baseline (``bench.raw_server``) with the same uvicorn settings."""
    return lambda port: [sys.executable, "-m", "bench.raw_server", "--port", str(port), "--workers", str(workers)]


@contextmanager
def serving(
    bench: Bench,
    command: Callable[[int], list[str]] | None = None,
    log_name: str = "serve.log",
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A server (by default ``registry serve``) on a free port, up and answering /health, stopped on exit.

    A server that does not come up is stopped and started once more on another port (a port taken
    meanwhile, a slow start on a loaded machine); if the second start fails too, the error carries the
    tail of both starts' logs, so a scenario that measured nothing says why.
    """
    failures: list[str] = []
    for attempt in range(START_ATTEMPTS):
        name = log_name if not attempt else log_name.replace(".log", f".retry{attempt}.log")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with (bench.logs / name).open("wb") as log:
            server = Child((command or registry_server())(port), bench.database_url, log, env)
            try:
                wait_until_up(base, server, name)
                wait_until_settled(server)
            except ServerDidNotStartError as error:
                server.stop()
                failures.append(f"{error}\n--- {name} (last lines) ---\n{log_tail(bench.logs / name)}")
                continue
            try:
                yield base
            finally:
                gone = server.poll()
                server.stop()
            if gone is not None:  # what it measured was no server (or another one on its port)
                msg = f"the server exited with code {gone.code} while it was being measured ({name})"
                raise ServerDidNotStartError(f"{msg}:\n{log_tail(bench.logs / name)}")
            return
    raise ServerDidNotStartError(f"the server did not start after {START_ATTEMPTS} attempts:\n" + "\n".join(failures))


START_ATTEMPTS = 2
LOG_TAIL_LINES = 30


class ServerDidNotStartError(RuntimeError):
    """A benchmark's server exited or did not answer /health in time."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


SETTLED_SECONDS = 1.0  # a server has settled once its processes used little CPU for this long…
SETTLED_CPU = 0.2  # …at most this many seconds of it (idle, ours uses about 0.05 s a second; a starting worker, 1)


def wait_until_settled(server: Child, timeout: float = 30) -> None:
    """After ``/health``: wait until the server's processes, every worker, have been all but idle a moment.

    The first worker up answers ``/health``; one still starting would miss the clients' connections, each of
    which stays with the worker that accepted it for the whole run. Past ``timeout`` the run goes on (the
    write scenario reports how the workers shared the work).
    """
    deadline, window = time.monotonic() + timeout, [(time.monotonic(), _cpu_of_tree(server.process.pid))]
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now, used = time.monotonic(), _cpu_of_tree(server.process.pid)
        window = [(t, u) for t, u in window if now - t <= SETTLED_SECONDS] + [(now, used)]
        if now - window[0][0] >= SETTLED_SECONDS * 0.9 and used - window[0][1] <= SETTLED_CPU:
            return


def _cpu_of_tree(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process below it."""
    processes, below, grown = cpu.snapshot(), {pid}, True
    while grown:
        found = {child for child, process in processes.items() if process.parent in below}
        grown = not found <= below
        below |= found
    return sum(processes[p].seconds for p in below if p in processes)


def wait_until_up(base: str, server: Child, log_name: str = "serve.log", timeout: float = 120) -> None:
    """Wait for ``/health`` to answer 200; raise ``ServerDidNotStartError`` if the server exits or stays silent."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if (done := server.poll()) is not None:
            raise ServerDidNotStartError(f"the server exited with code {done.code} during start-up ({log_name})")
        try:
            answer = httpx.get(f"{base}/health", timeout=5)
            if answer.status_code == 200 and server.poll() is None:  # ours, not another process on the port
                return
            last = f"/health answered {answer.status_code}"
        except httpx.TransportError as error:
            last = f"{type(error).__name__}"
        time.sleep(0.2)
    raise ServerDidNotStartError(f"the server did not answer /health within {timeout:.0f} s ({last}; {log_name})")

"""Instructions per recorded decision, in process: a measure of the write path that machine noise leaves alone.

Scenario c's rate moves by a tenth from one run to the next on a shared two-core
machine, more than most changes to the write path are worth. The instructions a
request costs do not: under valgrind's callgrind they repeat within 1%. So a
change to the write path is judged here first, against the same raw baseline
as c's, and the bench then says what it is worth in requests per second.

Three apps answer the same application body (``bench.throughput.APPLICATION``, a
new team per request), each driven in this process through its ASGI interface
by eight concurrent tasks (no server, no sockets, no load generator):

- ``ours``: the registry's app (``create_app``), ``POST /programs/{p}/teams``
  with an admin key, as c sends it (no inline projection);
- ``decision``: the same decision, ``Registry.submit_application`` from a bare
  FastAPI endpoint taking a plain dict: what the registry's HTTP layer adds is
  ``ours`` minus this;
- ``raw``: ``bench.raw_server``'s ``POST /rows`` (one INSERT and a COMMIT).

Each runs in a child process under callgrind with instrumentation off until its
warm-up is done; only the measured requests are counted (``callgrind_control``; the
start of the command that turns counting off is counted too, the same for all three).
Needs valgrind and a PostgreSQL database the benchmark may recreate::

    python -m bench.instructions [--requests 200] [--database-url postgresql://…]

``--no-valgrind`` runs the children as they are and reports their CPU time per
request instead (noisy; a smoke test of the harness).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench import database
from bench.base import create_events_like
from bench.raw_server import RAW_TABLE
from bench.throughput import APPLICATION, programme_spec

APPS = ("ours", "decision", "raw")
CONCURRENT = 8
WARM_UP = 100
PROGRAMME = "BENCH-INSTRUCTIONS"
TOTALS = re.compile(rb"^totals:\s+(\d+)", re.MULTILINE)

Message = MutableMapping[str, Any]
ASGI = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Any]


async def request(app: ASGI, path: str, body: bytes, headers: dict[str, str]) -> int:
    """One POST through the app's ASGI interface; the status it answered."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"host", b"bench"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent, statuses = False, []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))

    await app(scope, receive, send)
    return statuses[0]


class Driver:
    """Posts applications of new teams, ``CONCURRENT`` at a time; counts answers that are not 201."""

    def __init__(self, app: ASGI, path: str, headers: dict[str, str]) -> None:
        self.app, self.path, self.headers = app, path, headers
        self.sent, self.failed = 0, 0

    async def run(self, requests: int) -> None:
        target = self.sent + requests

        async def worker() -> None:
            while self.sent < target:
                self.sent += 1
                body = APPLICATION.replace("@N@", str(self.sent)).encode()
                if await request(self.app, self.path, body, self.headers) != 201:
                    self.failed += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENT)))


def _callgrind(on: bool) -> None:
    """Count instructions from now (on) or no more (off), if this process runs under callgrind."""
    if os.environ.get("BENCH_UNDER_CALLGRIND"):
        subprocess.run(
            ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
        )


async def _measure(app: ASGI, path: str, headers: dict[str, str], requests: int) -> tuple[float, int]:
    driver = Driver(app, path, headers)
    await driver.run(WARM_UP)
    _callgrind(on=True)
    started = time.process_time()
    await driver.run(requests)
    spent = time.process_time() - started
    _callgrind(on=False)
    return spent, driver.failed


async def child(which: str, database_url: str, requests: int) -> None:
    """Set up ``which`` over the (new, empty) database, measure it, print CPU seconds and failures."""
    if which == "raw":
        with psycopg.connect(database_url, autocommit=True) as conn:
            create_events_like(conn, RAW_TABLE)
        os.environ["BENCH_RAW_DATABASE_URL"] = database_url
        from bench.raw_server import create_app as raw_app

        raw = raw_app()
        async with raw.router.lifespan_context(raw):
            spent, failed = await _measure(raw, "/rows", {}, requests)
    else:
        spent, failed = await _registry(which, database_url, requests)
    print(orjson.dumps({"cpu_seconds": spent, "failed": failed}).decode())


async def _registry(which: str, database_url: str, requests: int) -> tuple[float, int]:
    from api.app import create_app
    from api.bootstrap import build
    from api.keys import create_key
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:  # the checkpoints' signing key, this run's own
        key_file = Path(scratch) / "signing.key"
        settings = Settings(database_url=database_url, inline_projections=False, signing_key_file=key_file)
        services = build(settings)
        admin = create_key(services, name="bench", role="admin", actor="bench").secret
        app = create_app(services=services)
        return await _drive_registry(which, app, services, admin, requests)


async def _drive_registry(which: str, app: Any, services: Any, admin: str, requests: int) -> tuple[float, int]:
    from domain.access import Principal

    headers = {"authorization": f"Bearer {admin}"}
    async with app.router.lifespan_context(app):
        opened = await request(app, "/programs", orjson.dumps(programme_spec(PROGRAMME)), headers)
        if opened != 201:
            raise RuntimeError(f"could not open {PROGRAMME}: {opened}")
        if which == "ours":
            return await _measure(app, f"/programs/{PROGRAMME}/teams", headers, requests)
        principal = services.registry.authenticate(admin)
        assert isinstance(principal, Principal)
        return await _measure(_bare(services, principal), f"/programs/{PROGRAMME}/teams", {}, requests)


def _bare(services: Any, principal: Any) -> ASGI:
    """A bare FastAPI endpoint deciding an application from a plain dict: no key check, model or reply."""
    from fastapi import FastAPI

    from domain.commands import SubmitApplication

    bare = FastAPI()

    @bare.post("/programs/{program}/teams", status_code=201)
    def submit(program: str, body: dict[str, Any]) -> dict[str, Any]:
        command = SubmitApplication(
            program_code=program,
            team_code=body["team_code"],
            name_ko=body["name_ko"],
            name_en=body["name_en"],
            lead_organisation=body["lead_organisation"],
            members=body["members"],
            contact=body["contact"],
        )
        recorded = services.registry.submit_application(_context(principal.label, body["reason"]), command)
        return {"position": recorded.position}

    return bare


def _context(actor: str, reason: str = "") -> Any:
    from domain.registry import Context

    return Context(actor=actor, reason=reason)


def measure(which: str, database_url: str, requests: int, *, valgrind: bool) -> tuple[float, dict[str, Any]]:
    """Run ``which`` in a child (under callgrind if ``valgrind``); (instructions or CPU ms per request, its report)."""
    database.recreate(database_url)
    command = [sys.executable, "-m", "bench.instructions", "--child", which, "--requests", str(requests)]
    command += ["--database-url", database_url]
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        if valgrind:
            env["BENCH_UNDER_CALLGRIND"] = "1"
            command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *command]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{which} failed ({done.returncode}): {done.stderr[-2000:]}")
        report: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
        if report["failed"]:
            raise RuntimeError(f"{which}: {report['failed']} of {requests} requests were not answered 201")
        if not valgrind:
            return 1000 * report["cpu_seconds"] / requests, report
        found = TOTALS.search(b"".join(path.read_bytes() for path in Path(scratch).glob("callgrind.out*")))
        if found is None:
            raise RuntimeError(f"{which}: callgrind wrote no totals")
        return int(found[1]) / requests, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=database.url(f"{database.bench_database()}_instructions"))
    parser.add_argument("--no-valgrind", action="store_true", help="CPU time per request instead (noisy)")
    parser.add_argument("--child", choices=APPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.database_url, args.requests))
        return
    valgrind = not args.no_valgrind
    try:
        figures = {which: measure(which, args.database_url, args.requests, valgrind=valgrind)[0] for which in APPS}
    finally:
        database.drop(args.database_url)
    unit = "instructions per request" if valgrind else "ms of CPU per request (noisy)"
    for which, figure in figures.items():
        shown = f"{figure:,.0f}" if valgrind else f"{figure:.3f}"
        print(f"{which:9s} {shown:>12s} {unit}  ({figure / figures['raw']:.2f}x raw)")


if __name__ == "__main__":
    main()

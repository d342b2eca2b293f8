"""i. Where the time goes: one recorded decision and one standings read, split into their steps.

An instrumented run in this process: the registry's app (``create_app``) is
driven through Starlette's ``TestClient`` (no uvicorn, no sockets), after each
step's function has been wrapped with a timer for the run only (the wrappers are
removed afterwards; nothing else changes). Each step's figure is its mean time
per request, so the steps and "the rest" add up to the request's mean time
(a key load happens inside the key check, on a cache miss: it is part of that step's time too).
"The rest" is everything not wrapped: routing, dependency injection, the request
and response models, middleware, the test client's thread hop.

On PostgreSQL a read that memory answers whole (``api.remembered``, the
watcher listening) costs no query: its key check and document are memory
look-ups, and "the rest" is the middleware around them.

Decision: ``POST /programs/{p}/teams`` with an Idempotency-Key (one new team per
request), with ``REGISTRY_INLINE_PROJECTIONS=false`` as in production (a runner
keeps the read models; the inline update step is then nothing). Read:
``GET /programs/{p}/standings`` of that programme afterwards.
Run on its own with ``python -m bench.steps DATABASE_URL`` (a PostgreSQL database
the registry may write to).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from api import guards, observability, receipts, remembered
from api.app import create_app
from api.bootstrap import Services
from api.keycache import KeyCache
from api.keys import create_key
from api.routes import programs, teams
from api.settings import Settings
from audit.checkpoints import Issuer
from bench.base import Bench, Result
from domain.candidacy import Candidacy
from domain.registry import Registry
from domain.service import DecisionService
from projections import documents, standings
from projections.projector import Projector

PROGRAMME = "BENCH-STEPS"
DECISIONS = {True: 20, False: 300}  # quick: full
READS = {True: 40, False: 500}
WARMUP = 5

INHERITED = object()  # the attribute came from a base class: remove the wrapper rather than set it
Target = tuple[object, str]  # (class or module, attribute)
DECISION_STEPS: list[tuple[str, list[Target]]] = [
    ("authentication (key check)", [(KeyCache, "authenticate")]),
    ("key loads (the cache's misses)", [(Registry, "authenticate")]),
    ("idempotency (receipt lookup)", [(DecisionService, "_receipt")]),
    ("loading aggregates", [(DecisionService, "program"), (DecisionService, "candidacy")]),
    ("deciding (the aggregate's rule)", [(Candidacy, "submit")]),
    ("append (events, receipt, chain)", [(Registry, "save")]),
    ("read-model update (inline)", [(Projector, "catch_up")]),
    ("audit hooks (receipt links, checkpoint)", [(receipts.ReceiptLinks, "__call__"), (Issuer, "after_save")]),
    ("reply (serialisation)", [(teams, "recorded_response")]),
    ("request context and body checks", [(teams, "context"), (guards, "malformed")]),
    ("metrics and request log", [(observability.ObserveRequests, "_finish"), (observability, "route_template")]),
]
READ_STEPS: list[tuple[str, list[Target]]] = [
    ("authentication (key check)", [(KeyCache, "authenticate"), (KeyCache, "known")]),
    ("key loads (the cache's misses)", [(Registry, "authenticate")]),
    ("remembered document (memory, api.remembered)", [(remembered, "remembered"), (programs, "remembered")]),
    ("stored document (one row)", [(documents, "current")]),
    ("standings from the rows (queries)", [(standings, "program_standings"), (documents, "computed")]),
    ("metrics and request log", [(observability.ObserveRequests, "_finish"), (observability, "route_template")]),
]


class Timers:
    """Seconds spent in each step, summed over every thread (FastAPI runs endpoints in a thread pool)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()

    def wrap(self, step: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[step] += time.perf_counter() - started

        return timed


@contextmanager
def instrumented(timers: Timers, steps: list[tuple[str, list[Target]]]) -> Iterator[None]:
    """Wrap each step's functions with a timer while the block runs; put the originals back after."""
    saved: list[tuple[object, str, Any]] = []
    try:
        for step, targets in steps:
            for owner, name in targets:
                if not hasattr(owner, name) or any(o is owner and n == name for o, n, _ in saved):
                    continue  # a step this version of the code does not have, or one wrapped already
                static = inspect.getattr_static(owner, name)
                saved.append((owner, name, vars(owner).get(name, INHERITED)))
                wrapped = timers.wrap(step, getattr(owner, name))
                setattr(owner, name, staticmethod(wrapped) if isinstance(static, classmethod) else wrapped)
        yield
    finally:
        for owner, name, original in reversed(saved):
            if original is INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


@dataclass(frozen=True)
class Breakdown:
    operation: str
    requests: int
    total_ms: float  # mean per request
    steps: dict[str, float]  # mean ms per request

    @property
    def rest_ms(self) -> float:
        nested = self.steps.get("key loads (the cache's misses)", 0.0)  # inside the key check, counted there
        return self.total_ms - sum(self.steps.values()) + nested


def measure(
    timers: Timers, steps: list[tuple[str, list[Target]]], count: int, request: Callable[[int], int]
) -> tuple[float, dict[str, float]]:
    for n in range(WARMUP):
        request(-1 - n)
    timers.reset()
    started = time.perf_counter()
    for n in range(count):
        if request(n) not in (200, 201):
            raise RuntimeError(f"request {n} of the step breakdown failed")
    took = time.perf_counter() - started
    return took * 1000 / count, {step: timers.seconds[step] * 1000 / count for step, _ in steps}


def breakdowns(database_url: str, quick: bool) -> list[Breakdown]:
    # As served in production and in scenario c: a runner keeps the read models, not the request.
    app = create_app(Settings(database_url=database_url, inline_projections=False))
    timers = Timers()
    # Wrapped before the app starts: it keeps some step functions (its after-save hooks) from then on.
    with instrumented(timers, DECISION_STEPS + READ_STEPS), TestClient(app) as client:
        services: Services = app.state.services
        admin = create_key(services, name="bench-steps", role="admin", actor="bench").secret
        headers = {"Authorization": f"Bearer {admin}"}
        from bench.throughput import APPLICATION, programme_spec

        opened = client.post("/programs", json=programme_spec(PROGRAMME), headers=headers)
        if opened.status_code not in (200, 201):
            raise RuntimeError(f"could not open {PROGRAMME}: {opened.status_code} {opened.text[:300]}")

        def decide(n: int) -> int:
            body = APPLICATION.replace("@N@", f"S{n + WARMUP}")
            keyed = {**headers, "Idempotency-Key": f"steps-{n}", "Content-Type": "application/json"}
            return client.post(f"/programs/{PROGRAMME}/teams", content=body, headers=keyed).status_code

        def read(_: int) -> int:
            return client.get(f"/programs/{PROGRAMME}/standings", headers=headers).status_code

        decision = measure(timers, DECISION_STEPS, DECISIONS[quick], decide)
        services.projector.catch_up()  # as the runner would have: the reads see every decision
        reading = measure(timers, READ_STEPS, READS[quick], read)
    return [
        Breakdown("decision", DECISIONS[quick], *decision),
        Breakdown("standings read", READS[quick], *reading),
    ]


def where_the_time_goes(bench: Bench) -> list[Result]:
    found = breakdowns(bench.database_url, bench.quick)
    rows: list[Result] = []
    for b in found:
        how = f"mean of {b.requests} requests in process (TestClient); see bench/steps.py"
        label = "i. where the time goes" if not rows else f"i. {b.operation}: total"
        rows.append(
            Result(label, f"{b.operation}, ms per request", f"{b.total_ms:.2f}", "—", None, "for the record", None, how)
        )
        for step, ms in [*b.steps.items(), ("the rest (framework, models, middleware)", b.rest_ms)]:
            share = ms / b.total_ms if b.total_ms else None
            rows.append(
                Result(
                    f"i. {b.operation}: {step}",
                    "ms per request (ratio: share)",
                    f"{ms:.2f}",
                    f"{b.total_ms:.2f}",
                    share,
                    "for the record",
                    None,
                    "",
                )
            )
    return rows


def main() -> None:
    for b in breakdowns(sys.argv[1], quick="--quick" in sys.argv):
        print(f"{b.operation}: {b.total_ms:.2f} ms per request (mean of {b.requests})")
        for step, ms in [*b.steps.items(), ("the rest", b.rest_ms)]:
            print(f"  {step:<45} {ms:7.2f} ms  {ms / b.total_ms:6.1%}")


if __name__ == "__main__":
    main()

"""Request-scoped dependencies: the services built at start-up, each decision's context, and a write's reply."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypedDict
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api import schemas
from api.bootstrap import Services
from api.problems import FastJSONResponse, ReadModelBehindError, ReadModelFailedError
from api.receipts import links_of
from api.schemas import Decision, RecordedResponse
from domain import errors
from domain.access import Principal
from domain.registry import Context, Recorded
from domain.values import CONTROL, Source, nfc
from projections import failures
from projections.as_of import Moment
from projections.encoding import iso, json_ready

POSITION_HEADER = "X-Log-Position"
MIN_POSITION_HEADER = "X-Min-Position"


def code_in_path(value: str, missing: type[errors.NotFoundError] = errors.ProgramNotFoundError) -> str:
    """A programme or team code from a URL, NFC like stored codes; one with control characters names nothing."""
    if CONTROL.search(value):
        raise missing(f"nothing is named {value!r}")
    return nfc(value)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    """No I/O, so it runs on the event loop: no trip to the thread pool (nor does any async dependency here).

    A dependency or route that does blocking I/O (a query, a read of the log) stays a plain ``def``, which
    FastAPI runs in its thread pool; the event loop never waits on the database.
    """
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


MinPosition = Annotated[
    int | None,
    Query(ge=0, le=2**62, description="Wait until the read models include this log position (from a write's answer)"),
]


async def wait_for_position(request: Request, response: Response, min_position: MinPosition = None) -> None:
    """Read-your-writes: hold a read until the read models reach the caller's last write, for a bounded time.

    Never silently old: a read of a programme a read model stopped for (``projections.failures``) is refused
    with 503 ``read-model-failed``; a read across programmes names the stopped ones in ``Read-Model-Failed``.
    While the process's watcher listens (``projections.watch``), failures and positions come from its memory
    and a wait is on the event loop; otherwise they are queried, in the thread pool.
    """
    services = services_of(request)
    watcher = services.watcher
    stopped = watcher.failures() if watcher is not None else None
    if stopped is None:
        stopped = await run_in_threadpool(failures.listed, services.db)
    _refuse_failed(request, response, stopped)
    header = request.headers.get(MIN_POSITION_HEADER, "")
    wanted = min_position if min_position is not None else int(header) if header.isdigit() and len(header) < 19 else 0
    if not wanted:
        return
    lowest = watcher.lowest_position() if watcher is not None else None
    if lowest is not None and lowest >= wanted:
        return  # positions never pass the log's head: no need to look at it
    deadline = time.monotonic() + services.settings.read_wait
    await run_in_threadpool(_known_position, services, wanted)
    if watcher is not None:
        reached = await watcher.reached(wanted, max(0.0, deadline - time.monotonic()))
        if reached is False:
            raise ReadModelBehindError(f"the read models have not reached position {wanted} yet")
        if reached:
            return
    await run_in_threadpool(_wait_in_thread, services, wanted, deadline)  # no watcher, or it lost its connection


def _known_position(services: Services, wanted: int) -> None:
    if wanted > services.projector.head():
        raise errors.PositionNotFoundError(f"min_position {wanted} is beyond the last recorded event")


def _wait_in_thread(services: Services, wanted: int, deadline: float) -> None:
    while min(services.projector.positions().values()) < wanted:
        if time.monotonic() > deadline:
            raise ReadModelBehindError(f"the read models have not reached position {wanted} yet")
        time.sleep(0.02)


FAILED_HEADER = "Read-Model-Failed"


def failures_of(stopped: list[dict[str, Any]], program: str) -> list[dict[str, Any]]:
    """The failures (``projections.failures``) that stopped a read model for the programme named in a path."""
    return [f for f in stopped if f["program_code"] == nfc(program)]


def _refuse_failed(request: Request, response: Response, stopped: list[dict[str, Any]]) -> None:
    if not stopped:
        return
    program = request.path_params.get("program")
    if program is None:
        response.headers[FAILED_HEADER] = ", ".join(sorted({quote(f["program_code"]) for f in stopped}))
        return
    own = failures_of(stopped, program)
    if own:
        first = own[0]
        raise ReadModelFailedError(
            f"read model {first['name']} stopped for programme {first['program_code']!r} at log position"
            f" {first['position']} ({first['error']}); its reads would be out of date until a rebuild",
            own,
        )


Consistent = Annotated[None, Depends(wait_for_position)]


@dataclass(frozen=True)
class AskedMoment(Moment):
    """The moment a read asked for, and the server's clock when it was asked: what "now" meant for it."""

    now: datetime | None = None


async def moment(
    services: ServicesDep,
    as_of: Annotated[
        schemas.QueryMoment | None, Query(description="Effective time: count decisions that took effect by then")
    ] = None,
    known_at: Annotated[
        schemas.QueryMoment | None, Query(description="Recorded time: count only what the registry knew by then")
    ] = None,
) -> AskedMoment:
    """Both optional (default: now); an event counts if effective_at <= as_of and recorded_at <= known_at."""
    return AskedMoment(as_of, known_at, now=services.clock())


When = Annotated[AskedMoment, Depends(moment)]


def answered_for(when: Moment) -> dict[str, str | None]:
    """The two times a response answers for, echoed in its body; a time not given is the moment of the request."""
    now = when.now if isinstance(when, AskedMoment) else None
    as_of, known_at = when.as_of or now, when.known_at or now
    return {"as_of": None if as_of is None else iso(as_of), "known_at": None if known_at is None else iso(known_at)}


def request_id(request: Request) -> str:
    """The id the RequestId middleware gave this request."""
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex)


def _expected_version(request: Request) -> int | None:
    """The version named by If-Match (``"12"``); ``*`` or no header means any version."""
    given = request.headers.get("if-match", "").strip()
    if not given or given == "*":
        return None
    # A standings ETag is "version.position.n" (api.stored); the version is what a decision is guarded by.
    tag = given.removeprefix("W/").strip('"').partition(".")[0]
    if not tag.isdigit() or len(tag) > 18:
        raise errors.PreconditionFailedError(f"If-Match {given!r} is not an ETag this registry issued")
    return int(tag)


def context(request: Request, who: Principal, body: Decision) -> Context:
    """The decision's context: the authenticated actor, the request's ids and safeguards."""
    idempotency_key = request.headers.get("idempotency-key", "")
    if len(idempotency_key) > 200:
        raise errors.InvalidValueError("Idempotency-Key is longer than 200 characters")
    return Context(
        actor=who.label,
        effective_at=body.effective_at,
        reason=body.reason,
        correlation_id=request_id(request),
        idempotency_key=idempotency_key,
        fingerprint=_fingerprint(request, body) if idempotency_key else "",  # only a receipt keeps one
        expected_version=_expected_version(request),
        sources=tuple(Source.make(title=s.title, url=s.url or "", document=s.document or "") for s in body.sources),
    )


def _fingerprint(request: Request, body: Decision) -> str:
    """A digest of the request, kept with an idempotency receipt: the same key with another request is refused."""
    return hashlib.sha256(
        f"{request.method} {request.url.path}\n".encode() + body.model_dump_json().encode()
    ).hexdigest()


class WriteRoute(TypedDict):
    """How a decision's route is documented: 201 with what it recorded, or 200 when nothing changed."""

    response_model: type[RecordedResponse]
    status_code: int
    responses: dict[int | str, dict[str, Any]]


def write_route(nothing_changed: str | None = None) -> WriteRoute:
    """The route arguments of a decision; ``nothing_changed`` describes its 200 answer (default: "OK")."""
    unchanged: dict[str, Any] = {"model": RecordedResponse}
    if nothing_changed is not None:
        unchanged["description"] = nothing_changed
    return {"response_model": RecordedResponse, "status_code": 201, "responses": {200: unchanged}}


def recorded_response(outcome: Recorded, result: dict[str, Any] | None = None) -> FastJSONResponse:
    """201 with the new events and the log position; 200 when the decision changed nothing.

    Only the reply: counting the events and updating read models are the registry's after-save hooks.
    Each event carries its receipt fields (leaf index, event hash) that the ``ReceiptLinks`` hook found.
    The body is ``RecordedResponse`` as JSON, built as plain data: every value is already of its JSON type,
    so building and dumping the model only checked what was built here (about 80,000 instructions a
    decision, measured with callgrind). A test holds the reply to the model.
    """
    links = links_of(outcome)
    body = {
        "position": outcome.position,
        "events": [
            {
                "position": position,
                "type": event.type_name,
                "stream_id": event.originator_id.hex,
                "version": event.originator_version,
                "effective_at": iso(event.effective_at),
                "recorded_at": iso(event.recorded_at),
                "actor": event.actor,
                "reason": event.reason,
                "correlation_id": event.correlation_id,
                "rules_version": event.rules_version,
                "sources": [dict(source) for source in event.sources],
                "data": json_ready(event.payload()),
                "leaf_index": None if link is None else link.leaf,
                "event_hash": None if link is None else link.hash,
            }
            for position, event in zip(outcome.positions, outcome.events, strict=True)
            for link in (links.get(position),)
        ],
        "result": json_ready(result or {}),
    }
    headers = {} if outcome.position is None else {POSITION_HEADER: str(outcome.position)}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return FastJSONResponse(body, status_code=201 if outcome.events else 200, headers=headers)

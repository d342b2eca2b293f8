"""Read-only routes: history, health, and the documentation of problem types."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from api import schemas
from api.auth import Reader
from api.bootstrap import Services
from api.deps import Consistent, ServicesDep, When, answered_for, code_in_path
from api.problems import problem_types, problem_types_json
from api.schemas import API_PROBLEMS, Health, HistoryPage
from api.schemas.values import TEXT_PATTERN
from domain import errors
from domain.values import CONTROL, nfc
from projections import failures, history, standings
from projections.as_of import Moment
from projections.runner import status

router = APIRouter(responses=API_PROBLEMS)
EventType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z]{1,63}$")]
Bound = Annotated[schemas.Moment | None, Query(description="ISO 8601 with time zone")]


async def history_filter(
    team: Annotated[
        str | None,
        Query(max_length=64, description="Only this team's events", json_schema_extra={"pattern": TEXT_PATTERN}),
    ] = None,
    type: Annotated[
        list[EventType] | None, Query(max_length=30, description="Only these event types, e.g. TeamAdvanced")
    ] = None,
    effective_from: Bound = None,
    effective_to: Bound = None,
    recorded_from: Bound = None,
    recorded_to: Bound = None,
    rules_version: Annotated[
        int | None, Query(ge=0, le=10**6, description="Only decisions judged under this rules version")
    ] = None,
) -> history.HistoryFilter:
    if any(CONTROL.search(value) for value in [team or "", *(type or [])]):
        raise errors.InvalidValueError("history filters cannot contain control characters")
    return history.HistoryFilter(
        None,
        None if team is None else nfc(team),
        tuple(type or ()),
        effective_from,
        effective_to,
        recorded_from,
        recorded_to,
        rules_version,
    )


Filter = Annotated[history.HistoryFilter, Depends(history_filter)]
Cursor = Annotated[int, Query(ge=0, le=2**62, description="`next_cursor` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _page(services: ServicesDep, where: history.HistoryFilter, when: Moment, cursor: int, limit: int) -> dict[str, Any]:
    """History as of an effective time and as known at a recorded time: the same rule as the standings."""
    bounded = replace(
        where,
        effective_to=_earlier(where.effective_to, when.as_of),
        recorded_to=_earlier(where.recorded_to, when.known_at),
    )
    rows, next_cursor = history.page(services.db, bounded, after=cursor, limit=limit)
    return {"events": rows, "next_cursor": next_cursor, **answered_for(when)}


def _earlier(first: datetime | None, second: datetime | None) -> datetime | None:
    return min((t for t in (first, second) if t is not None), default=None)


@router.get("/programs/{program}/history", response_model=HistoryPage, tags=["history"], summary="A programme's events")
def program_history(
    program: str,
    services: ServicesDep,
    _: Reader,
    __: Consistent,
    where: Filter,
    when: When,
    cursor: Cursor = 0,
    limit: Limit = 100,
) -> dict[str, Any]:
    program = code_in_path(program)
    if not standings.program_exists(services.db, program):
        raise errors.ProgramNotFoundError(f"no programme {program!r}")
    return _page(services, replace(where, program_code=program), when, cursor, limit)


EXPORT_COLUMNS = (
    "position",
    "program_code",
    "team_code",
    "event_type",
    "effective_at",
    "recorded_at",
    "actor",
    "reason",
    "correlation_id",
    "originator_id",
    "originator_version",
    "data",
    "rules_version",
    "sources",
)


@router.get(
    "/programs/{program}/history/export",
    tags=["history"],
    summary="A programme's events as CSV or JSON Lines, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_history(
    program: str,
    services: ServicesDep,
    _: Reader,
    __: Consistent,
    where: Filter,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl")] = "jsonl",
) -> StreamingResponse:
    program = code_in_path(program)
    if not standings.program_exists(services.db, program):
        raise errors.ProgramNotFoundError(f"no programme {program!r}")
    lines = _export_lines(services, replace(where, program_code=program), format)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    # RFC 6266/5987: codes may be Korean, and headers are Latin-1, so the name travels percent-encoded.
    disposition = f"attachment; filename=\"history.{format}\"; filename*=UTF-8''{quote(f'{program}-history.{format}')}"
    return StreamingResponse(lines, media_type=media, headers={"Content-Disposition": disposition})


def _export_lines(services: ServicesDep, where: history.HistoryFilter, format: str) -> Iterator[bytes]:
    """Page through the history with the stable cursor, so memory stays constant however long it is."""
    if format == "csv":
        yield _csv_row(EXPORT_COLUMNS)
    cursor: int | None = 0
    while cursor is not None:
        rows, cursor = history.page(services.db, where, after=cursor, limit=1000)
        for row in rows:
            if format == "csv":
                yield _csv_row(
                    [orjson.dumps(row[c]).decode() if c in ("data", "sources") else row[c] for c in EXPORT_COLUMNS]
                )
            else:
                yield orjson.dumps(row) + b"\n"


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` to read as text (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return "" if value is None else value


def _csv_row(values: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([inert_cell(v) for v in values])
    return buffer.getvalue().encode()


@router.get("/history", response_model=HistoryPage, tags=["history"], summary="Every programme's events")
def all_history(
    services: ServicesDep, _: Reader, __: Consistent, where: Filter, when: When, cursor: Cursor = 0, limit: Limit = 100
) -> dict[str, Any]:
    return _page(services, where, when, cursor, limit)


@router.get("/health", response_model=Health, tags=["operations"], summary="Liveness and read-model positions")
async def health(services: ServicesDep) -> dict[str, Any]:
    # One trip to the thread pool for the queries; the reply is then checked against Health on the event loop.
    return await run_in_threadpool(_health, services)


def _health(services: Services) -> dict[str, Any]:
    report = status(services.projector, services.clock())
    return {
        "status": "ok",
        "log_head": report[0]["head"],
        "projections": report,
        "failures": failures.listed(services.db),
    }


@router.get(
    "/problems", response_model=dict[str, str], tags=["operations"], summary="Every problem type and what it means"
)
async def problems() -> Response:
    return Response(problem_types_json(), media_type="application/json")


@router.get("/problems/{code}", tags=["operations"], summary="What one problem type means")
async def problem_type(code: str) -> dict[str, str]:
    known = problem_types()
    if code not in known:
        raise errors.NotFoundError(f"no problem type {code!r}")
    return {"type": f"/problems/{code}", "description": known[code]}

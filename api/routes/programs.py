"""Programme-level decisions and reads: open, budgets, re-entry rounds, finalists, standings, funding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import Admin, Reader, Recorder
from api.bootstrap import Services
from api.deps import (
    AskedMoment,
    Consistent,
    ServicesDep,
    When,
    answered_for,
    code_in_path,
    context,
    recorded_response,
    write_route,
)
from api.problems import FastJSONResponse
from api.schemas import (
    API_PROBLEMS,
    FundingResponse,
    IncreaseBudgetRequest,
    OpenProgramRequest,
    OpenReEntryRoundRequest,
    ProgramSummary,
    SelectFinalistsRequest,
    StandingsResponse,
)
from api.schemas.decisions import FINALISTS_FIT, ROUND_CLOSES_AFTER_OPENING, STAGE_CODES_UNIQUE
from api.schemas.service import cross_field_rules
from api.stored import NOT_MODIFIED, building, loaded, remembered, stored_reply
from domain import errors
from domain.commands import IncreaseBudget, OpenProgram, OpenReEntryRound, SelectFinalists
from projections import documents, funding, standings
from projections.as_of import read_store

router = APIRouter(prefix="/programs", tags=["programmes"], responses=API_PROBLEMS)
WRITE = write_route()


@router.get("", response_model=list[ProgramSummary], summary="List programmes")
def list_programs(services: ServicesDep, _: Reader, __: Consistent) -> list[dict[str, object]]:
    return standings.list_programs(services.db)


# OpenAPI links: what a client (or a stateful test) can do next with the programme it just opened.
OPENED_LINKS = {
    "GetStandings": {"operationId": "get_standings_programs__program__get",
                     "parameters": {"program": "$request.body#/program_code"}},
    "GetFunding": {"operationId": "get_funding_programs__program__funding_get",
                   "parameters": {"program": "$request.body#/program_code"}},
    "SubmitApplication": {"operationId": "submit_application_programs__program__teams_post",
                          "parameters": {"program": "$request.body#/program_code"}},
}  # fmt: skip


@router.post(
    "",
    **WRITE,
    summary="Open a programme",
    openapi_extra={
        "responses": {
            "201": {"links": OPENED_LINKS},
            **cross_field_rules(FINALISTS_FIT, STAGE_CODES_UNIQUE)["responses"],
        }
    },
)
def open_program(body: OpenProgramRequest, request: Request, who: Admin, services: ServicesDep) -> FastJSONResponse:
    command = OpenProgram(
        program_code=body.program_code,
        title_ko=body.title_ko,
        title_en=body.title_en,
        agency=body.agency,
        stages=[s.model_dump() for s in body.stages],
        budgets=body.budgets,
        finalist_count=body.finalist_count,
    )
    return recorded_response(services.registry.open_program(context(request, who, body), command))


UNCHANGED: dict[int | str, dict[str, Any]] = {
    NOT_MODIFIED: {"description": "Not modified: If-None-Match names the present standings' ETag"}
}


@router.get(
    "/{program}",
    response_model=StandingsResponse,
    summary="A programme and its standings",
    responses=UNCHANGED,
)
@router.get(
    "/{program}/standings",
    response_model=StandingsResponse,
    summary="Standings per stage",
    responses=UNCHANGED,
)
async def get_standings(
    program: str, services: ServicesDep, _: Reader, __: Consistent, when: When, request: Request
) -> Response:
    """As of an effective time and as known at a recorded time (both default to now).

    The present view comes from the programme's stored document when it is current, and carries an
    ETag (``"version.position.n"``): If-None-Match with it answers 304 while nothing changed; If-Match
    with it guards a programme-level decision by the programme's version.
    """
    if when.latest and (document := remembered(services, code_in_path(program), when.now or services.clock())):
        return stored_reply(request, document.etag, document.body, answered_for(when))  # from memory: no I/O
    # The reads in one trip to the thread pool; a reply built here is checked on the event loop, not in another.
    return await run_in_threadpool(_standings, program, services, when, request)


def _standings(program: str, services: Services, when: AskedMoment, request: Request) -> Response:
    code = code_in_path(program)
    now = when.now or services.clock()
    if when.latest:
        return present_standings(request, services, code, now, answered_for(when))
    with read_store(services.registry, services.db, when, code) as source:
        found = standings.program_standings(source.db, code, when.as_of or now, source.position)
    if found is None:
        raise errors.ProgramNotFoundError(f"no programme {program!r} at that time")
    return FastJSONResponse({**found, **answered_for(when)})  # as the present's answers: the rows' own JSON


def present_standings(
    request: Request, services: Services, code: str, now: datetime, times: dict[str, str | None]
) -> Response:
    document = loaded(services, code, now)
    if document is not None:
        return stored_reply(request, document.etag, document.body, times)
    with building(code, services.db.dialect):  # none kept, or the clock overtook it: one reader builds it
        document = loaded(services, code, now)  # stored by the reader this one waited for
        if document is not None:
            return stored_reply(request, document.etag, document.body, times)
        found = documents.computed(services.db, code, now, fill=True)
    if found is None:
        raise errors.ProgramNotFoundError(f"no programme {code!r}")
    standings_now, position, judged = found
    tag = documents.etag(standings_now["version"], position, judged)
    return stored_reply(request, tag, orjson.dumps(standings_now), times)  # the bytes a document would hold


@router.get("/{program}/funding", response_model=FundingResponse, summary="Budgets, ledger and fairness")
def get_funding(program: str, services: ServicesDep, _: Reader, __: Consistent, when: When) -> dict[str, object]:
    code = code_in_path(program)
    with read_store(services.registry, services.db, when, code) as source:
        if not standings.program_exists(source.db, code, source.position):
            raise errors.ProgramNotFoundError(f"no programme {program!r}" + ("" if when.latest else " at that time"))
        return {**funding.program_funding(source.db, code, source.position), **answered_for(when)}


@router.post("/{program}/budget-increases", **WRITE, summary="Increase a resource budget")
def increase_budget(
    program: str, body: IncreaseBudgetRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = IncreaseBudget(program_code=program, resource=body.resource, amount=body.amount)
    return recorded_response(services.registry.increase_budget(context(request, who, body), command))


@router.post(
    "/{program}/re-entry-rounds",
    **WRITE,
    summary="Open a re-entry round",
    openapi_extra=cross_field_rules(ROUND_CLOSES_AFTER_OPENING),
)
def open_reentry_round(
    program: str, body: OpenReEntryRoundRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = OpenReEntryRound(
        program_code=program,
        stage=body.stage,
        seats=body.seats,
        eligibility=list(body.eligibility),
        opens_at=body.opens_at,
        closes_at=body.closes_at,
    )
    outcome = services.registry.open_reentry_round(context(request, who, body), command)
    return recorded_response(outcome, {"round": outcome.result})


@router.post("/{program}/finalists", **WRITE, summary="Choose the finalists")
def select_finalists(
    program: str, body: SelectFinalistsRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = SelectFinalists(program_code=program, teams=body.teams)
    return recorded_response(services.registry.select_finalists(context(request, who, body), command))

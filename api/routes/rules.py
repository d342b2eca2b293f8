"""How a programme is run over time: announced before its call, calls for applications, stages added and amended.

An announcement is ``POST /announcements``, not a path under ``/programs``: there a literal segment would share
its path with ``GET /programs/{program}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import Admin, Recorder
from api.deps import ServicesDep, context, recorded_response, write_route
from api.problems import FastJSONResponse
from api.schemas import (
    API_PROBLEMS,
    AddStageRequest,
    AmendStageRequest,
    AnnounceProgramRequest,
    MoveCallRequest,
    OpenCallRequest,
)
from api.schemas.decisions import CALL_CLOSES_AFTER_OPENING, FINALISTS_FIT, STAGE_CODES_UNIQUE
from api.schemas.service import cross_field_rules
from api.schemas.values import StageInPath
from domain.commands import AddStage, AmendStage, AnnounceProgram, CloseCallEarly, ExtendCall, OpenCall

router = APIRouter(tags=["programmes"], responses=API_PROBLEMS)
WRITE = write_route()
UNCHANGED = write_route("Nothing changed")


def _stage(body: AddStageRequest | AmendStageRequest) -> dict[str, object]:
    return {
        "name": body.name,
        "seats": body.seats,
        "criteria": [c.model_dump() for c in body.criteria],
        "gates": list(body.gates),
    }


@router.post(
    "/announcements",
    **WRITE,
    summary="Announce a programme before its call",
    openapi_extra=cross_field_rules(FINALISTS_FIT, STAGE_CODES_UNIQUE),
)
def announce_program(
    body: AnnounceProgramRequest, request: Request, who: Admin, services: ServicesDep
) -> FastJSONResponse:
    command = AnnounceProgram(
        program_code=body.program_code,
        title_ko=body.title_ko,
        title_en=body.title_en,
        agency=body.agency,
        stages=[s.model_dump() for s in body.stages],
        budgets=body.budgets,
        finalist_count=body.finalist_count,
    )
    return recorded_response(services.registry.announce_program(context(request, who, body), command))


@router.post(
    "/programs/{program}/stages",
    **WRITE,
    summary="Add a stage after the last one (a new rules version)",
    openapi_extra=cross_field_rules(STAGE_CODES_UNIQUE),
)
def add_stage(
    program: str, body: AddStageRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    outcome = services.registry.add_stage(
        context(request, who, body), AddStage(program_code=program, stage=_stage(body))
    )
    return recorded_response(outcome, {"stage": outcome.result})


@router.post(
    "/programs/{program}/stages/{stage}/amendments",
    **UNCHANGED,
    summary="Amend a stage before it is used (a new rules version)",
    openapi_extra=cross_field_rules(STAGE_CODES_UNIQUE),
)
def amend_stage(
    program: str, stage: StageInPath, body: AmendStageRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = AmendStage(program_code=program, index=stage, stage=_stage(body))
    return recorded_response(services.registry.amend_stage(context(request, who, body), command))


@router.post(
    "/programs/{program}/calls",
    **WRITE,
    summary="Open a call for applications to a stage",
    openapi_extra=cross_field_rules(CALL_CLOSES_AFTER_OPENING),
)
def open_call(
    program: str, body: OpenCallRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = OpenCall(program_code=program, stage=body.stage, opens_at=body.opens_at, closes_at=body.closes_at)
    return recorded_response(services.registry.open_call(context(request, who, body), command))


@router.post("/programs/{program}/calls/{stage}/extensions", **UNCHANGED, summary="Extend a call's closing time")
def extend_call(
    program: str, stage: StageInPath, body: MoveCallRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ExtendCall(program_code=program, stage=stage, closes_at=body.closes_at)
    return recorded_response(services.registry.extend_call(context(request, who, body), command))


@router.post(
    "/programs/{program}/calls/{stage}/early-closures", **UNCHANGED, summary="Close a call before its closing time"
)
def close_call_early(
    program: str, stage: StageInPath, body: MoveCallRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = CloseCallEarly(program_code=program, stage=stage, closes_at=body.closes_at)
    return recorded_response(services.registry.close_call_early(context(request, who, body), command))

"""Re-entry rounds as open calls: the window moved, applications, statements without an offer, and the round's view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.auth import Reader, Recorder
from api.deps import Consistent, ServicesDep, When, answered_for, code_in_path, context, recorded_response, write_route
from api.problems import FastJSONResponse
from api.schemas import API_PROBLEMS, ApplyToRoundRequest, MoveRoundRequest, ReEntryRoundResponse, StatementRequest
from domain import errors
from domain.commands import ApplyToRound, CloseReEntryRoundEarly, ExtendReEntryRound, StateOnRound
from projections import standings
from projections.as_of import read_store

router = APIRouter(prefix="/programs/{program}/re-entry-rounds", tags=["programmes"], responses=API_PROBLEMS)
WRITE = write_route()
UNCHANGED = write_route("Nothing changed")
ReEntryNumber = Annotated[int, Path(ge=1, le=10_000, description="The re-entry round's number, from 1")]


@router.get("/{number}", response_model=ReEntryRoundResponse, summary="A re-entry round: window, offers, applications")
def get_reentry_round(
    program: str, number: ReEntryNumber, services: ServicesDep, _: Reader, __: Consistent, when: When
) -> dict[str, object]:
    """The round's window (and its last change), seats, offers, applications and statements, as of a moment."""
    code = code_in_path(program)
    with read_store(services.registry, services.db, when, code) as source:
        found = standings.program_standings(source.db, code, when.as_of or services.clock(), source.position)
    later = "" if when.latest else " at that time"
    if found is None:
        raise errors.ProgramNotFoundError(f"no programme {program!r}{later}")
    rounds = [r for r in found["rounds"] if r["round"] == number]
    if not rounds:
        raise errors.RoundNotFoundError(f"programme {program!r} has no re-entry round {number}{later}")
    return {**rounds[0], **answered_for(when)}


@router.post("/{number}/extensions", **UNCHANGED, summary="Extend a re-entry round's closing time (with a reason)")
def extend_reentry_round(
    program: str, number: ReEntryNumber, body: MoveRoundRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ExtendReEntryRound(program_code=program, round_number=number, closes_at=body.closes_at)
    return recorded_response(services.registry.extend_reentry_round(context(request, who, body), command))


@router.post("/{number}/early-closures", **UNCHANGED, summary="Close a re-entry round early (with a reason)")
def close_reentry_round_early(
    program: str, number: ReEntryNumber, body: MoveRoundRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = CloseReEntryRoundEarly(program_code=program, round_number=number, closes_at=body.closes_at)
    return recorded_response(services.registry.close_reentry_round_early(context(request, who, body), command))


@router.post("/{number}/applications", **WRITE, summary="A team applies to the round (a new entrant too)")
def apply_to_round(
    program: str,
    number: ReEntryNumber,
    body: ApplyToRoundRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    command = ApplyToRound(
        program_code=program,
        team_code=body.team_code,
        round_number=number,
        lead_organisation=body.lead_organisation,
        members=body.members,
        name_ko=body.name_ko or "",
        name_en=body.name_en or "",
        contact=body.contact,
    )
    return recorded_response(services.registry.apply_to_round(context(request, who, body), command))


@router.post("/{number}/statements", **WRITE, summary="What a team said about the round without an offer")
def state_on_round(
    program: str, number: ReEntryNumber, body: StatementRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = StateOnRound(
        program_code=program, team_code=body.team_code, round_number=number, kind=body.kind, form=body.form
    )
    outcome = services.registry.state_on_round(context(request, who, body), command)
    return recorded_response(outcome, {"statement": outcome.result})

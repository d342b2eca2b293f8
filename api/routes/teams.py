"""Decisions about one team in a programme, and its record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from api.auth import Reader, Recorder
from api.bootstrap import Services
from api.deps import Consistent, ServicesDep, When, answered_for, code_in_path, context, fields, recorded
from api.problems import FastJSONResponse
from api.schemas import (
    AdvanceTeamRequest,
    AmendEvaluationRequest,
    ChangeConsortiumRequest,
    Decision,
    EliminateTeamRequest,
    GrantFundingRequest,
    OfferReEntryRequest,
    RecordedResponse,
    RecordEvaluationRequest,
    ReturnFundingRequest,
    SubmitApplicationRequest,
    TeamRecordResponse,
)
from domain import errors
from domain.access import Principal
from projections import funding, standings
from projections.as_of import read_store

router = APIRouter(prefix="/programs/{program}/teams", tags=["teams"])
WRITE: dict[str, Any] = {
    "response_model": RecordedResponse,
    "status_code": 201,
    "responses": {200: {"model": RecordedResponse, "description": "Nothing changed"}},
}


def _team_decision(
    services: Services,
    request: Request,
    who: Principal,
    body: Decision,
    command: Callable[..., Any],
    *args: Any,
    **extra: Any,
) -> FastJSONResponse:
    outcome = command(context(request, who, body), *args, **fields(body), **extra)
    return recorded(services, outcome)


@router.post("", **WRITE, summary="Submit an application (creates the team in the programme)")
def submit_application(
    program: str, body: SubmitApplicationRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.submit_application, program)


@router.get("/{team}", response_model=TeamRecordResponse, summary="A team's record in the programme")
def get_team(
    program: str, team: str, services: ServicesDep, _: Reader, __: Consistent, when: When, response: Response
) -> dict[str, Any]:
    """As of an effective time and as known at a recorded time (both default to now).

    The ETag of the present view is the team's version; send it back in If-Match to guard a decision
    about the team.
    """
    program, team = code_in_path(program), code_in_path(team, errors.TeamNotFoundError)
    now = when.as_of or services.clock()
    with read_store(services.registry, services.db, when, program) as source:
        if not standings.program_exists(source.db, program, source.position):
            raise errors.ProgramNotFoundError(f"no programme {program!r}" + ("" if when.latest else " at that time"))
        record = standings.team_record(source.db, program, team, now, source.position)
        if record is None:
            raise errors.TeamNotFoundError(f"no team {team!r} in programme {program!r}")
        ledger = funding.program_funding(source.db, program, source.position)["teams"]
    if when.latest:
        response.headers["ETag"] = f'"{record["version"]}"'
    return {**record, "funding": [line for line in ledger if line["team_code"] == team], **answered_for(when)}


@router.post("/{team}/consortium-changes", **WRITE, summary="Members joined or left the consortium")
def change_consortium(
    program: str, team: str, body: ChangeConsortiumRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.change_consortium, program, team)


@router.post("/{team}/evaluations", **WRITE, summary="Record an evaluation")
def record_evaluation(
    program: str, team: str, body: RecordEvaluationRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.record_evaluation, program, team)


@router.post("/{team}/evaluations/{evaluation}/amendments", **WRITE, summary="Amend an evaluation")
def amend_evaluation(
    program: str,
    team: str,
    evaluation: int,
    body: AmendEvaluationRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    return _team_decision(
        services, request, who, body, services.registry.amend_evaluation, program, team, evaluation=evaluation
    )


@router.post("/{team}/advancements", **WRITE, summary="Advance the team to a stage (takes a seat)")
def advance_team(
    program: str, team: str, body: AdvanceTeamRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.advance_team, program, team)


@router.post("/{team}/eliminations", **WRITE, summary="Eliminate the team (provisional until upheld or the deadline)")
def eliminate_team(
    program: str, team: str, body: EliminateTeamRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.eliminate_team, program, team)


@router.post("/{team}/elimination/upheld", **WRITE, summary="Uphold the team's elimination after objection")
def uphold_elimination(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.uphold_elimination, program, team)


@router.post("/{team}/elimination/reversed", **WRITE, summary="Reverse the team's elimination after objection")
def reverse_elimination(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.reverse_elimination, program, team)


@router.post("/{team}/offers", **WRITE, summary="Offer the team re-entry through a round")
def offer_reentry(
    program: str, team: str, body: OfferReEntryRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    outcome = services.registry.offer_reentry(
        context(request, who, body), program, team, round_number=body.round, deadline=body.deadline
    )
    return recorded(services, outcome, {"offer": outcome.result})


@router.post("/{team}/offers/{offer}/acceptance", **WRITE, summary="The team accepts the offer (takes a seat)")
def accept_offer(
    program: str, team: str, offer: int, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.accept_offer, program, team, offer=offer)


@router.post("/{team}/offers/{offer}/declination", **WRITE, summary="The team declines the offer")
def decline_offer(
    program: str, team: str, offer: int, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.decline_offer, program, team, offer=offer)


@router.post("/{team}/withdrawal", **WRITE, summary="The team withdraws (frees its seat)")
def withdraw_team(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.withdraw_team, program, team)


@router.post("/{team}/grants", **WRITE, summary="Grant a resource within the remaining budget")
def grant_funding(
    program: str, team: str, body: GrantFundingRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.grant_funding, program, team)


@router.post("/{team}/returns", **WRITE, summary="The team returns resources to the budget")
def return_funding(
    program: str, team: str, body: ReturnFundingRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    return _team_decision(services, request, who, body, services.registry.return_funding, program, team)

"""Decisions about one team in a programme, and its record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.auth import Reader, Recorder
from api.deps import (
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
    AdvanceTeamRequest,
    AmendEvaluationRequest,
    ChangeConsortiumRequest,
    Decision,
    EliminateTeamRequest,
    GrantFundingRequest,
    OfferReEntryRequest,
    RecordEvaluationRequest,
    ReturnFundingRequest,
    SubmitApplicationRequest,
    TeamRecordResponse,
)
from api.schemas.decisions import DEADLINE_AFTER_ADVANCEMENT, DEADLINE_AFTER_ELIMINATION, GRANT_PERIOD_IN_ORDER
from api.schemas.service import cross_field_rules
from domain import errors
from domain.commands import (
    AcceptOffer,
    AdvanceTeam,
    AmendEvaluation,
    ChangeConsortium,
    DeclineOffer,
    EliminateTeam,
    GrantFunding,
    OfferReEntry,
    RecordEvaluation,
    ReturnFunding,
    ReverseElimination,
    SubmitApplication,
    UpholdElimination,
    WithdrawTeam,
)
from projections import funding, standings
from projections.as_of import read_store

router = APIRouter(prefix="/programs/{program}/teams", tags=["teams"], responses=API_PROBLEMS)
WRITE = write_route("Nothing changed")


def _team_link(operation: str) -> dict[str, object]:
    return {
        "operationId": operation,
        "parameters": {"program": "$request.path.program", "team": "$request.body#/team_code"},
    }


# OpenAPI links: what a client (or a stateful test) can do next with the team it just entered.
APPLIED_LINKS = {
    "GetTeam": _team_link("get_team_programs__program__teams__team__get"),
    "AdvanceTeam": _team_link("advance_team_programs__program__teams__team__advancements_post"),
    "RecordEvaluation": _team_link("record_evaluation_programs__program__teams__team__evaluations_post"),
}


@router.post(
    "",
    **WRITE,
    summary="Submit an application (creates the team in the programme)",
    openapi_extra={"responses": {"201": {"links": APPLIED_LINKS}}},
)
def submit_application(
    program: str, body: SubmitApplicationRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = SubmitApplication(
        program_code=program,
        team_code=body.team_code,
        name_ko=body.name_ko,
        name_en=body.name_en,
        lead_organisation=body.lead_organisation,
        members=body.members,
        stage=body.stage,
        excluded_resources=body.excluded_resources,
        contact=body.contact,
    )
    return recorded_response(services.registry.submit_application(context(request, who, body), command))


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
    command = ChangeConsortium(program_code=program, team_code=team, joined=body.joined, left=body.left)
    return recorded_response(services.registry.change_consortium(context(request, who, body), command))


@router.post("/{team}/evaluations", **WRITE, summary="Record an evaluation")
def record_evaluation(
    program: str, team: str, body: RecordEvaluationRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = RecordEvaluation(
        program_code=program,
        team_code=team,
        stage=body.stage,
        scores=body.scores,
        gates=body.gates,
        panel=body.panel,
    )
    return recorded_response(services.registry.record_evaluation(context(request, who, body), command))


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
    command = AmendEvaluation(
        program_code=program,
        team_code=team,
        evaluation=evaluation,
        scores=body.scores,
        gates=body.gates,
        panel=body.panel,
    )
    return recorded_response(services.registry.amend_evaluation(context(request, who, body), command))


@router.post(
    "/{team}/advancements",
    **WRITE,
    summary="Advance the team to a stage (takes a seat; provisional with a deadline)",
    openapi_extra=cross_field_rules(DEADLINE_AFTER_ADVANCEMENT),
)
def advance_team(
    program: str, team: str, body: AdvanceTeamRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = AdvanceTeam(
        program_code=program, team_code=team, to_stage=body.to_stage, objection_deadline=body.objection_deadline
    )
    return recorded_response(services.registry.advance_team(context(request, who, body), command))


@router.post(
    "/{team}/eliminations",
    **WRITE,
    summary="Eliminate the team (provisional until upheld or the deadline)",
    openapi_extra=cross_field_rules(DEADLINE_AFTER_ELIMINATION),
)
def eliminate_team(
    program: str, team: str, body: EliminateTeamRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = EliminateTeam(
        program_code=program,
        team_code=team,
        reason_code=body.reason_code,
        objection_deadline=body.objection_deadline,
    )
    return recorded_response(services.registry.eliminate_team(context(request, who, body), command))


@router.post("/{team}/elimination/upheld", **WRITE, summary="Uphold the team's elimination after objection")
def uphold_elimination(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = UpholdElimination(program_code=program, team_code=team)
    return recorded_response(services.registry.uphold_elimination(context(request, who, body), command))


@router.post("/{team}/elimination/reversed", **WRITE, summary="Reverse the team's elimination after objection")
def reverse_elimination(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ReverseElimination(program_code=program, team_code=team)
    return recorded_response(services.registry.reverse_elimination(context(request, who, body), command))


@router.post("/{team}/offers", **WRITE, summary="Offer the team re-entry through a round")
def offer_reentry(
    program: str, team: str, body: OfferReEntryRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = OfferReEntry(program_code=program, team_code=team, round_number=body.round, deadline=body.deadline)
    outcome = services.registry.offer_reentry(context(request, who, body), command)
    return recorded_response(outcome, {"offer": outcome.result})


@router.post("/{team}/offers/{offer}/acceptance", **WRITE, summary="The team accepts the offer (takes a seat)")
def accept_offer(
    program: str, team: str, offer: int, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = AcceptOffer(program_code=program, team_code=team, offer=offer)
    return recorded_response(services.registry.accept_offer(context(request, who, body), command))


@router.post("/{team}/offers/{offer}/declination", **WRITE, summary="The team declines the offer")
def decline_offer(
    program: str, team: str, offer: int, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = DeclineOffer(program_code=program, team_code=team, offer=offer)
    return recorded_response(services.registry.decline_offer(context(request, who, body), command))


@router.post("/{team}/withdrawal", **WRITE, summary="The team withdraws (frees its seat)")
def withdraw_team(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = WithdrawTeam(program_code=program, team_code=team)
    return recorded_response(services.registry.withdraw_team(context(request, who, body), command))


@router.post(
    "/{team}/grants",
    **WRITE,
    summary="Grant a resource within the remaining budget",
    openapi_extra=cross_field_rules(GRANT_PERIOD_IN_ORDER),
)
def grant_funding(
    program: str, team: str, body: GrantFundingRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = GrantFunding(
        program_code=program,
        team_code=team,
        resource=body.resource,
        quantity=body.quantity,
        period_start=body.period_start,
        period_end=body.period_end,
        budget_line=body.budget_line or "",
    )
    return recorded_response(services.registry.grant_funding(context(request, who, body), command))


@router.post("/{team}/returns", **WRITE, summary="The team returns resources to the budget")
def return_funding(
    program: str, team: str, body: ReturnFundingRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ReturnFunding(
        program_code=program,
        team_code=team,
        resource=body.resource,
        quantity=body.quantity,
        budget_line=body.budget_line or "",
    )
    return recorded_response(services.registry.return_funding(context(request, who, body), command))

"""Evaluation rounds (open, panel, conflicts, recusals, outcomes over the field, decision) and advancements under
objection (confirmed or reversed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

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
    DecideRoundRequest,
    Decision,
    DeclareConflictRequest,
    EvaluationRoundList,
    EvaluationRoundResponse,
    OpenEvaluationRoundRequest,
    RecordRoundOutcomesRequest,
    RecuseMemberRequest,
    RegisterPanelRequest,
)
from api.schemas.decisions import DEADLINE_AFTER_ADVANCEMENT, DEADLINE_AFTER_ELIMINATION, OUTCOMES_NAME_TEAMS_ONCE
from api.schemas.service import cross_field_rules
from domain import errors
from domain.commands import (
    ConfirmAdvancement,
    DecideRound,
    DeclareConflict,
    OpenEvaluationRound,
    PanelSeat,
    RecordRoundOutcomes,
    RecuseMember,
    RegisterPanel,
    ReverseAdvancement,
    TeamOutcome,
)
from projections import standings
from projections.as_of import read_store
from projections.standings.round_replies import evaluation_round, evaluation_rounds

router = APIRouter(prefix="/programs/{program}/evaluation-rounds", tags=["evaluation rounds"], responses=API_PROBLEMS)
team_router = APIRouter(prefix="/programs/{program}/teams", tags=["teams"], responses=API_PROBLEMS)
WRITE = write_route("Nothing changed")
RoundNumber = Annotated[int, Path(ge=1, le=1_000_000, description="The round's number, from 1")]


@router.post("", **WRITE, summary="Open an evaluation round for a stage (its criteria: the stage's by default)")
def open_evaluation_round(
    program: str, body: OpenEvaluationRoundRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = OpenEvaluationRound(
        program_code=program,
        stage=body.stage,
        title=body.title,
        criteria=None if body.criteria is None else [c.model_dump() for c in body.criteria],
        gates=body.gates,
        reentry_round=body.reentry_round,
    )
    outcome = services.registry.open_evaluation_round(context(request, who, body), command)
    return recorded_response(outcome, {"round": outcome.result})


@router.get("", response_model=EvaluationRoundList, summary="The programme's evaluation rounds")
def list_evaluation_rounds(
    program: str, services: ServicesDep, _: Reader, __: Consistent, when: When
) -> dict[str, object]:
    code = code_in_path(program)
    with read_store(services.registry, services.db, when, code) as source:
        if not standings.program_exists(source.db, code, source.position):
            raise errors.ProgramNotFoundError(f"no programme {program!r}" + ("" if when.latest else " at that time"))
        return {"rounds": evaluation_rounds(source.db, code, source.position), **answered_for(when)}


@router.get("/{number}", response_model=EvaluationRoundResponse, summary="A round: panel, recusals, outcomes, decision")
def get_evaluation_round(
    program: str, number: RoundNumber, services: ServicesDep, _: Reader, __: Consistent, when: When, response: Response
) -> dict[str, object]:
    """As of an effective time and as known at a recorded time (both default to now).

    The ETag of the present view is the round's version; send it back in If-Match to guard a decision about the round.
    """
    code = code_in_path(program)
    with read_store(services.registry, services.db, when, code) as source:
        if not standings.program_exists(source.db, code, source.position):
            raise errors.ProgramNotFoundError(f"no programme {program!r}" + ("" if when.latest else " at that time"))
        found = evaluation_round(source.db, code, number, source.position)
    if found is None:
        msg = f"programme {program!r} has no evaluation round {number}" + ("" if when.latest else " at that time")
        raise errors.EvaluationRoundNotFoundError(msg)
    if when.latest:
        response.headers["ETag"] = f'"{found["version"]}"'
    return {**found, **answered_for(when)}


@router.post("/{number}/panel", **WRITE, summary="Register panel members with their roles")
def register_panel(
    program: str,
    number: RoundNumber,
    body: RegisterPanelRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    seats = [PanelSeat(member=m.member, role=m.role) for m in body.members]
    command = RegisterPanel(program_code=program, round_number=number, members=seats)
    return recorded_response(services.registry.register_panel(context(request, who, body), command))


@router.post("/{number}/conflicts", **WRITE, summary="A panel member declares a conflict of interest with a team")
def declare_conflict(
    program: str,
    number: RoundNumber,
    body: DeclareConflictRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    command = DeclareConflict(program_code=program, round_number=number, member=body.member, team_code=body.team_code)
    return recorded_response(services.registry.declare_conflict(context(request, who, body), command))


@router.post("/{number}/recusals", **WRITE, summary="A panel member stands aside from judging a team")
def recuse_member(
    program: str, number: RoundNumber, body: RecuseMemberRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = RecuseMember(program_code=program, round_number=number, member=body.member, team_code=body.team_code)
    return recorded_response(services.registry.recuse_member(context(request, who, body), command))


@router.post(
    "/{number}/outcomes",
    **WRITE,
    summary="Record outcomes for many teams at once, advancing and eliminating (atomic)",
    openapi_extra=cross_field_rules(OUTCOMES_NAME_TEAMS_ONCE, DEADLINE_AFTER_ELIMINATION, DEADLINE_AFTER_ADVANCEMENT),
)
def record_round_outcomes(
    program: str,
    number: RoundNumber,
    body: RecordRoundOutcomesRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    """All or nothing: if one team's outcome breaks a rule (no seat for an advance, a conflicted panel member, an
    outcome already recorded), nothing is stored."""
    outcomes = [
        TeamOutcome(
            team_code=o.team_code,
            result=o.result,
            scores=o.scores,
            gates=o.gates,
            rank=o.rank,
            panel=o.panel,
            advance_to=o.advance_to,
            eliminate=o.eliminate,
            objection_deadline=o.objection_deadline,
        )
        for o in body.outcomes
    ]
    command = RecordRoundOutcomes(program_code=program, round_number=number, outcomes=outcomes)
    return recorded_response(services.registry.record_round_outcomes(context(request, who, body), command))


@router.post("/{number}/decision", **WRITE, summary="The round's decision: the teams selected or none, and the vote")
def decide_round(
    program: str, number: RoundNumber, body: DecideRoundRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = DecideRound(
        program_code=program,
        round_number=number,
        selected=body.selected,
        no_selection=body.no_selection,
        votes=dict(body.votes),
        counts=None if body.counts is None else {str(k): v for k, v in body.counts.items()},
    )
    return recorded_response(services.registry.decide_round(context(request, who, body), command))


@team_router.post("/{team}/advancement/confirmed", **WRITE, summary="Confirm the team's provisional advancement")
def confirm_advancement(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ConfirmAdvancement(program_code=program, team_code=team)
    return recorded_response(services.registry.confirm_advancement(context(request, who, body), command))


@team_router.post(
    "/{team}/advancement/reversed", **WRITE, summary="Reverse the team's provisional advancement (frees the seat)"
)
def reverse_advancement(
    program: str, team: str, body: Decision, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ReverseAdvancement(program_code=program, team_code=team)
    return recorded_response(services.registry.reverse_advancement(context(request, who, body), command))

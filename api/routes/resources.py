"""Resources as the programme defines them: kinds and equivalences, pooled budget lines, exclusions of a team,
and the registry-wide shared pools with their ledgers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import Admin, Reader, Recorder
from api.deps import Consistent, ServicesDep, code_in_path, context, recorded_response, write_route
from api.problems import FastJSONResponse
from api.schemas import API_PROBLEMS
from api.schemas.decisions import EXCLUSION_PERIOD_IN_ORDER
from api.schemas.resources import (
    DeclareResourceKindRequest,
    ImposeExclusionRequest,
    IncreasePoolBudgetRequest,
    LiftExclusionRequest,
    OpenPoolRequest,
    PoolBudgetLineRequest,
    PoolLedgerResponse,
    PoolView,
)
from api.schemas.service import cross_field_rules
from domain import errors
from domain.commands import (
    DeclareResourceKind,
    ImposeExclusion,
    IncreasePoolBudget,
    LiftExclusion,
    OpenPool,
    PoolBudgetLine,
)
from projections import funding

router = APIRouter(prefix="/programs/{program}", tags=["resources"], responses=API_PROBLEMS)
pools_router = APIRouter(prefix="/pools", tags=["shared pools"], responses=API_PROBLEMS)
WRITE = write_route("Nothing changed")


@router.post("/resource-kinds", **WRITE, summary="Declare a resource kind, its unit and what it is worth")
def declare_resource_kind(
    program: str, body: DeclareResourceKindRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = DeclareResourceKind(
        program_code=program,
        resource=body.resource,
        unit=body.unit,
        quantity=body.quantity,
        equals=body.equals or "",
        equals_quantity=body.equals_quantity or 0,
    )
    return recorded_response(services.registry.declare_resource_kind(context(request, who, body), command))


@router.post("/pooled-lines", **WRITE, summary="Let a budget line draw on a shared pool")
def pool_budget_line(
    program: str, body: PoolBudgetLineRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = PoolBudgetLine(program_code=program, resource=body.resource, pool=body.pool)
    return recorded_response(services.registry.pool_budget_line(context(request, who, body), command))


@router.post(
    "/teams/{team}/exclusions",
    **WRITE,
    summary="Exclude a team from a resource for a period",
    openapi_extra=cross_field_rules(EXCLUSION_PERIOD_IN_ORDER),
)
def impose_exclusion(
    program: str, team: str, body: ImposeExclusionRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = ImposeExclusion(
        program_code=program, team_code=team, resource=body.resource, starts_on=body.starts_on, ends_on=body.ends_on
    )
    outcome = services.registry.impose_exclusion(context(request, who, body), command)
    return recorded_response(outcome, {"exclusion": outcome.result})


@router.post("/teams/{team}/exclusions/{exclusion}/lifting", **WRITE, summary="Lift an exclusion from a date")
def lift_exclusion(
    program: str,
    team: str,
    exclusion: int,
    body: LiftExclusionRequest,
    request: Request,
    who: Recorder,
    services: ServicesDep,
) -> FastJSONResponse:
    command = LiftExclusion(program_code=program, team_code=team, exclusion=exclusion, ends_on=body.ends_on)
    return recorded_response(services.registry.lift_exclusion(context(request, who, body), command))


@pools_router.post("", **WRITE, summary="Open a pool shared across programmes")
def open_pool(body: OpenPoolRequest, request: Request, who: Admin, services: ServicesDep) -> FastJSONResponse:
    command = OpenPool(pool_code=body.pool_code, title=body.title, resource=body.resource, budget=body.budget)
    return recorded_response(services.registry.open_pool(context(request, who, body), command))


@pools_router.post("/{pool}/budget-increases", **WRITE, summary="Increase a shared pool's budget")
def increase_pool_budget(
    pool: str, body: IncreasePoolBudgetRequest, request: Request, who: Recorder, services: ServicesDep
) -> FastJSONResponse:
    command = IncreasePoolBudget(pool_code=pool, amount=body.amount)
    return recorded_response(services.registry.increase_pool_budget(context(request, who, body), command))


@pools_router.get("", response_model=list[PoolView], summary="The shared pools")
def list_pools(services: ServicesDep, _: Reader, __: Consistent) -> list[dict[str, object]]:
    return funding.pools(services.db)


@pools_router.get("/{pool}", response_model=PoolLedgerResponse, summary="A pool's ledger: every programme's draw")
def pool_ledger(pool: str, services: ServicesDep, _: Reader, __: Consistent) -> dict[str, object]:
    found = funding.pool_ledger(services.db, code_in_path(pool, errors.PoolNotFoundError))
    if found is None:
        raise errors.PoolNotFoundError(f"no pool {pool!r}")
    return found

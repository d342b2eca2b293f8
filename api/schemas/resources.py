"""Request and response schemas of resources: kinds and equivalences, pooled lines, exclusions, shared pools,
and the fairness report's computation. Shapes and limits only; the rules live in the domain."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from api.schemas.decisions import NULL, Decision, given, only
from api.schemas.values import NAME_PATTERN, Code, Day, Name, Quantity, Resource

# A display name (domain.values.display_name): a visible character, no control or format character.
Unit = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 40, "pattern": NAME_PATTERN}),
]
# As domain.candidacy.exclusions.resource_or_class: a class, or a kind (a class, then a name of 1 to 64 characters).
ResourceOrClass = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*(:[\w.\-]{1,64})?$")
]


class DeclareResourceKindRequest(Decision):
    """``quantity`` of ``resource`` are worth ``equals_quantity`` of ``equals`` (e.g. 2 gpu:H100 = 1 gpu:B200)."""

    resource: Resource
    unit: Unit = Field(description="The kind's unit, e.g. GPU or KRW; only kinds of one unit are equivalent")
    quantity: Quantity = 1
    equals: Resource | None = Field(None, description="A kind already declared that this one is worth some of")
    equals_quantity: Quantity | None = Field(None, description="Required with equals")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [only(equals=NULL), given(equals_quantity={"type": "integer"})]},
    )


class PoolBudgetLineRequest(Decision):
    resource: Resource = Field(description="The programme's budget line, of the pool's kind")
    pool: Code


class ImposeExclusionRequest(Decision):
    resource: ResourceOrClass = Field(description="A kind (gpu:B200) or a whole class (gpu)")
    starts_on: Day
    ends_on: Day | None = Field(None, description="The last day excluded; none: until lifted")


class LiftExclusionRequest(Decision):
    ends_on: Day = Field(description="The last day the exclusion applies")


class OpenPoolRequest(Decision):
    pool_code: Code
    title: Name
    resource: Resource
    budget: Annotated[int, Field(ge=0, le=10**15)]


class IncreasePoolBudgetRequest(Decision):
    amount: Quantity


class KindView(BaseModel):
    resource: str
    unit: str
    reference: str = Field(description="The first kind declared in its class of equivalent kinds")
    factor: str = Field(description="What one unit is worth in the reference kind, as an exact fraction")


class GrantView(BaseModel):
    team_code: str
    grant: int
    resource: str
    quantity: int
    period_start: str
    period_end: str
    budget_line: str
    drawn: int = Field(description="What the grant took from its budget line, in the line's units")


class ExclusionView(BaseModel):
    team_code: str
    exclusion: int
    resource: str
    starts_on: str
    ends_on: str | None
    reason: str
    lifted_reason: str | None


class CountedGrant(BaseModel):
    grant: int
    resource: str
    quantity: int
    factor: str
    in_reference: float
    period_start: str
    period_end: str
    why: str | None = None


class TeamComputation(BaseModel):
    team_code: str
    grants_counted: list[CountedGrant]
    grants_not_counted: list[CountedGrant]
    returned_in_reference: float
    total: float
    excluded: list[dict[str, object]]


class FairnessLine(BaseModel):
    team_code: str
    stage: int
    resource: str = Field(description="The reference kind the class of equivalent kinds is measured in")
    unit: str
    period_start: str
    period_end: str
    net: float
    incumbent_median: float
    incumbent_min: float
    incumbent_max: float
    shortfall: float
    verdict: str = Field(description="parity, shortfall, surplus, or excluded")
    computation: list[TeamComputation] = Field(description="The re-entrant first, then each incumbent")


class PoolDraw(BaseModel):
    program_code: str
    team_code: str
    drawn: int
    released: int
    net: int


class ProgrammeDraw(BaseModel):
    program_code: str
    net: int


class PoolView(BaseModel):
    pool_code: str
    title: str
    resource: str
    budget: int
    drawn: int
    remaining: int


class PoolLedgerResponse(PoolView):
    draws: list[PoolDraw]
    programmes: list[ProgrammeDraw]

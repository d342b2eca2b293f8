"""Request and response schemas. Shapes and limits only; the rules live in the domain.

Stages are numbered by their index in the programme's list of stages, from 0.
Every write carries the decision's ``effective_at`` (defaults to when it is
recorded; must include a time zone) and a ``reason`` or statement.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


def _iso_text(value: Any) -> Any:
    """Times and dates only as ISO 8601 text: pydantic would read a bare number as a Unix time."""
    if isinstance(value, str) and not value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        return value
    if isinstance(value, (datetime, date)):
        return value
    raise ValueError("expected an ISO 8601 string, e.g. 2026-01-15T10:00:00+09:00")


def _utc_representable(value: datetime) -> datetime:
    """Times are stored in UTC; year 1 at +00:01 would fall before the first representable instant."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc_representable)]
Day = Annotated[date, BeforeValidator(_iso_text)]

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w][\w.\-]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Resource = Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*:[\w.\-]+$")]
StageIndex = Annotated[int, Field(ge=0, le=99, description="Index of the stage in the programme, from 0")]
Quantity = Annotated[int, Field(ge=1, le=10**15)]
Points = Annotated[Decimal, Field(ge=0, le=10**6, allow_inf_nan=False)]
Members = Annotated[list[Name], Field(max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Decision(Strict):
    effective_at: Moment | None = Field(
        None, description="When the decision took effect (ISO 8601 with time zone). Defaults to now."
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] = Field(
        "", description="Why the decision was taken, or the team's statement."
    )


class CriterionSpec(Strict):
    code: Code
    name: Name | None = None
    max_points: Annotated[Decimal, Field(gt=0, le=10**6, allow_inf_nan=False)]


class StageSpec(Strict):
    name: Name
    seats: Annotated[int, Field(ge=1, le=100_000)]
    criteria: Annotated[list[CriterionSpec], Field(max_length=50)] = []
    gates: Annotated[list[Code], Field(max_length=50)] = []


class OpenProgramRequest(Decision):
    program_code: Code
    title_ko: Name
    title_en: Name
    agency: Name
    stages: Annotated[list[StageSpec], Field(min_length=1, max_length=20)]
    budgets: Annotated[dict[Resource, Annotated[int, Field(ge=0, le=10**15)]], Field(max_length=100)] = {}
    finalist_count: Annotated[int, Field(ge=1, le=100_000)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program_code": "SOVEREIGN-AI-2025",
                    "title_ko": "독자 AI 파운데이션 모델",
                    "title_en": "Sovereign AI Foundation Model",
                    "agency": "Ministry of Science and ICT",
                    "stages": [
                        {
                            "name": "Stage 1",
                            "seats": 5,
                            "criteria": [
                                {"code": "benchmark", "max_points": 40},
                                {"code": "expert", "max_points": 35},
                                {"code": "user", "max_points": 25},
                            ],
                            "gates": ["independence"],
                        },
                        {"name": "Stage 2", "seats": 4},
                    ],
                    "budgets": {"gpu:B200": 2048, "krw:data": 50000000000, "title:K-AI": 5},
                    "finalist_count": 2,
                    "effective_at": "2025-08-04T09:00:00+09:00",
                    "reason": "Programme announced",
                }
            ]
        },
    )


class IncreaseBudgetRequest(Decision):
    resource: Resource
    amount: Quantity


class SubmitApplicationRequest(Decision):
    team_code: Code
    name_ko: Name
    name_en: Name
    lead_organisation: Name
    members: Members = []
    stage: StageIndex = 0
    contact: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="Where the team receives notices"
    )
    excluded_resources: Annotated[list[Annotated[str, StringConstraints(max_length=100)]], Field(max_length=20)] = []


class ChangeConsortiumRequest(Decision):
    joined: Members = []
    left: Members = []


class RecordEvaluationRequest(Decision):
    stage: StageIndex
    scores: Annotated[dict[Code, Points], Field(max_length=50)]
    gates: Annotated[dict[Code, bool], Field(max_length=50)] = {}
    panel: Members = []


class AmendEvaluationRequest(Decision):
    scores: Annotated[dict[Code, Points], Field(max_length=50)]
    gates: Annotated[dict[Code, bool], Field(max_length=50)] = {}
    panel: Members = []


class AdvanceTeamRequest(Decision):
    to_stage: StageIndex


class EliminateTeamRequest(Decision):
    reason_code: Literal["below_cutoff", "failed_gate", "screening", "other"]
    objection_deadline: Moment


class OpenReEntryRoundRequest(Decision):
    stage: StageIndex
    seats: Annotated[int, Field(ge=1, le=100_000)]
    eligibility: Annotated[list[Literal["eliminated", "applicants", "new_entrants"]], Field(min_length=1, max_length=3)]
    opens_at: Moment
    closes_at: Moment


class OfferReEntryRequest(Decision):
    round: Annotated[int, Field(ge=1, le=10_000)]
    deadline: Moment


class GrantFundingRequest(Decision):
    resource: Resource
    quantity: Quantity
    period_start: Day
    period_end: Day


class ReturnFundingRequest(Decision):
    resource: Resource
    quantity: Quantity


class SelectFinalistsRequest(Decision):
    teams: Annotated[list[Code], Field(min_length=1, max_length=1000)]


# --- responses ------------------------------------------------------------------------


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="/problems/{code}: stable per kind of error")
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = Field(None, description="For invalid requests: each field's issue")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    meaning = {
        401: "No API key, or an unknown or revoked one",
        403: "The key's role may not do this",
        404: "Unknown programme, team, evaluation, round or offer",
        409: "A programme rule forbids the decision",
        412: "If-Match names a version that is no longer current",
        413: "Request body too large",
        422: "Malformed input",
        503: "The database did not answer in time",
    }
    return {
        status: {
            "description": meaning[status],
            "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


class RecordedEvent(BaseModel):
    position: int = Field(description="The event's position in the global log")
    type: str
    stream_id: str
    version: int
    effective_at: str
    recorded_at: str
    actor: str
    reason: str
    correlation_id: str
    data: dict[str, Any]


class RecordedResponse(BaseModel):
    position: int | None = Field(description="Log position of the last event written (null if nothing changed)")
    events: list[RecordedEvent]
    result: dict[str, Any] = {}


class ProjectionStatus(BaseModel):
    name: str
    position: int = Field(description="Log position the read model has reached")
    head: int = Field(description="Log position of the latest event")
    lag_events: int
    lag_seconds: float = Field(description="How long the oldest event not yet applied has waited")
    state: str = Field(description="live, retrying or stopped (a runner), or inline (kept by the API process)")
    last_error: str | None


class Health(BaseModel):
    status: Literal["ok"]
    log_head: int
    projections: list[ProjectionStatus]


class ProgramSummary(BaseModel):
    program_code: str
    title_ko: str
    title_en: str
    agency: str
    opened_at: str
    teams: int


class Elimination(BaseModel):
    reason_code: str | None
    reason: str | None
    objection_deadline: str | None
    final: bool


class EvaluationView(BaseModel):
    stage: int
    evaluation: int
    scores: dict[str, str]
    gates: dict[str, bool]
    total: str
    passed_gates: bool
    amended: bool


class TeamView(BaseModel):
    team_code: str
    name_ko: str
    name_en: str
    lead_organisation: str
    members: list[str]
    status: Literal["applied", "active", "eliminated", "withdrawn"]
    stage: int
    reentrant: bool
    finalist: bool
    elimination: Elimination | None


class StageEntry(TeamView):
    outcome: Literal["seated", "advanced", "eliminated", "withdrawn"]
    evaluation: EvaluationView | None
    rank: int | None


class OfferView(BaseModel):
    team_code: str
    offer: int
    round: int
    stage: int
    deadline: str
    answer: Literal["accepted", "declined"] | None


class StageStandings(BaseModel):
    stage: int
    name: str
    seats: int
    holders: list[str]
    vacancies: int
    criteria: list[dict[str, Any]]
    gates: list[str]
    teams: list[StageEntry]


class RoundView(BaseModel):
    round: int
    stage: int
    seats: int
    filled: int
    eligibility: list[str]
    opens_at: str
    closes_at: str
    open: bool
    offers: list[OfferView]


class StandingsResponse(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    program_code: str
    version: int = Field(description="The programme's version, also the response's ETag")
    title_ko: str
    title_en: str
    agency: str
    opened_at: str
    finalist_count: int
    finalists: list[str]
    stages: list[StageStandings]
    applicants: list[TeamView]
    rounds: list[RoundView]


class StageOutcome(BaseModel):
    stage: int
    outcome: str


class TeamRecordResponse(TeamView):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    version: int = Field(description="The team's version, also the response's ETag")
    stages: list[StageOutcome]
    evaluations: list[EvaluationView]
    offers: list[OfferView]
    funding: list[dict[str, Any]]


class HistoryEvent(BaseModel):
    position: int
    program_code: str
    team_code: str | None
    event_type: str
    originator_id: str
    originator_version: int
    effective_at: str
    recorded_at: str
    actor: str
    reason: str
    correlation_id: str
    data: dict[str, Any]


class HistoryPage(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    events: list[HistoryEvent]
    next_cursor: int | None = Field(description="Pass as `cursor` to read the next page; null at the end")


class BudgetLine(BaseModel):
    resource: str
    budget: int
    allocated: int
    remaining: int


class LedgerLine(BaseModel):
    team_code: str
    resource: str
    granted: int
    returned: int
    net: int


class FairnessLine(BaseModel):
    team_code: str
    stage: int
    resource: str
    net: int
    incumbent_median: float
    incumbent_min: int
    incumbent_max: int
    shortfall: float


class FundingResponse(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    program_code: str
    budgets: list[BudgetLine]
    teams: list[LedgerLine]
    fairness: list[FairnessLine]

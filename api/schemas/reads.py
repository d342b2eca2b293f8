"""Response schemas of the reads: programmes, standings, a team's record, history, funding."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

TeamStatusName = Literal["applied", "active", "eliminated", "withdrawn"]
"""The values of ``domain.candidacy.TeamStatus`` (a unit test holds the two equal), spelt out so that the
OpenAPI document shows them inline."""


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
    status: TeamStatusName
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
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
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
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
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
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
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
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
    program_code: str
    budgets: list[BudgetLine]
    teams: list[LedgerLine]
    fairness: list[FairnessLine]

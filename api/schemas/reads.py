"""Response schemas of the reads: programmes, standings, a team's record, history, funding."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.resources import ExclusionView, FairnessLine, GrantView, KindView
from api.schemas.rounds import AdvancementView, ExcuseView, RoundOutcomeView

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
    rules_version: int = Field(description="The programme's rules version the evaluation was judged under (0: unknown)")


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
    round_outcome: RoundOutcomeView | None = Field(description="The team's latest outcome in an evaluation round")
    advancement: AdvancementView | None = Field(description="The team's latest advancement under objection")


class StageEntry(TeamView):
    outcome: Literal["seated", "advanced", "eliminated", "withdrawn", "reversed"]
    evaluation: EvaluationView | None
    rank: int | None


class OfferView(BaseModel):
    team_code: str
    offer: int
    round: int
    stage: int
    deadline: str
    answer: Literal["accepted", "declined"] | None


class RoundApplicationView(BaseModel):
    team_code: str
    round: int
    lead_organisation: str = Field(description="The consortium's lead as the team applied")
    members: list[str] = Field(description="The consortium's members as the team applied")
    applied_at: str
    state: Literal["pending", "withdrawn", "selected"]


class StatementView(BaseModel):
    team_code: str
    statement: int
    round: int
    kind: Literal["declined", "intends_to_apply", "withdrew_application"]
    form: Literal["formal_letter", "public_statement", "press_report"]
    words: str = Field(description="What the team said, or its summary")
    sources: list[dict[str, str]]
    effective_at: str


class StageStandings(BaseModel):
    stage: int
    name: str
    seats: int
    holders: list[str]
    vacancies: int = Field(description="Seats free for new teams (none once the stage is concluded)")
    concluded: bool = Field(description="The stage takes no new teams (the finalists are selected)")
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
    closes_at: str = Field(description="When the round closes, after any extension or early close")
    first_closes_at: str = Field(description="When the round was to close when it opened")
    last_change: Literal["opened", "extended", "closed_early"]
    last_change_reason: str
    open: bool
    offers: list[OfferView]
    applications: list[RoundApplicationView] = Field(description="Applications to the round (the open call)")
    statements: list[StatementView] = Field(description="What teams said about the round without an offer")


class CallView(BaseModel):
    stage: int
    opens_at: str
    closes_at: str = Field(description="When the call closes, after any extension or early close")
    first_closes_at: str = Field(description="When the call was to close when it opened")
    open: bool
    last_change: Literal["opened", "extended", "closed_early"]
    last_change_reason: str


class StandingsResponse(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
    program_code: str
    version: int = Field(description="The programme's version, also the response's ETag")
    title_ko: str
    title_en: str
    agency: str
    opened_at: str = Field(description="When the programme opened, or was announced")
    announced: bool = Field(description="Whether the programme was announced before its call (rather than opened)")
    rules_version: int = Field(description="The rules version in force at the moment answered for")
    finalist_count: int
    finalists: list[str]
    stages: list[StageStandings]
    applicants: list[TeamView]
    rounds: list[RoundView]
    calls: list[CallView]


class StageOutcome(BaseModel):
    stage: int
    outcome: str


class TeamRecordResponse(TeamView):
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
    version: int = Field(description="The team's version, also the response's ETag")
    rules_version: int = Field(description="The rules version the latest decision about the team was judged under")
    sources: list[dict[str, str]] = Field(description="The records behind the latest decision about the team")
    stages: list[StageOutcome]
    evaluations: list[EvaluationView]
    offers: list[OfferView]
    funding: list[dict[str, Any]]
    round_outcomes: list[RoundOutcomeView] = Field(description="Every evaluation round's outcome for the team")
    recusals: list[ExcuseView] = Field(description="Panel members' conflicts with the team and recusals, and why")
    round_applications: list[RoundApplicationView] = Field(description="The team's applications to re-entry rounds")
    statements: list[StatementView] = Field(description="What the team said about re-entry rounds without an offer")


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
    rules_version: int = Field(description="The programme's rules version the decision was judged under (0: unknown)")
    sources: list[dict[str, str]] = Field(description="The records behind the decision: url or document, and title")


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
    pool: str | None = Field(None, description="The shared pool the line draws on (its budget is the pool's)")


class LedgerLine(BaseModel):
    team_code: str
    resource: str
    granted: int
    returned: int
    net: int


class FundingResponse(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (the request's time if not given)")
    known_at: str | None = Field(None, description="The recorded time answered for (the request's time if not given)")
    program_code: str
    budgets: list[BudgetLine]
    teams: list[LedgerLine]
    kinds: list[KindView]
    grants: list[GrantView]
    exclusions: list[ExclusionView]
    fairness: list[FairnessLine]

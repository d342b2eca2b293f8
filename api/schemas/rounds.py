"""Request and response schemas of evaluation rounds, their panels and outcomes, and advancements under objection."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.schemas.decisions import NULL, CriterionSpec, Decision, Strict, given, only, reason_required
from api.schemas.values import EXACT_KEYS, JSON_INTEGER, Code, Gates, Moment, Name, Scores, ShortName, StageIndex

Member = ShortName
Role = Literal["chair", "member", "rapporteur", "observer"]
Vote = Literal["for", "against", "abstain"]
ReasonCode = Literal["below_cutoff", "failed_gate", "screening", "other"]


class OpenEvaluationRoundRequest(Decision):
    stage: StageIndex
    title: Name
    criteria: Annotated[list[CriterionSpec], Field(max_length=50)] | None = Field(
        None, description="The criteria the round scores; default: the stage's"
    )
    gates: Annotated[list[Code], Field(max_length=50)] | None = Field(
        None, description="The gates the round checks; default: the stage's"
    )
    reentry_round: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        None, description="The re-entry round whose applications it judges; its decision seats those selected"
    )


class PanelSeatSpec(Strict):
    member: Member
    role: Role


class RegisterPanelRequest(Decision):
    members: Annotated[list[PanelSeatSpec], Field(min_length=1, max_length=100)]


class DeclareConflictRequest(Decision):
    """The reason (``reason``) is required: it says what the conflict is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=reason_required)

    member: Member
    team_code: Code


class RecuseMemberRequest(Decision):
    """The reason (``reason``) is required: it says why the member stands aside."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=reason_required)

    member: Member
    team_code: Code


class TeamOutcomeSpec(Strict):
    team_code: Code
    result: Literal["pass", "fail"] | None = None
    scores: Scores = Field({}, description="The scores published: all of the round's criteria, some, or none")
    gates: Gates = Field({}, description="The gate results published")
    rank: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER] | None = None
    panel: Annotated[list[Member], Field(max_length=100)] | None = Field(
        None, description="Who judged the team; default: every panel member not excused from it"
    )
    advance_to: StageIndex | None = Field(None, description="Advance the team to this stage (takes a seat)")
    eliminate: ReasonCode | None = Field(None, description="Eliminate the team, with this reason code")
    objection_deadline: Moment | None = Field(
        None, description="Of the elimination (required with it); with an advance, makes it provisional until then"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # An outcome that contradicts itself is refused (422): the schema says so.
            "allOf": [
                {"anyOf": [only(result={"enum": ["pass", None]}), only(advance_to=NULL)]},  # a fail does not advance
                {"anyOf": [only(result={"enum": ["fail", None]}), only(eliminate=NULL)]},  # a pass is not eliminated
                {"anyOf": [only(advance_to=NULL), only(eliminate=NULL)]},  # not both
                {"anyOf": [only(eliminate=NULL), given(objection_deadline={"type": "string"})]},  # with its deadline
            ]
        },
    )


class RecordRoundOutcomesRequest(Decision):
    outcomes: Annotated[list[TeamOutcomeSpec], Field(min_length=1, max_length=1000)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcomes": [
                        {"team_code": "HANBIT", "result": "pass", "rank": 1, "advance_to": 0},
                        {
                            "team_code": "NURI",
                            "result": "fail",
                            "gates": {"independence": False},
                            "eliminate": "failed_gate",
                            "objection_deadline": "2025-09-12T18:00:00+09:00",
                        },
                    ],
                    "effective_at": "2025-09-02T10:00:00+09:00",
                    "reason": "Written screening results notice",
                }
            ]
        },
    )


class DecideRoundRequest(Decision):
    selected: Annotated[list[Code], Field(max_length=1000, json_schema_extra={"uniqueItems": True})] = Field(
        [], description="The teams selected (each once)"
    )
    no_selection: StrictBool = Field(False, description="The round selects nobody (a valid outcome)")
    votes: Annotated[dict[Member, Vote], Field(max_length=100), EXACT_KEYS] = Field(
        {}, description="Each member's vote"
    )
    counts: Annotated[dict[Vote, Annotated[int, Field(ge=0, le=1000), JSON_INTEGER]], Field(max_length=3)] | None = (
        Field(None, description="The vote's counts, when only they were published")
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # Some teams selected, or no_selection: exactly one; the vote per member or its counts, not both.
            "allOf": [
                {
                    "anyOf": [
                        {"allOf": [given(selected={"minItems": 1}), only(no_selection={"const": False})]},
                        {"allOf": [given(no_selection={"const": True}), only(selected={"maxItems": 0})]},
                    ]
                },
                {"anyOf": [only(votes={"maxProperties": 0}), only(counts=NULL)]},
            ]
        },
    )


# --- answers ------------------------------------------------------------------------------


class Recusal(BaseModel):
    member: str
    kind: Literal["conflict", "recusal"]
    reason: str


class RoundOutcomeView(BaseModel):
    round: int
    stage: int
    result: Literal["pass", "fail"] | None
    scores: dict[str, str]
    gates: dict[str, bool]
    rank: int | None
    panel: list[str]
    recusals: list[Recusal]
    effective_at: str


class AdvancementView(BaseModel):
    stage: int
    objection_deadline: str
    state: Literal["provisional", "confirmed", "reversed"]
    final: bool


class ExcuseView(BaseModel):
    round: int
    member: str
    team_code: str
    kind: Literal["conflict", "recusal"]
    reason: str
    effective_at: str


class RoundTeamOutcome(RoundOutcomeView):
    team_code: str


class PanelSeatView(BaseModel):
    member: str
    role: str


class RoundDecisionView(BaseModel):
    selected: list[str]
    no_selection: bool
    votes: dict[str, str]
    counts: dict[str, int]
    effective_at: str
    reason: str


class EvaluationRoundSummary(BaseModel):
    round: int
    stage: int
    title: str
    opened_at: str
    reentry_round: int | None = Field(description="The re-entry round whose applications it judges, if any")
    decided: bool


class EvaluationRoundResponse(EvaluationRoundSummary):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    program_code: str
    version: int = Field(description="The round's version, also the response's ETag")
    criteria: list[dict[str, Any]]
    gates: list[str]
    panel: list[PanelSeatView]
    conflicts_and_recusals: list[ExcuseView]
    outcomes: list[RoundTeamOutcome]
    decision: RoundDecisionView | None


class EvaluationRoundList(BaseModel):
    as_of: str | None = Field(None, description="The effective time answered for (null: now)")
    known_at: str | None = Field(None, description="The recorded time answered for (null: now)")
    rounds: list[EvaluationRoundSummary]

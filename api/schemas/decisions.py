"""Request schemas of the decisions, and the answer of a write. Shapes and limits only; the rules live in the domain.

Stages are numbered by their index in the programme's list of stages, from 0.
Every write carries the decision's ``effective_at`` (defaults to when it is
recorded; must include a time zone) and a ``reason`` or statement.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.values import (
    JSON_INTEGER,
    STATED_TEXT_PATTERN,
    TEXT_PATTERN,
    VISIBLE_TEXT_PATTERN,
    Budgets,
    Code,
    Day,
    Gates,
    MaxPoints,
    Members,
    Moment,
    Name,
    Quantity,
    Resource,
    Scores,
    ShortName,
    StageIndex,
)

URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$"
VISIBLE = Field(json_schema_extra={"pattern": VISIBLE_TEXT_PATTERN})
FREE_TEXT = Field(json_schema_extra={"pattern": TEXT_PATTERN})


class Strict(BaseModel):
    """A request that refuses fields it does not know, and values of the wrong JSON type.

    Every integer field is checked by ``JSON_INTEGER`` (a JSON integer: never ``"10"``, ``true`` or ``10.5``)
    and every flag is a ``StrictBool``.
    """

    model_config = ConfigDict(extra="forbid")


class SourceRef(Strict):
    """A record behind a decision: a web address or a document id, with its title."""

    # Absent rather than null: exactly one of the two is given (the schema's oneOf).
    url: Annotated[str, StringConstraints(max_length=2000, pattern=URL_PATTERN)] = ""
    document: Annotated[str, StringConstraints(min_length=1, max_length=300), VISIBLE] = ""
    title: Annotated[str, StringConstraints(min_length=1, max_length=300), VISIBLE]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["url"], "not": {"required": ["document"]}},
                                     {"required": ["document"], "not": {"required": ["url"]}}]},
    )  # fmt: skip


class Decision(Strict):
    sources: Annotated[list[SourceRef], Field(max_length=10)] = Field(
        [], description="The records behind the decision (notices, articles): each a url or a document id, and a title."
    )
    effective_at: Moment | None = Field(
        None, description="When the decision took effect (ISO 8601 with time zone). Defaults to now."
    )
    reason: Annotated[str, StringConstraints(max_length=2000), Field(json_schema_extra={"pattern": TEXT_PATTERN})] = (
        Field("", description="Why the decision was taken, or the team's statement.")
    )


# Rules across fields that JSON Schema can state, as alternatives (anyOf) of these; not ``not`` or ``if``,
# which schemathesis's coverage phase reads too loosely.
NULL: dict[str, Any] = {"type": "null"}


def given(**properties: dict[str, Any]) -> dict[str, Any]:
    """The schema of a body that has each of these fields, each matching its schema."""
    return {"required": list(properties), "properties": properties}


def only(**properties: dict[str, Any]) -> dict[str, Any]:
    """The schema of a body whose fields, those of these it has, each match their schema."""
    return {"properties": properties}


def reason_required(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a decision the domain refuses without a reason: ``reason`` required, not blank.

    Only the schema says so; the domain's refusal (422 ``/problems/invalid-value``) is the answer unchanged.
    """
    schema.setdefault("required", []).append("reason")
    schema["properties"]["reason"] = {**schema["properties"]["reason"], "pattern": STATED_TEXT_PATTERN}
    schema["properties"]["reason"].pop("default", None)


# Rules across fields, which JSON Schema cannot state: each operation lists those it enforces (cross_field_rules),
# as the detail of the 422 /problems/invalid-value refusal, "…" standing for the values named.
FINALISTS_FIT = "finalist_count … exceeds the last stage's … seats"
STAGE_CODES_UNIQUE = "stage … repeats a criterion or gate code"
CALL_CLOSES_AFTER_OPENING = "a call must close after it opens"
ROUND_CLOSES_AFTER_OPENING = "a round must close after it opens"
DEADLINE_AFTER_ELIMINATION = "the objection deadline must be after the elimination"
DEADLINE_AFTER_ADVANCEMENT = "the objection deadline must be after the advancement"
OUTCOMES_NAME_TEAMS_ONCE = "name 1 to … teams, each once"
GRANT_PERIOD_IN_ORDER = "a grant's period must end after it starts"
EXCLUSION_PERIOD_IN_ORDER = "an exclusion must end after it starts"


class CriterionSpec(Strict):
    code: Code
    name: ShortName | None = None
    max_points: MaxPoints


class StageSpec(Strict):
    name: ShortName
    seats: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]
    criteria: Annotated[list[CriterionSpec], Field(max_length=50)] = []
    gates: Annotated[list[Code], Field(max_length=50)] = []


class OpenProgramRequest(Decision):
    program_code: Code
    title_ko: Name
    title_en: Name
    agency: Name
    stages: Annotated[list[StageSpec], Field(min_length=1, max_length=20)]
    budgets: Budgets = {}
    finalist_count: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]

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


class AnnounceProgramRequest(Decision):
    """A programme announced before its call: stages may follow (``POST /programs/{p}/stages``)."""

    program_code: Code
    title_ko: Name
    title_en: Name
    agency: Name
    stages: Annotated[list[StageSpec], Field(max_length=20)] = []
    budgets: Budgets = {}
    finalist_count: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]


class AddStageRequest(Decision, StageSpec):
    """A stage appended after the programme's last one."""


class AmendStageRequest(Decision, StageSpec):
    """The stage's whole new definition."""


class OpenCallRequest(Decision):
    stage: StageIndex = 0
    opens_at: Moment
    closes_at: Moment


class MoveCallRequest(Decision):
    closes_at: Moment = Field(description="The call's new closing time")


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
    contact: Annotated[str, StringConstraints(max_length=200), FREE_TEXT] = Field(
        "", description="Where the team receives notices"
    )
    excluded_resources: Annotated[list[Annotated[str, StringConstraints(max_length=100)]], Field(max_length=20)] = []


class ChangeConsortiumRequest(Decision):
    joined: Members = []
    left: Members = []


class RecordEvaluationRequest(Decision):
    stage: StageIndex
    scores: Scores
    gates: Gates = {}
    panel: Annotated[list[ShortName], Field(max_length=100)] = []


class AmendEvaluationRequest(Decision):
    scores: Scores
    gates: Gates = {}
    panel: Annotated[list[ShortName], Field(max_length=100)] = []


class AdvanceTeamRequest(Decision):
    to_stage: StageIndex
    objection_deadline: Moment | None = Field(
        None, description="Makes the advancement provisional until then (the seat is held meanwhile)"
    )


class EliminateTeamRequest(Decision):
    model_config = ConfigDict(extra="forbid", json_schema_extra=reason_required)

    reason_code: Literal["below_cutoff", "failed_gate", "screening", "other"]
    objection_deadline: Moment


class OpenReEntryRoundRequest(Decision):
    stage: StageIndex
    seats: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]
    eligibility: Annotated[list[Literal["eliminated", "applicants", "new_entrants"]], Field(min_length=1, max_length=3)]
    opens_at: Moment
    closes_at: Moment


class OfferReEntryRequest(Decision):
    round: Annotated[int, Field(ge=1, le=10_000), JSON_INTEGER]
    deadline: Moment


class GrantFundingRequest(Decision):
    resource: Resource
    quantity: Quantity
    period_start: Day
    period_end: Day
    budget_line: Resource | None = Field(
        None, description="The budget line of an equivalent kind the grant draws on; none: the kind's own"
    )


class ReturnFundingRequest(Decision):
    resource: Resource
    quantity: Quantity
    budget_line: Resource | None = Field(None, description="The budget line the grant drew on; none: the kind's own")


class SelectFinalistsRequest(Decision):
    teams: Annotated[list[Code], Field(min_length=1, max_length=1000, json_schema_extra={"uniqueItems": True})]


# --- the answer of a write -----------------------------------------------------------


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
    rules_version: int
    sources: list[dict[str, str]]
    data: dict[str, Any]
    leaf_index: int | None = Field(
        None, description="The event's leaf in the Merkle log (its receipt: GET /audit/receipts/{position})"
    )
    event_hash: str | None = Field(None, description="Hex SHA-256 of the event's canonical encoding")


class RecordedResponse(BaseModel):
    position: int | None = Field(description="Log position of the last event written (null if nothing changed)")
    events: list[RecordedEvent]
    result: dict[str, Any] = {}

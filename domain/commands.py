"""Commands: one type per decision, named for what the caller asks the registry to do.

A command carries everything a decision needs besides its context (who, when,
why; see ``domain.registry.Context``): the programme and team it is about and
its own fields. Routes, the CLI and the demo build commands field by field and
the application service hands each field to the aggregate method by name, so a
renamed or misspelt field fails the type check instead of a request at runtime.

Commands are frozen and keyword-only. They hold what the caller gave, unchecked:
the aggregates check values when they decide. Lists and dicts stay the caller's;
nothing here changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramCommand:
    """A decision about one programme."""

    program_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamCommand(ProgramCommand):
    """A decision about one team in a programme."""

    team_code: str


# --- the programme --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenProgram(ProgramCommand):
    title_ko: str
    title_en: str
    agency: str
    stages: list[dict[str, Any]]  # name, seats, criteria ({code, name, max_points}), gates: see Stage.make
    budgets: dict[str, int]
    finalist_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnounceProgram(ProgramCommand):
    title_ko: str
    title_en: str
    agency: str
    stages: list[dict[str, Any]] = field(default_factory=list)  # may be added later (AddStage)
    budgets: dict[str, int] = field(default_factory=dict)
    finalist_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AddStage(ProgramCommand):
    stage: dict[str, Any]  # name, seats, criteria, gates: see Stage.make


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendStage(ProgramCommand):
    index: int
    stage: dict[str, Any]  # the whole new definition


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenCall(ProgramCommand):
    stage: int
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendCall(ProgramCommand):
    stage: int
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseCallEarly(ProgramCommand):
    stage: int
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class IncreaseBudget(ProgramCommand):
    resource: str
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenReEntryRound(ProgramCommand):
    stage: int
    seats: int
    eligibility: list[str]
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendReEntryRound(ProgramCommand):
    round_number: int
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseReEntryRoundEarly(ProgramCommand):
    round_number: int
    closes_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyToRound(TeamCommand):
    """A team applies to a re-entry round; a new entrant gives its names and lead (creating its candidacy)."""

    round_number: int
    lead_organisation: str | None = None  # None: the team's current lead
    members: list[str] | None = None  # None: the team's current members
    name_ko: str = ""
    name_en: str = ""
    contact: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StateOnRound(TeamCommand):
    """What a team said about a re-entry round without an offer: its kind and form (the words are the reason)."""

    round_number: int
    kind: str  # declined, intends_to_apply, withdrew_application
    form: str  # formal_letter, public_statement, press_report


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectFinalists(ProgramCommand):
    teams: list[str]


# --- a team: application, consortium, evaluations, stages -------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitApplication(TeamCommand):
    name_ko: str
    name_en: str
    lead_organisation: str
    members: list[str] = field(default_factory=list)
    stage: int = 0
    excluded_resources: list[str] = field(default_factory=list)
    contact: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeConsortium(TeamCommand):
    joined: list[str]
    left: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordEvaluation(TeamCommand):
    stage: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendEvaluation(TeamCommand):
    evaluation: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvanceTeam(TeamCommand):
    to_stage: int
    objection_deadline: datetime | None = None  # makes the advancement provisional until then


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawTeam(TeamCommand):
    pass


# --- a team: elimination and re-entry ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EliminateTeam(TeamCommand):
    reason_code: str
    objection_deadline: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class UpholdElimination(TeamCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ReverseElimination(TeamCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferReEntry(TeamCommand):
    round_number: int
    deadline: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptOffer(TeamCommand):
    offer: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineOffer(TeamCommand):
    offer: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmAdvancement(TeamCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ReverseAdvancement(TeamCommand):
    pass


# --- evaluation rounds -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenEvaluationRound(ProgramCommand):
    stage: int
    title: str
    criteria: list[dict[str, Any]] | None = None  # None: the stage's
    gates: list[str] | None = None  # None: the stage's
    reentry_round: int | None = None  # the re-entry round whose applications it judges


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundCommand(ProgramCommand):
    """A decision about one evaluation round of a programme."""

    round_number: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelSeat:
    member: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterPanel(RoundCommand):
    members: list[PanelSeat]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareConflict(RoundCommand):
    member: str
    team_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecuseMember(RoundCommand):
    member: str
    team_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamOutcome:
    """One team's outcome in a round: what was published, and what follows (advance, eliminate, neither)."""

    team_code: str
    result: str | None = None  # "pass" or "fail"
    scores: dict[str, Decimal] = field(default_factory=dict)
    gates: dict[str, bool] = field(default_factory=dict)
    rank: int | None = None
    panel: list[str] | None = None  # None: every panel member not excused from the team
    advance_to: int | None = None
    eliminate: str | None = None  # the elimination's reason code
    objection_deadline: datetime | None = None  # of the elimination; makes an advancement provisional


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRoundOutcomes(RoundCommand):
    outcomes: list[TeamOutcome]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideRound(RoundCommand):
    selected: list[str]
    no_selection: bool = False
    votes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] | None = None


# --- a team: funding ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantFunding(TeamCommand):
    resource: str
    quantity: int
    period_start: date
    period_end: date
    budget_line: str = ""  # the line of an equivalent kind it draws on; empty: the kind's own


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnFunding(TeamCommand):
    resource: str
    quantity: int
    budget_line: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImposeExclusion(TeamCommand):
    resource: str  # a kind (``gpu:B200``) or a class (``gpu``)
    starts_on: date
    ends_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LiftExclusion(TeamCommand):
    exclusion: int
    ends_on: date


# --- resources and shared pools ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareResourceKind(ProgramCommand):
    """``quantity`` of ``resource`` are worth ``equals_quantity`` of ``equals`` (empty: a kind of its own)."""

    resource: str
    unit: str
    quantity: int = 1
    equals: str = ""
    equals_quantity: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolBudgetLine(ProgramCommand):
    resource: str
    pool: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenPool:
    pool_code: str
    title: str
    resource: str
    budget: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IncreasePoolBudget:
    pool_code: str
    amount: int


# --- access keys ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueKey:
    key_id: str
    name: str
    role: str
    secret: str  # only its SHA-256 is stored


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeKey:
    key_id: str

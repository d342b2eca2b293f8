"""The facts of a candidacy: what was decided about one team, as stored.

Each event's ``apply`` only assigns state. The classes are attached to
``Candidacy`` (``Candidacy.TeamEliminated`` and so on), which registers their
explicit topics; the topics, not the module they live in, name them in the store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from domain.candidacy.state import Elimination, Evaluation, Offer, TeamState, TeamStatus
from domain.events import DecisionEvent


class CandidacyEvent(DecisionEvent):
    """The base of every candidacy event (``Candidacy.Event``)."""


class ApplicationSubmitted(CandidacyEvent, Aggregate.Created):
    """Version 2 added ``contact``, where the team receives notices; version 1 events read it as empty."""

    TOPIC = "registry:ApplicationSubmitted"
    class_version = 2
    program_code: str
    team_code: str
    name_ko: str
    name_en: str
    lead_organisation: str
    members: list[str]
    stage: int
    excluded_resources: list[str]
    contact: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["contact"] = ""

    def apply(self, team: TeamState) -> None:
        team.program_code, team.team_code = self.program_code, self.team_code
        team.contact = self.contact
        team.name_ko, team.name_en = self.name_ko, self.name_en
        team.lead_organisation = self.lead_organisation
        team.members = list(self.members)
        team.excluded_resources = list(self.excluded_resources)
        team.applied_at = self.effective_at
        team.status, team.stage = TeamStatus.APPLIED, self.stage
        team.elimination = None
        team.evaluations, team.offers, team.holdings = {}, {}, {}
        team.grant_count = 0
        team.reentrant = False
        team.drawn, team.exclusions = {}, {}


class ConsortiumChanged(CandidacyEvent):
    TOPIC = "registry:ConsortiumChanged"
    joined: list[str]
    left: list[str]

    def apply(self, team: TeamState) -> None:
        team.members = [m for m in team.members if m not in self.left] + list(self.joined)


class EvaluationRecorded(CandidacyEvent):
    TOPIC = "registry:EvaluationRecorded"
    evaluation: int
    stage: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: list[str]

    def apply(self, team: TeamState) -> None:
        evaluation = Evaluation(self.stage, dict(self.scores), dict(self.gates), tuple(self.panel))
        team.evaluations[self.evaluation] = evaluation


class EvaluationAmended(CandidacyEvent):
    TOPIC = "registry:EvaluationAmended"
    evaluation: int
    stage: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: list[str]

    def apply(self, team: TeamState) -> None:
        evaluation = Evaluation(self.stage, dict(self.scores), dict(self.gates), tuple(self.panel))
        team.evaluations[self.evaluation] = evaluation


class TeamAdvanced(CandidacyEvent):
    TOPIC = "registry:TeamAdvanced"
    from_stage: int | None
    to_stage: int

    def apply(self, team: TeamState) -> None:
        team.status, team.stage = TeamStatus.ACTIVE, self.to_stage


class TeamEliminated(CandidacyEvent):
    TOPIC = "registry:TeamEliminated"
    stage: int
    reason_code: str
    objection_deadline: datetime
    was_seated: bool

    def apply(self, team: TeamState) -> None:
        team.status = TeamStatus.ELIMINATED
        team.elimination = Elimination(self.stage, self.was_seated, self.objection_deadline)


class EliminationUpheld(CandidacyEvent):
    TOPIC = "registry:EliminationUpheld"

    def apply(self, team: TeamState) -> None:
        team.elimination = replace(team.elimination, upheld=True)  # type: ignore[type-var]


class EliminationReversed(CandidacyEvent):
    TOPIC = "registry:EliminationReversed"
    stage: int
    was_seated: bool

    def apply(self, team: TeamState) -> None:
        team.status = TeamStatus.ACTIVE if self.was_seated else TeamStatus.APPLIED
        team.stage = self.stage
        team.elimination = None


class ReEntryOffered(CandidacyEvent):
    TOPIC = "registry:ReEntryOffered"
    offer: int
    round: int
    stage: int
    deadline: datetime

    def apply(self, team: TeamState) -> None:
        team.offers[self.offer] = Offer(self.round, self.stage, self.deadline, self.effective_at)


class OfferAccepted(CandidacyEvent):
    TOPIC = "registry:OfferAccepted"
    offer: int
    round: int
    stage: int

    def apply(self, team: TeamState) -> None:
        previous = team.offers[self.offer]
        team.offers[self.offer] = replace(previous, answer="accepted")
        team.status, team.stage = TeamStatus.ACTIVE, self.stage
        team.elimination = None
        team.reentrant = True


class OfferDeclined(CandidacyEvent):
    TOPIC = "registry:OfferDeclined"
    offer: int
    round: int

    def apply(self, team: TeamState) -> None:
        previous = team.offers[self.offer]
        team.offers[self.offer] = replace(previous, answer="declined")


class TeamWithdrew(CandidacyEvent):
    TOPIC = "registry:TeamWithdrew"
    stage: int
    was_seated: bool

    def apply(self, team: TeamState) -> None:
        team.status = TeamStatus.WITHDRAWN


class FundingGranted(CandidacyEvent):
    """Version 2 added the budget line the grant draws on and what it drew there (in the line's units); version 1
    grants drew their own quantity on their own kind's line."""

    TOPIC = "registry:FundingGranted"
    class_version = 2
    grant: int
    resource: str
    quantity: int
    period_start: str
    period_end: str
    budget_line: str
    drawn: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["budget_line"], state["drawn"] = state["resource"], state["quantity"]

    def apply(self, team: TeamState) -> None:
        team.holdings[self.resource] = team.holdings.get(self.resource, 0) + self.quantity
        team.drawn[self.budget_line] = team.drawn.get(self.budget_line, 0) + self.drawn
        team.grant_count = self.grant


class FundingReturned(CandidacyEvent):
    """Version 2 added the budget line the return goes back to and what it released there (see ``FundingGranted``)."""

    TOPIC = "registry:FundingReturned"
    class_version = 2
    resource: str
    quantity: int
    budget_line: str
    released: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["budget_line"], state["released"] = state["resource"], state["quantity"]

    def apply(self, team: TeamState) -> None:
        team.holdings[self.resource] -= self.quantity
        team.drawn[self.budget_line] = team.drawn.get(self.budget_line, 0) - self.released

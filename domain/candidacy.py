"""The candidacy aggregate: one team in one programme, from application to the end.

A candidacy holds everything decided about one team — consortium, evaluations,
elimination and objection, re-entry offers and answers, funding held — so
decisions about different teams never touch the same stream. Where a decision
also needs a seat or budget, the programme aggregate is changed beside it and
both are saved together (see ``domain.program``).

Statuses: ``applied`` (not seated yet), ``active`` (holds a seat in ``stage``),
``eliminated`` (provisional until upheld or until its objection deadline passes,
then final) and ``withdrawn``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.events import DecisionEvent
from domain.values import Stamp, aware, code, nfc, positive, resource_kind, text

if TYPE_CHECKING:
    from domain.program import Program

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/candidacy")
ELIMINATION_REASONS = ("below_cutoff", "failed_gate", "screening", "other")
MAX_MEMBERS = 100


@dataclass(frozen=True)
class Evaluation:
    stage: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.scores.values(), Decimal(0))


@dataclass(frozen=True)
class Elimination:
    stage: int
    was_seated: bool
    objection_deadline: datetime
    upheld: bool = False


@dataclass(frozen=True)
class Offer:
    round: int
    stage: int
    deadline: datetime
    offered_at: datetime
    answer: str | None = None


class Candidacy(Aggregate):
    TOPIC = "registry:Candidacy"

    class Event(DecisionEvent):
        pass

    class ApplicationSubmitted(Event, Aggregate.Created):
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

        def apply(self, team: Candidacy) -> None:
            team.program_code, team.team_code = self.program_code, self.team_code
            team.contact = self.contact
            team.name_ko, team.name_en = self.name_ko, self.name_en
            team.lead_organisation = self.lead_organisation
            team.members = list(self.members)
            team.excluded_resources = list(self.excluded_resources)
            team.applied_at = self.effective_at
            team.status, team.stage = "applied", self.stage
            team.elimination = None
            team.evaluations, team.offers, team.holdings = {}, {}, {}
            team.grant_count = 0
            team.reentrant = False

    Created = ApplicationSubmitted  # the library looks for a creation event under this name

    class ConsortiumChanged(Event):
        TOPIC = "registry:ConsortiumChanged"
        joined: list[str]
        left: list[str]

        def apply(self, team: Candidacy) -> None:
            team.members = [m for m in team.members if m not in self.left] + list(self.joined)

    class EvaluationRecorded(Event):
        TOPIC = "registry:EvaluationRecorded"
        evaluation: int
        stage: int
        scores: dict[str, Decimal]
        gates: dict[str, bool]
        panel: list[str]

        def apply(self, team: Candidacy) -> None:
            team.evaluations[self.evaluation] = Evaluation(
                self.stage, dict(self.scores), dict(self.gates), tuple(self.panel)
            )

    class EvaluationAmended(Event):
        TOPIC = "registry:EvaluationAmended"
        evaluation: int
        stage: int
        scores: dict[str, Decimal]
        gates: dict[str, bool]
        panel: list[str]

        def apply(self, team: Candidacy) -> None:
            team.evaluations[self.evaluation] = Evaluation(
                self.stage, dict(self.scores), dict(self.gates), tuple(self.panel)
            )

    class TeamAdvanced(Event):
        TOPIC = "registry:TeamAdvanced"
        from_stage: int | None
        to_stage: int

        def apply(self, team: Candidacy) -> None:
            team.status, team.stage = "active", self.to_stage

    class TeamEliminated(Event):
        TOPIC = "registry:TeamEliminated"
        stage: int
        reason_code: str
        objection_deadline: datetime
        was_seated: bool

        def apply(self, team: Candidacy) -> None:
            team.status = "eliminated"
            team.elimination = Elimination(self.stage, self.was_seated, self.objection_deadline)

    class EliminationUpheld(Event):
        TOPIC = "registry:EliminationUpheld"

        def apply(self, team: Candidacy) -> None:
            team.elimination = replace(team.elimination, upheld=True)  # type: ignore[type-var]

    class EliminationReversed(Event):
        TOPIC = "registry:EliminationReversed"
        stage: int
        was_seated: bool

        def apply(self, team: Candidacy) -> None:
            team.status = "active" if self.was_seated else "applied"
            team.stage = self.stage
            team.elimination = None

    class ReEntryOffered(Event):
        TOPIC = "registry:ReEntryOffered"
        offer: int
        round: int
        stage: int
        deadline: datetime

        def apply(self, team: Candidacy) -> None:
            team.offers[self.offer] = Offer(self.round, self.stage, self.deadline, self.effective_at)

    class OfferAccepted(Event):
        TOPIC = "registry:OfferAccepted"
        offer: int
        round: int
        stage: int

        def apply(self, team: Candidacy) -> None:
            previous = team.offers[self.offer]
            team.offers[self.offer] = replace(previous, answer="accepted")
            team.status, team.stage = "active", self.stage
            team.elimination = None
            team.reentrant = True

    class OfferDeclined(Event):
        TOPIC = "registry:OfferDeclined"
        offer: int
        round: int

        def apply(self, team: Candidacy) -> None:
            previous = team.offers[self.offer]
            team.offers[self.offer] = replace(previous, answer="declined")

    class TeamWithdrew(Event):
        TOPIC = "registry:TeamWithdrew"
        stage: int
        was_seated: bool

        def apply(self, team: Candidacy) -> None:
            team.status = "withdrawn"

    class FundingGranted(Event):
        TOPIC = "registry:FundingGranted"
        grant: int
        resource: str
        quantity: int
        period_start: str
        period_end: str

        def apply(self, team: Candidacy) -> None:
            team.holdings[self.resource] = team.holdings.get(self.resource, 0) + self.quantity
            team.grant_count = self.grant

    class FundingReturned(Event):
        TOPIC = "registry:FundingReturned"
        resource: str
        quantity: int

        def apply(self, team: Candidacy) -> None:
            team.holdings[self.resource] -= self.quantity

    if TYPE_CHECKING:  # state, assigned only by the events above
        program_code: str
        team_code: str
        name_ko: str
        name_en: str
        lead_organisation: str
        members: list[str]
        excluded_resources: list[str]
        contact: str
        applied_at: datetime
        status: str
        stage: int
        elimination: Elimination | None
        evaluations: dict[int, Evaluation]
        offers: dict[int, Offer]
        holdings: dict[str, int]
        grant_count: int
        reentrant: bool

    @staticmethod
    def id_for(program_code: str, team_code: str) -> UUID:
        return uuid5(NAMESPACE, f"{code(program_code)}/{code(team_code, 'team code')}")

    @property
    def seated(self) -> bool:
        return self.status == "active"

    def is_finally_eliminated(self, at: datetime) -> bool:
        e = self.elimination
        return self.status == "eliminated" and e is not None and (e.upheld or at > e.objection_deadline)

    # --- commands -------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        stamp: Stamp,
        program: Program,
        *,
        team_code: str,
        name_ko: str,
        name_en: str,
        lead_organisation: str,
        members: list[str] | None = None,
        stage: int = 0,
        excluded_resources: list[str] | None = None,
        contact: str = "",
    ) -> Candidacy:
        stamp.not_before(program.opened_at)
        program.stage(stage)
        team_code = code(team_code, "team code")
        lead = text(lead_organisation, "lead_organisation", limit=300)
        return cls._create(
            cls.ApplicationSubmitted,
            id=cls.id_for(program.code, team_code),
            program_code=program.code,
            team_code=team_code,
            name_ko=text(name_ko, "name_ko", limit=300),
            name_en=text(name_en, "name_en", limit=300),
            lead_organisation=lead,
            members=_members(members or [], exclude=lead),
            stage=stage,
            excluded_resources=sorted({nfc(r.strip()) for r in excluded_resources or []}),
            contact=text(contact, "contact", required=False, limit=200),
            **stamp.event_fields(),
        )

    def change_consortium(self, stamp: Stamp, program: Program, joined: list[str], left: list[str]) -> None:
        self._check_open(stamp, program)
        joining = [m for m in _members(joined, exclude=self.lead_organisation) if m not in self.members]
        leaving = _members(left, exclude="")
        if self.lead_organisation in leaving or any(m not in self.members for m in leaving):
            msg = "only current members other than the lead organisation can leave"
            raise errors.MembershipError(msg)
        if not joining and not leaving:
            return  # nothing changes
        if len(self.members) + len(joining) - len(leaving) > MAX_MEMBERS:
            raise errors.MembershipError(f"a consortium has at most {MAX_MEMBERS} members")
        self.trigger_event(self.ConsortiumChanged, joined=joining, left=leaving, **stamp.event_fields())

    def record_evaluation(
        self,
        stamp: Stamp,
        program: Program,
        *,
        stage: int,
        scores: dict[str, Decimal],
        gates: dict[str, bool],
        panel: list[str],
    ) -> int:
        self._check_open(stamp, program)
        if stage != self.stage:
            msg = f"team {self.team_code} is in stage {self.stage + 1}, not stage {stage + 1}"
            raise errors.WrongStageError(msg)
        number = len(self.evaluations) + 1
        self.trigger_event(
            self.EvaluationRecorded,
            evaluation=number,
            stage=stage,
            **_checked_scores(program, stage, scores, gates, panel),
            **stamp.event_fields(),
        )
        return number

    def amend_evaluation(
        self,
        stamp: Stamp,
        program: Program,
        *,
        evaluation: int,
        scores: dict[str, Decimal],
        gates: dict[str, bool],
        panel: list[str],
    ) -> None:
        self._check_open(stamp, program)
        try:
            original = self.evaluations[evaluation]
        except KeyError:
            msg = f"team {self.team_code} has no evaluation {evaluation}"
            raise errors.EvaluationNotFoundError(msg) from None
        checked = _checked_scores(program, original.stage, scores, gates, panel)
        if Evaluation(original.stage, checked["scores"], checked["gates"], tuple(checked["panel"])) == original:
            return  # the amendment restates the evaluation as it stands
        self.trigger_event(
            self.EvaluationAmended,
            evaluation=evaluation,
            stage=original.stage,
            **checked,
            **stamp.event_fields(),
        )

    def advance(self, stamp: Stamp, program: Program, to_stage: int) -> None:
        """Record the advance; the caller takes the seat on the programme beside it."""
        self._check_open(stamp, program)
        program.stage(to_stage)
        expected = self.stage if self.status == "applied" else self.stage + 1
        if self.status not in ("applied", "active") or to_stage != expected:
            msg = f"team {self.team_code} ({self.status}, stage {self.stage + 1}) cannot move to stage {to_stage + 1}"
            raise errors.WrongStageError(msg)
        from_stage = self.stage if self.seated else None
        program.take_seat(stamp, self.team_code, to_stage, left_stage=from_stage)
        self.trigger_event(self.TeamAdvanced, from_stage=from_stage, to_stage=to_stage, **stamp.event_fields())

    def eliminate(self, stamp: Stamp, program: Program, *, reason_code: str, objection_deadline: datetime) -> None:
        self._check_open(stamp, program)
        if self.status == "eliminated":
            raise errors.AlreadyEliminatedError(f"team {self.team_code} is already eliminated")
        if reason_code not in ELIMINATION_REASONS:
            msg = f"reason_code must be one of {', '.join(ELIMINATION_REASONS)}"
            raise errors.InvalidValueError(msg)
        if aware(objection_deadline, "objection_deadline") <= stamp.effective_at:
            raise errors.InvalidValueError("the objection deadline must be after the elimination")
        if not stamp.reason:
            raise errors.InvalidValueError("an elimination needs a reason")
        was_seated = self.seated
        program.release_seat(stamp, self.team_code, self.stage)
        self.trigger_event(
            self.TeamEliminated,
            stage=self.stage,
            reason_code=reason_code,
            objection_deadline=objection_deadline,
            was_seated=was_seated,
            **stamp.event_fields(),
        )

    def uphold_elimination(self, stamp: Stamp, program: Program) -> None:
        """Upholding confirms the elimination: allowed until it is upheld or reversed, even after the deadline."""
        stamp.not_before(program.opened_at)
        self._pending_elimination(stamp, reversing=False)
        self.trigger_event(self.EliminationUpheld, **stamp.event_fields())

    def reverse_elimination(self, stamp: Stamp, program: Program) -> None:
        stamp.not_before(program.opened_at)
        elimination = self._pending_elimination(stamp)
        if elimination.was_seated:
            program.take_seat(stamp, self.team_code, elimination.stage)
        self.trigger_event(
            self.EliminationReversed,
            stage=elimination.stage,
            was_seated=elimination.was_seated,
            **stamp.event_fields(),
        )

    def offer_reentry(self, stamp: Stamp, program: Program, *, round_number: int, deadline: datetime) -> int:
        stamp.not_before(program.opened_at)
        reentry = program.reentry_round(round_number)
        if not reentry.is_open(stamp.effective_at):
            raise errors.RoundClosedError(f"re-entry round {round_number} is not open")
        if not self._eligible_for(reentry.eligibility, reentry.opens_at):
            msg = f"team {self.team_code} ({self.status}) is not eligible for round {round_number}"
            raise errors.NotEligibleError(msg)
        if not stamp.effective_at < aware(deadline, "deadline") <= reentry.closes_at:
            raise errors.InvalidValueError("an offer's deadline must fall before the round closes")
        if any(o.round == round_number and o.answer is None for o in self.offers.values()):
            msg = f"team {self.team_code} already holds an unanswered offer in round {round_number}"
            raise errors.OfferPendingError(msg)
        number = len(self.offers) + 1
        self.trigger_event(
            self.ReEntryOffered,
            offer=number,
            round=round_number,
            stage=reentry.stage,
            deadline=deadline,
            **stamp.event_fields(),
        )
        return number

    def accept_offer(self, stamp: Stamp, program: Program, offer: int) -> None:
        stamp.not_before(program.opened_at)
        pending = self._answerable_offer(stamp, offer)
        reentry = program.reentry_round(pending.round)
        if not reentry.is_open(stamp.effective_at):
            raise errors.RoundClosedError(f"re-entry round {pending.round} has closed")
        self._after_offer(stamp, pending, offer)
        if self.status == "withdrawn":
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        if not self._eligible_for(reentry.eligibility, reentry.opens_at):
            msg = f"team {self.team_code} ({self.status}) is no longer eligible for round {pending.round}"
            raise errors.NotEligibleError(msg)
        program.take_seat(stamp, self.team_code, pending.stage, round_number=pending.round)
        self.trigger_event(
            self.OfferAccepted, offer=offer, round=pending.round, stage=pending.stage, **stamp.event_fields()
        )

    def decline_offer(self, stamp: Stamp, program: Program, offer: int) -> None:
        stamp.not_before(program.opened_at)
        pending = self._answerable_offer(stamp, offer)
        self._after_offer(stamp, pending, offer)
        self.trigger_event(self.OfferDeclined, offer=offer, round=pending.round, **stamp.event_fields())

    def withdraw(self, stamp: Stamp, program: Program) -> None:
        self._check_open(stamp, program)
        was_seated = self.seated
        program.release_seat(stamp, self.team_code, self.stage)
        self.trigger_event(self.TeamWithdrew, stage=self.stage, was_seated=was_seated, **stamp.event_fields())

    def grant_funding(
        self,
        stamp: Stamp,
        program: Program,
        *,
        resource: str,
        quantity: int,
        period_start: date,
        period_end: date,
    ) -> None:
        self._check_open(stamp, program)
        resource = resource_kind(resource)
        if any(resource == x or resource.startswith(f"{x}:") for x in self.excluded_resources):
            raise errors.ResourceExcludedError(f"team {self.team_code} is excluded from {resource}")
        if period_end < period_start:
            raise errors.InvalidValueError("a grant's period must end after it starts")
        program.commit_funds(stamp, self.team_code, resource, positive(quantity, "quantity"))
        self.trigger_event(
            self.FundingGranted,
            grant=self.grant_count + 1,
            resource=resource,
            quantity=quantity,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
            **stamp.event_fields(),
        )

    def return_funding(self, stamp: Stamp, program: Program, *, resource: str, quantity: int) -> None:
        stamp.not_before(program.opened_at)
        resource = resource_kind(resource)
        held = self.holdings.get(resource, 0)
        if positive(quantity, "quantity") > held:
            msg = f"team {self.team_code} holds {held} {resource}, cannot return {quantity}"
            raise errors.ReturnExceedsHoldingError(msg)
        program.release_funds(stamp, self.team_code, resource, quantity)
        self.trigger_event(self.FundingReturned, resource=resource, quantity=quantity, **stamp.event_fields())

    # --- rule helpers ---------------------------------------------------------------

    def _check_open(self, stamp: Stamp, program: Program) -> None:
        """The team may still receive decisions: not withdrawn, not finally eliminated.

        Finality is judged when the decision is recorded, not at the date it claims: once an
        objection window has closed, back-dating a decision to inside it cannot reopen it.
        """
        stamp.not_before(program.opened_at)
        if self.status == "withdrawn":
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        if self.is_finally_eliminated(stamp.recorded_at):
            raise errors.TeamInactiveError(f"team {self.team_code} is finally eliminated")

    def _pending_elimination(self, stamp: Stamp, *, reversing: bool = True) -> Elimination:
        e = self.elimination
        if self.status != "eliminated" or e is None or e.upheld:
            msg = f"team {self.team_code} has no provisional elimination"
            raise errors.NoPendingEliminationError(msg)
        if reversing and stamp.recorded_at > e.objection_deadline:
            msg = f"the objection deadline {e.objection_deadline.isoformat()} has passed"
            raise errors.EliminationFinalError(msg)
        return e

    def _eligible_for(self, eligibility: tuple[str, ...], opens_at: datetime) -> bool:
        return (
            ("eliminated" in eligibility and self.status == "eliminated")
            or ("applicants" in eligibility and self.status == "applied" and self.applied_at < opens_at)
            or ("new_entrants" in eligibility and self.status == "applied" and self.applied_at >= opens_at)
        )

    def _answerable_offer(self, stamp: Stamp, number: int) -> Offer:
        try:
            offer = self.offers[number]
        except KeyError:
            raise errors.OfferNotFoundError(f"team {self.team_code} has no offer {number}") from None
        if offer.answer is not None:
            raise errors.OfferAlreadyAnsweredError(f"offer {number} was already {offer.answer}")
        if stamp.effective_at > offer.deadline:
            raise errors.OfferExpiredError(f"offer {number} expired on {offer.deadline.isoformat()}")
        return offer

    @staticmethod
    def _after_offer(stamp: Stamp, offer: Offer, number: int) -> None:
        if stamp.effective_at < offer.offered_at:
            raise errors.EffectiveTimeError(f"an answer cannot take effect before offer {number} was made")


def _members(names: list[str], *, exclude: str) -> list[str]:
    members: list[str] = []
    for name in names:
        member = text(name, "member", limit=300)
        if member != exclude and member not in members:
            members.append(member)
    if len(members) > MAX_MEMBERS:
        raise errors.MembershipError(f"a consortium has at most {MAX_MEMBERS} members")
    return members


def _checked_scores(
    program: Program,
    stage: int,
    scores: dict[str, Decimal],
    gates: dict[str, bool],
    panel: list[str],
) -> dict[str, Any]:
    definition = program.stage(stage)
    criteria = {c.code: c.max_points for c in definition.criteria}
    scores = {nfc(k): Decimal(v) for k, v in scores.items()}
    gates = {nfc(k): v for k, v in gates.items()}
    if set(scores) != set(criteria) or set(gates) != set(definition.gates):
        msg = (
            f"stage {stage + 1} needs scores for {', '.join(criteria) or 'no criteria'} "
            f"and results for {', '.join(definition.gates) or 'no gates'}"
        )
        raise errors.InvalidScoresError(msg)
    for criterion, score in scores.items():
        if not score.is_finite() or not 0 <= score <= criteria[criterion]:
            msg = f"{criterion} score {score} is outside 0–{criteria[criterion]}"
            raise errors.ScoreOutOfRangeError(msg)
    if any(not isinstance(v, bool) for v in gates.values()):
        raise errors.InvalidScoresError("gate results must be true or false")
    members = [text(p, "panel member", limit=200) for p in panel]
    if len(members) > MAX_MEMBERS:
        raise errors.InvalidValueError(f"a panel has at most {MAX_MEMBERS} members")
    return {"scores": scores, "gates": gates, "panel": members}

"""The programme aggregate: stages and their seats, resource budgets, re-entry rounds, finalists.

Aggregate boundaries. Decisions about one team (scores, consortium, offers,
answers) live on that team's own ``Candidacy`` stream, so officials recording
decisions about different teams never contend for the same stream. Only the
rules that span teams live here: a stage's seat count, a resource's budget, a
re-entry round's seats and the finalist list. A decision that touches both —
a team taking or leaving a seat, a grant or a return — appends one event to
each aggregate and the application saves both in one transaction, so the
optimistic version check on the programme stream serialises exactly the
decisions that compete for seats or budget, and nothing else.

Three concerns of the programme live in their own modules and are mixed in
here, their events attached so that their topics are registered: calls for
applications (``domain.calls``), a re-entry round's window moving
(``domain.reentry_windows``), rules that change after opening, with the
programme's rules version (``domain.rules``), and a programme announced before
its call (``domain.announcement``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import announcement, calls, errors, reentry_windows, resources, rules
from domain.program_state import ProgramEvent, ReEntryRound
from domain.values import MAX_AMOUNT, Stage, Stamp, aware, code, display_name, positive, resource_kind

ELIGIBILITY = ("eliminated", "applicants", "new_entrants")
NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/program")


class Program(
    rules.Rules, calls.Calls, reentry_windows.ReEntryWindows, resources.Resources, Aggregate, announcement.Announcing
):
    TOPIC = "registry:Program"

    # Events of the concerns in their own modules are attached here, so the library registers their topics.
    if TYPE_CHECKING:
        Event: TypeAlias = ProgramEvent
        Announced: TypeAlias = announcement.Announced
        StageAdded: TypeAlias = rules.StageAdded
        StageAmended: TypeAlias = rules.StageAmended
        StageEvaluationBegan: TypeAlias = rules.StageEvaluationBegan
        CallOpened: TypeAlias = calls.CallOpened
        CallExtended: TypeAlias = calls.CallExtended
        CallClosedEarly: TypeAlias = calls.CallClosedEarly
        ReEntryRoundExtended: TypeAlias = reentry_windows.ReEntryRoundExtended
        ReEntryRoundClosedEarly: TypeAlias = reentry_windows.ReEntryRoundClosedEarly
        ResourceKindDeclared: TypeAlias = resources.ResourceKindDeclared
        BudgetLinePooled: TypeAlias = resources.BudgetLinePooled
    else:
        Event = ProgramEvent
        Announced = announcement.Announced
        StageAdded, StageAmended = rules.StageAdded, rules.StageAmended
        StageEvaluationBegan = rules.StageEvaluationBegan
        CallOpened, CallExtended, CallClosedEarly = calls.CallOpened, calls.CallExtended, calls.CallClosedEarly
        ReEntryRoundExtended = reentry_windows.ReEntryRoundExtended
        ReEntryRoundClosedEarly = reentry_windows.ReEntryRoundClosedEarly
        ResourceKindDeclared, BudgetLinePooled = resources.ResourceKindDeclared, resources.BudgetLinePooled

    class Opened(Event, Aggregate.Created):
        TOPIC = "registry:ProgramOpened"
        code: str
        title_ko: str
        title_en: str
        agency: str
        stages: list[dict[str, Any]]
        budgets: dict[str, int]
        finalist_count: int

        def apply(self, program: Program) -> None:
            announcement.begin(program, self, announced=False)

    Created = Opened  # the library looks for a creation event under this name

    class BudgetIncreased(Event):
        TOPIC = "registry:BudgetIncreased"
        resource: str
        amount: int

        def apply(self, program: Program) -> None:
            program.budgets[self.resource] = program.budgets.get(self.resource, 0) + self.amount
            program.allocated.setdefault(self.resource, 0)
            program.committed.setdefault(self.resource, 0)

    class SeatTaken(Event):
        TOPIC = "registry:SeatTaken"
        team: str
        stage: int
        left_stage: int | None
        round: int | None

        def apply(self, program: Program) -> None:
            if self.left_stage is not None:
                program.holders[self.left_stage].discard(self.team)
            program.holders[self.stage].add(self.team)
            program.fixed_stages.add(self.stage)
            if self.round is not None:
                program.round_fills[self.round] = program.round_fills.get(self.round, 0) + 1

    class SeatReleased(Event):
        TOPIC = "registry:SeatReleased"
        team: str
        stage: int

        def apply(self, program: Program) -> None:
            program.holders[self.stage].discard(self.team)

    class FundsCommitted(Event):
        TOPIC = "registry:FundsCommitted"
        team: str
        resource: str
        quantity: int

        def apply(self, program: Program) -> None:
            program.allocated[self.resource] += self.quantity
            program.committed[self.resource] = program.committed.get(self.resource, 0) + self.quantity

    class FundsReleased(Event):
        TOPIC = "registry:FundsReleased"
        team: str
        resource: str
        quantity: int

        def apply(self, program: Program) -> None:
            program.allocated[self.resource] -= self.quantity

    class ReEntryRoundOpened(Event):
        TOPIC = "registry:ReEntryRoundOpened"
        round: int
        stage: int
        seats: int
        eligibility: list[str]
        opens_at: datetime
        closes_at: datetime

        def apply(self, program: Program) -> None:
            program.rounds[self.round] = ReEntryRound(
                self.round,
                self.stage,
                self.seats,
                tuple(self.eligibility),
                self.opens_at,
                self.closes_at,
            )

    class FinalistsSelected(Event):
        TOPIC = "registry:FinalistsSelected"
        teams: list[str]

        def apply(self, program: Program) -> None:
            program.finalists = list(self.teams)

    if TYPE_CHECKING:  # state, assigned only by the events above
        code: str
        title_ko: str
        title_en: str
        agency: str
        opened_at: datetime
        stages: list[Stage]
        budgets: dict[str, int]
        allocated: dict[str, int]
        committed: dict[str, int]  # all ever committed per resource, returns not deducted: bounded by MAX_AMOUNT
        finalist_count: int
        holders: list[set[str]]
        rounds: dict[int, ReEntryRound]
        finalists: list[str]
        round_fills: dict[int, int]

    @staticmethod
    def id_for(program_code: str) -> UUID:
        return uuid5(NAMESPACE, code(program_code, "programme code"))

    # --- commands -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        stamp: Stamp,
        *,
        program_code: str,
        title_ko: str,
        title_en: str,
        agency: str,
        stages: list[Stage],
        budgets: dict[str, int],
        finalist_count: int,
    ) -> Program:
        if not stages:
            raise errors.InvalidValueError("a programme needs at least one stage")
        if positive(finalist_count, "finalist_count") > stages[-1].seats:
            msg = f"finalist_count {finalist_count} exceeds the last stage's {stages[-1].seats} seats"
            raise errors.InvalidValueError(msg)
        checked_budgets = {resource_kind(k): _non_negative(v, k) for k, v in budgets.items()}
        program_code = code(program_code, "programme code")
        return cls._create(
            cls.Opened,
            **{**stamp.event_fields(), "rules_version": 1},
            id=cls.id_for(program_code),
            code=program_code,
            title_ko=display_name(title_ko, "title_ko", limit=300),
            title_en=display_name(title_en, "title_en", limit=300),
            agency=display_name(agency, "agency", limit=300),
            stages=[s.as_record() for s in stages],
            budgets=checked_budgets,
            finalist_count=finalist_count,
        )

    def increase_budget(self, stamp: Stamp, resource: str, amount: int) -> None:
        self._check_time(stamp)
        if self.pool_of(resource_kind(resource)) is not None:
            raise errors.BudgetLinePooledError(f"{resource} draws on pool {self.pool_of(resource)}: increase the pool")
        if self.budgets.get(resource, 0) + positive(amount, "amount") > MAX_AMOUNT:
            msg = f"the budget for {resource} would exceed {MAX_AMOUNT:,}, the largest the registry keeps"
            raise errors.AmountLimitError(msg)
        self.trigger_event(
            self.BudgetIncreased,
            resource=resource_kind(resource),
            amount=positive(amount, "amount"),
            **stamp.event_fields(),
        )

    def stage(self, index: int) -> Stage:
        if not 0 <= index < len(self.stages):
            msg = f"programme {self.code} has no stage {index} (its stages are 0 to {len(self.stages) - 1})"
            raise errors.UnknownStageError(msg)
        return self.stages[index]

    def stage_label(self, index: int) -> str:
        """A stage as every message names it: its index as the API counts (from 0) and its name."""
        return f"stage {index} ({self.stage(index).name})"

    def concluded(self, stage: int) -> bool:
        """Every stage is concluded once the finalists are selected: the competition is decided.

        (A later stage taking seats does not conclude an earlier one: teams move through a stage at
        their own pace, and a stage may still fill its seats while the first teams are past it.)
        """
        return bool(self.finalists)

    def check_takes_new_teams(self, stage: int) -> None:
        if self.concluded(stage):
            msg = f"{self.stage_label(stage)} is concluded (the finalists are selected) and takes no new teams"
            raise errors.StageConcludedError(msg)

    def vacancies(self, stage: int) -> int:
        return self.stage(stage).seats - len(self.holders[stage])

    def take_seat(
        self,
        stamp: Stamp,
        team: str,
        stage: int,
        *,
        left_stage: int | None = None,
        round_number: int | None = None,
    ) -> None:
        if team not in self.holders[stage] and self.vacancies(stage) <= 0:
            msg = f"{self.stage_label(stage)} has no vacant seat"
            raise errors.SeatUnavailableError(msg)
        if round_number is not None:
            self._check_round_seat(round_number)
        elif team not in self.holders[stage] and self.vacancies(stage) <= self.reserved(stage, stamp.effective_at):
            msg = f"the vacant seats of {self.stage_label(stage)} are held for a re-entry round"
            raise errors.SeatUnavailableError(msg)
        self.trigger_event(
            self.SeatTaken,
            team=team,
            stage=stage,
            left_stage=left_stage,
            round=round_number,
            **stamp.event_fields(),
        )

    def reserved(self, stage: int, at: datetime) -> int:
        """Seats of a stage held for re-entry rounds open at ``at`` and not yet filled through them."""
        return sum(
            max(0, r.seats - self.round_fills.get(r.number, 0))
            for r in self.rounds.values()
            if r.stage == stage and r.is_open(at)
        )

    def release_seat(self, stamp: Stamp, team: str, stage: int) -> None:
        if team in self.holders[stage]:
            self.trigger_event(self.SeatReleased, team=team, stage=stage, **stamp.event_fields())

    def commit_funds(self, stamp: Stamp, team: str, resource: str, quantity: int) -> None:
        remaining = self.remaining(resource) if self.pool_of(resource) is None else quantity  # the pool decides
        if self.committed.get(resource, 0) + quantity > MAX_AMOUNT:
            msg = f"{resource} committed over the programme's life would exceed {MAX_AMOUNT:,}, the most it keeps"
            raise errors.AmountLimitError(msg)
        if quantity > remaining:
            msg = f"{quantity} {resource} exceeds the remaining budget of {remaining}"
            raise errors.BudgetExceededError(msg)
        self.trigger_event(
            self.FundsCommitted,
            team=team,
            resource=resource,
            quantity=quantity,
            **stamp.event_fields(),
        )

    def release_funds(self, stamp: Stamp, team: str, resource: str, quantity: int) -> None:
        self.trigger_event(self.FundsReleased, team=team, resource=resource, quantity=quantity, **stamp.event_fields())

    def remaining(self, resource: str) -> int:
        if resource not in self.budgets:
            raise errors.UnknownResourceError(f"programme {self.code} has no budget for {resource}")
        return self.budgets[resource] - self.allocated[resource]

    def open_reentry_round(
        self,
        stamp: Stamp,
        *,
        stage: int,
        seats: int,
        eligibility: list[str],
        opens_at: datetime,
        closes_at: datetime,
    ) -> int:
        self._check_time(stamp)
        self.stage(stage)
        unknown = sorted(set(eligibility) - set(ELIGIBILITY))
        if not eligibility or unknown:
            msg = f"eligibility must be a non-empty subset of {', '.join(ELIGIBILITY)}"
            raise errors.InvalidValueError(msg)
        if aware(closes_at, "closes_at") <= aware(opens_at, "opens_at"):
            raise errors.InvalidValueError("a round must close after it opens")
        free = self.vacancies(stage) - self.reserved(stage, opens_at)
        if positive(seats, "seats") > free:
            msg = f"{self.stage_label(stage)} has {free} vacant seats not held by another round, not {seats}"
            raise errors.SeatUnavailableError(msg)
        number = len(self.rounds) + 1
        self.trigger_event(
            self.ReEntryRoundOpened,
            round=number,
            stage=stage,
            seats=seats,
            eligibility=[e for e in ELIGIBILITY if e in eligibility],
            opens_at=opens_at,
            closes_at=closes_at,
            **stamp.event_fields(),
        )
        return number

    def reentry_round(self, number: int) -> ReEntryRound:
        try:
            return self.rounds[number]
        except KeyError:
            msg = f"programme {self.code} has no re-entry round {number}"
            raise errors.RoundNotFoundError(msg) from None

    def select_finalists(self, stamp: Stamp, teams: list[str]) -> None:
        self._check_time(stamp)
        chosen = sorted({code(t, "team code") for t in teams})
        if self.finalists:
            if chosen == sorted(self.finalists):
                return  # the same selection again changes nothing
            raise errors.FinalistsAlreadySelectedError("finalists were already selected")
        if not chosen or len(chosen) != len(teams):
            raise errors.InvalidValueError("finalists must be a non-empty list without repeats")
        if len(chosen) > self.finalist_count:
            msg = f"{len(chosen)} finalists exceed the configured {self.finalist_count}"
            raise errors.TooManyFinalistsError(msg)
        outside = [t for t in chosen if t not in self.holders[-1]]
        if outside:
            msg = f"not active in the last stage: {', '.join(outside)}"
            raise errors.FinalistNotInLastStageError(msg)
        self.trigger_event(self.FinalistsSelected, teams=chosen, **stamp.event_fields())

    def _check_time(self, stamp: Stamp) -> None:
        stamp.not_before(self.opened_at)

    def _check_round_seat(self, number: int) -> None:
        reentry = self.reentry_round(number)
        if self.round_fills.get(number, 0) >= reentry.seats:
            msg = f"re-entry round {number} has no seat left"
            raise errors.SeatUnavailableError(msg)


def _non_negative(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise errors.InvalidValueError(f"budget for {what} must be a whole number from 0 to {MAX_AMOUNT:,}")
    return value

"""The application service: one method per decision, each a load–decide–save unit.

Every method loads the aggregates the decision needs, lets them decide (they
raise a named error or append events), and saves every changed aggregate in
one atomic ``save``. If another decision saved a competing version in the
meantime the store refuses the save; the method then reloads and decides again,
a bounded number of times, so a lost race either succeeds on fresh state or
fails with the rule that now forbids it — never silently.

The clock is passed in; nothing here reads the wall clock or the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain import errors
from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from domain.values import Stage, Stamp

T = TypeVar("T")
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Context:
    """Who is asking, and the decision's own date and reason, as given by the caller."""

    actor: str
    effective_at: datetime | None = None
    reason: str = ""
    correlation_id: str = ""


@dataclass(frozen=True)
class Recorded:
    """What a decision stored: its events and the log position of the last one."""

    events: tuple[DecisionEvent, ...]
    positions: tuple[int, ...]
    result: Any = None

    @property
    def position(self) -> int | None:
        return self.positions[-1] if self.positions else None


class Registry(Application[UUID]):
    """The programme registry's event-sourced application."""

    name = "registry"
    log_section_size = 1000

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(env)
        self.clock = clock

    # --- reading aggregates -----------------------------------------------------------

    def program(self, program_code: str) -> Program:
        try:
            return self._get(Program.id_for(program_code), Program)
        except AggregateNotFoundError:
            raise errors.ProgramNotFoundError(f"no programme {program_code!r}") from None

    def candidacy(self, program_code: str, team_code: str) -> Candidacy:
        self.program(program_code)
        try:
            return self._get(Candidacy.id_for(program_code, team_code), Candidacy)
        except AggregateNotFoundError:
            msg = f"no team {team_code!r} in programme {program_code!r}"
            raise errors.TeamNotFoundError(msg) from None

    def _get(self, aggregate_id: UUID, kind: type[T]) -> T:
        aggregate: object = self.repository.get(aggregate_id)
        if not isinstance(aggregate, kind):
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    # --- decisions --------------------------------------------------------------------

    def open_program(
        self,
        ctx: Context,
        *,
        program_code: str,
        title_ko: str,
        title_en: str,
        agency: str,
        stages: list[dict[str, Any]],
        budgets: dict[str, int],
        finalist_count: int,
    ) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            try:
                self.program(program_code)
            except errors.ProgramNotFoundError:
                pass
            else:
                raise errors.ProgramAlreadyOpenedError(f"programme {program_code!r} already exists")
            made = [Stage.make(s["name"], s["seats"], s.get("criteria", []), s.get("gates", [])) for s in stages]
            program = Program.open(
                stamp,
                program_code=program_code,
                title_ko=title_ko,
                title_en=title_en,
                agency=agency,
                stages=made,
                budgets=budgets,
                finalist_count=finalist_count,
            )
            return [program], None

        return self._decide(ctx, decide)

    def increase_budget(self, ctx: Context, program_code: str, *, resource: str, amount: int) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(program_code)
            program.increase_budget(stamp, resource, amount)
            return [program], None

        return self._decide(ctx, decide)

    def submit_application(self, ctx: Context, program_code: str, **application: Any) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(program_code)
            team_code = application["team_code"]
            if Candidacy.id_for(program.code, team_code) in self.repository:
                msg = f"team {team_code!r} already applied to programme {program_code!r}"
                raise errors.DuplicateApplicationError(msg)
            return [Candidacy.submit(stamp, program, **application)], None

        return self._decide(ctx, decide)

    def select_finalists(self, ctx: Context, program_code: str, *, teams: list[str]) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(program_code)
            program.select_finalists(stamp, teams)
            return [program], None

        return self._decide(ctx, decide)

    def open_reentry_round(self, ctx: Context, program_code: str, **round_: Any) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], int]:
            program = self.program(program_code)
            return [program], program.open_reentry_round(stamp, **round_)

        return self._decide(ctx, decide)

    def change_consortium(self, ctx: Context, program_code: str, team_code: str, **change: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.change_consortium, **change)

    def record_evaluation(self, ctx: Context, program_code: str, team_code: str, **evaluation: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.record_evaluation, **evaluation)

    def amend_evaluation(self, ctx: Context, program_code: str, team_code: str, **amendment: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.amend_evaluation, **amendment)

    def advance_team(self, ctx: Context, program_code: str, team_code: str, *, to_stage: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.advance, to_stage)

    def eliminate_team(self, ctx: Context, program_code: str, team_code: str, **elimination: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.eliminate, **elimination)

    def uphold_elimination(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.uphold_elimination)

    def reverse_elimination(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.reverse_elimination)

    def offer_reentry(self, ctx: Context, program_code: str, team_code: str, **offer: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.offer_reentry, **offer)

    def accept_offer(self, ctx: Context, program_code: str, team_code: str, *, offer: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.accept_offer, offer)

    def decline_offer(self, ctx: Context, program_code: str, team_code: str, *, offer: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.decline_offer, offer)

    def withdraw_team(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.withdraw)

    def grant_funding(
        self,
        ctx: Context,
        program_code: str,
        team_code: str,
        *,
        resource: str,
        quantity: int,
        period_start: date,
        period_end: date,
    ) -> Recorded:
        return self._team_decision(
            ctx,
            program_code,
            team_code,
            Candidacy.grant_funding,
            resource=resource,
            quantity=quantity,
            period_start=period_start,
            period_end=period_end,
        )

    def return_funding(self, ctx: Context, program_code: str, team_code: str, **returned: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.return_funding, **returned)

    # --- the load–decide–save loop ------------------------------------------------------

    def _team_decision(
        self,
        ctx: Context,
        program_code: str,
        team_code: str,
        command: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], Any]:
            program = self.program(program_code)
            team = self.candidacy(program_code, team_code)
            result = command(team, stamp, program, *args, **kwargs)
            return [team, program], result

        return self._decide(ctx, decide)

    def _decide(self, ctx: Context, decide: Callable[[Stamp], tuple[list[Aggregate], Any]]) -> Recorded:
        for _ in range(MAX_ATTEMPTS):
            stamp = Stamp.make(
                actor=ctx.actor,
                recorded_at=self.clock(),
                effective_at=ctx.effective_at,
                reason=ctx.reason,
                correlation_id=ctx.correlation_id,
            )
            aggregates, result = decide(stamp)
            try:
                recordings = self.save(*aggregates)
            except IntegrityError:
                continue  # another decision won the race: reload and decide again
            events = tuple(r.domain_event for r in recordings)
            positions = tuple(r.notification.id for r in recordings)
            return Recorded(events, positions, result)  # type: ignore[arg-type]
        msg = "the records kept changing while this decision was being made; please retry"
        raise errors.ConcurrentUpdateError(msg)

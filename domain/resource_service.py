"""The application service's decisions about resources: kinds, grants and returns, exclusions, shared pools.

A grant or return on a budget line that draws on a shared pool loads the pool
too and saves the team, the programme and the pool in one ``save``: the pool's
version is checked like the others', so concurrent grants from two programmes
against its last units cannot both be stored (the loser decides again on the
pool as it now is, and is refused with ``pool-exhausted``).
"""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import errors
from domain.candidacy import Candidacy
from domain.commands import (
    DeclareResourceKind,
    GrantFunding,
    ImposeExclusion,
    IncreasePoolBudget,
    LiftExclusion,
    OpenPool,
    PoolBudgetLine,
    ReturnFunding,
    TeamCommand,
)
from domain.pool import Pool
from domain.program import Program
from domain.service import Context, DecisionService, Recorded
from domain.values import Stamp, resource_kind

PooledDecision = Callable[[Candidacy, Stamp, Program, Pool | None], None]


class ResourceDecisions(DecisionService):
    """Resource kinds, pooled lines, grants and returns, exclusions, and the shared pools."""

    def pool(self, pool_code: str) -> Pool:
        try:
            return self._get(Pool.id_for(pool_code), Pool)
        except (AggregateNotFoundError, errors.InvalidValueError):
            raise errors.PoolNotFoundError(f"no pool {pool_code!r}") from None

    def declare_resource_kind(self, ctx: Context, command: DeclareResourceKind) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.declare_resource_kind(
                stamp,
                resource=command.resource,
                unit=command.unit,
                quantity=command.quantity,
                equals=command.equals,
                equals_quantity=command.equals_quantity,
            ),
        )

    def pool_budget_line(self, ctx: Context, command: PoolBudgetLine) -> Recorded[None]:
        def decide(program: Program, stamp: Stamp) -> None:
            pool = self.pool(command.pool)
            program.pool_budget_line(stamp, resource=command.resource, pool=pool.code, pool_resource=pool.resource)

        return self._program_decision(ctx, command, decide)

    def grant_funding(self, ctx: Context, command: GrantFunding) -> Recorded[None]:
        return self._pooled_decision(
            ctx,
            command,
            command.resource,
            command.budget_line,
            lambda team, stamp, program, pool: team.grant_funding(
                stamp,
                program,
                resource=command.resource,
                quantity=command.quantity,
                period_start=command.period_start,
                period_end=command.period_end,
                budget_line=command.budget_line,
                pool=pool,
            ),
        )

    def return_funding(self, ctx: Context, command: ReturnFunding) -> Recorded[None]:
        return self._pooled_decision(
            ctx,
            command,
            command.resource,
            command.budget_line,
            lambda team, stamp, program, pool: team.return_funding(
                stamp,
                program,
                resource=command.resource,
                quantity=command.quantity,
                budget_line=command.budget_line,
                pool=pool,
            ),
        )

    def impose_exclusion(self, ctx: Context, command: ImposeExclusion) -> Recorded[int]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.impose_exclusion(
                stamp, program, resource=command.resource, starts_on=command.starts_on, ends_on=command.ends_on
            ),
        )

    def lift_exclusion(self, ctx: Context, command: LiftExclusion) -> Recorded[None]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.lift_exclusion(
                stamp, program, exclusion=command.exclusion, ends_on=command.ends_on
            ),
        )

    def open_pool(self, ctx: Context, command: OpenPool) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            if Pool.id_for(command.pool_code) in self.repository:
                raise errors.PoolAlreadyOpenedError(f"pool {command.pool_code!r} already exists")
            pool = Pool.open(
                stamp,
                pool_code=command.pool_code,
                title=command.title,
                resource=command.resource,
                budget=command.budget,
            )
            return [pool], None

        return self._decide(ctx, decide)

    def increase_pool_budget(self, ctx: Context, command: IncreasePoolBudget) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            pool = self._expect(ctx, self.pool(command.pool_code))
            pool.increase_budget(stamp, command.amount)
            return [pool], None

        return self._decide(ctx, decide)

    def _pooled_decision(
        self, ctx: Context, command: TeamCommand, resource: str, line: str, decide: PooledDecision
    ) -> Recorded[None]:
        def decide_now(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(command.program_code)
            team = self._expect(ctx, self.candidacy(command.program_code, command.team_code))
            pool_code = program.pool_of(resource_kind(line or resource))
            pool = None if pool_code is None else self.pool(pool_code)
            decide(team, stamp.under(program.rules_version), program, pool)
            return [a for a in (team, program, pool) if a is not None], None

        return self._decide(ctx, decide_now)

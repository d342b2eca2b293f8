"""Decision attempts about resources for generated runs: kinds, grants on an equivalent line, exclusions, a pool.

Like ``attempts``, each carries small hints resolved against the aggregates when
it is made, so most are allowed and a share is refused. The pool belongs to no
programme: its events are filed under ``pool:<code>``, and every read model
must step over them or file them there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain import commands, errors
from domain.registry import Context, Recorded
from tests.integration.attempts import PROGRAM, Run

KINDS = (
    ("gpu:B200", "GPU", 1, "", 0),
    ("gpu:H100", "GPU", 2, "gpu:B200", 1),
    ("krw:data", "KRW", 1, "", 0),
    ("gpu:H100", "GPU", 3, "gpu:B200", 1),  # a second, different declaration: refused
)
LINES = ("gpu:B200", "gpu:H100", "krw:data")
POOL = "NATIONAL"
POOLED = "gpu:A100"  # the line that may draw on the pool


@dataclass(frozen=True)
class DeclareKind:
    kind: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        resource, unit, quantity, equals, equals_quantity = KINDS[self.kind % len(KINDS)]
        command = commands.DeclareResourceKind(
            program_code=PROGRAM,
            resource=resource,
            unit=unit,
            quantity=quantity,
            equals=equals,
            equals_quantity=equals_quantity,
        )
        return run.registry.declare_resource_kind(ctx, command)


@dataclass(frozen=True)
class GrantOnLine:
    team: int
    resource: int
    line: int
    quantity: int
    months: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        start = ctx.effective_at.date()
        resource = (*LINES, POOLED)[self.resource % (len(LINES) + 1)]
        command = commands.GrantFunding(
            program_code=PROGRAM,
            team_code=run.team(self.team, lambda t: t.status != "withdrawn"),
            resource=resource,
            quantity=self.quantity,
            period_start=start,
            period_end=start + timedelta(days=30 * self.months),
            budget_line="" if resource == POOLED else LINES[self.line % len(LINES)],
        )
        return run.registry.grant_funding(ctx, command)


@dataclass(frozen=True)
class Exclude:
    team: int
    whole_class: bool
    days: int | None  # how long; None: until lifted

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        start = ctx.effective_at.date()
        command = commands.ImposeExclusion(
            program_code=PROGRAM,
            team_code=run.team(self.team),
            resource="gpu" if self.whole_class else "gpu:B200",
            starts_on=start,
            ends_on=None if self.days is None else start + timedelta(days=self.days),
        )
        return run.registry.impose_exclusion(ctx, command)


@dataclass(frozen=True)
class Lift:
    team: int
    exclusion: int
    days: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        team = run.team(self.team, lambda t: bool(t.exclusions))
        command = commands.LiftExclusion(
            program_code=PROGRAM,
            team_code=team,
            exclusion=self.exclusion,
            ends_on=ctx.effective_at.date() + timedelta(days=self.days),
        )
        return run.registry.lift_exclusion(ctx, command)


@dataclass(frozen=True)
class PoolStep:
    """Open the pool, grow it, or let the programme's A100 line draw on it (whichever comes next)."""

    amount: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        registry = run.registry
        try:
            registry.pool(POOL)
        except errors.PoolNotFoundError:  # no pool yet: open it
            opened = commands.OpenPool(pool_code=POOL, title="국가 GPU 풀", resource=POOLED, budget=self.amount)
            return registry.open_pool(ctx, opened)
        if run.program().pool_of(POOLED) is None:
            return registry.pool_budget_line(
                ctx, commands.PoolBudgetLine(program_code=PROGRAM, resource=POOLED, pool=POOL)
            )
        return registry.increase_pool_budget(ctx, commands.IncreasePoolBudget(pool_code=POOL, amount=self.amount))

"""Funding a team: grants within the budget line they draw on, and returns of what it holds.

A grant names the kind granted and, when it is not that kind's own line, the
budget line of an equivalent kind it draws on (``Program.convert`` says how much
of the line it takes). A line that draws on a shared pool takes it from the pool
(``domain.pool``), which the application service passes in and saves with the
programme and the team.
"""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy.events import FundingGranted, FundingReturned
from domain.candidacy.exclusions import Exclusions
from domain.pool import Pool
from domain.program import Program
from domain.values import Stamp, positive, resource_kind


class Funding(Exclusions):
    """The candidacy's funding commands; the programme (and its pool) commits or releases the budget beside each."""

    def grant_funding(
        self,
        stamp: Stamp,
        program: Program,
        *,
        resource: str,
        quantity: int,
        period_start: date,
        period_end: date,
        budget_line: str = "",
        pool: Pool | None = None,
    ) -> None:
        self._check_open(stamp, program)
        resource = resource_kind(resource)
        line = resource_kind(budget_line) if budget_line else resource
        if period_end < period_start:
            raise errors.InvalidValueError("a grant's period must end after it starts")
        self.check_not_excluded(resource, period_start, period_end)
        drawn = program.convert(resource, positive(quantity, "quantity"), line)
        _check_pool(program, line, pool)
        if pool is not None:
            pool.draw(stamp, program_code=program.code, team_code=self.team_code, quantity=drawn)
        program.commit_funds(stamp, self.team_code, line, drawn)
        self.trigger_event(
            FundingGranted,
            grant=self.grant_count + 1,
            resource=resource,
            quantity=quantity,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
            budget_line=line,
            drawn=drawn,
            **stamp.event_fields(),
        )

    def return_funding(
        self,
        stamp: Stamp,
        program: Program,
        *,
        resource: str,
        quantity: int,
        budget_line: str = "",
        pool: Pool | None = None,
    ) -> None:
        stamp.not_before(program.opened_at)
        resource = resource_kind(resource)
        line = resource_kind(budget_line) if budget_line else resource
        held = self.holdings.get(resource, 0)
        if positive(quantity, "quantity") > held:
            msg = f"team {self.team_code} holds {held} {resource}, cannot return {quantity}"
            raise errors.ReturnExceedsHoldingError(msg)
        released = program.convert(resource, quantity, line)
        if released > self.drawn.get(line, 0):
            msg = f"team {self.team_code} drew {self.drawn.get(line, 0)} on {line}, cannot give back {released}"
            raise errors.ReturnExceedsHoldingError(msg)
        _check_pool(program, line, pool)
        if pool is not None:
            pool.release(stamp, program_code=program.code, team_code=self.team_code, quantity=released)
        program.release_funds(stamp, self.team_code, line, released)
        fields = {"resource": resource, "quantity": quantity, "budget_line": line, "released": released}
        self.trigger_event(FundingReturned, **fields, **stamp.event_fields())


def _check_pool(program: Program, line: str, pool: Pool | None) -> None:
    """The pool passed in is the one the line draws on (the application service loads it)."""
    if program.pool_of(line) != (pool.code if pool is not None else None):
        raise errors.PoolNotFoundError(f"the budget line {line} draws on pool {program.pool_of(line)}, not this one")

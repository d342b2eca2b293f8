"""Funding a team: grants within the programme's remaining budget, and returns of what it holds."""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy.events import FundingGranted, FundingReturned
from domain.candidacy.state import TeamState
from domain.program import Program
from domain.values import Stamp, positive, resource_kind


class Funding(TeamState):
    """The candidacy's funding commands; the programme commits or releases the budget beside each."""

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
            FundingGranted,
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
        self.trigger_event(FundingReturned, resource=resource, quantity=quantity, **stamp.event_fields())

"""A registry-wide pool of one resource kind, shared by the programmes whose budget lines draw on it.

Why an aggregate of its own: the national GPU pool feeds several programmes, so
its limit cannot live in any one of them. A grant on a pooled line is decided by
the programme, the team and the pool together and saved in one transaction
(``Application.save(team, program, pool)``): two programmes granting the last
units at once both load the pool at the same version, the store accepts one
save and refuses the other, which decides again on the pool as it now is and is
refused with ``pool-exhausted``. Every draw names its programme and team, so the
pool's ledger shows each programme's share.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.events import DecisionEvent
from domain.values import MAX_AMOUNT, Stamp, code, display_name, positive, resource_kind

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/pool")
PREFIX = "pool:"  # the read models file a pool's events under ``pool:<code>``, which no programme code can be


class Pool(Aggregate):
    TOPIC = "registry:Pool"

    class Event(DecisionEvent):
        pass

    class Opened(Event, Aggregate.Created):
        TOPIC = "registry:PoolOpened"
        code: str
        title: str
        resource: str
        budget: int

        def apply(self, pool: Pool) -> None:
            pool.code, pool.title, pool.resource = self.code, self.title, self.resource
            pool.opened_at = self.effective_at
            pool.budget, pool.drawn = self.budget, 0

    Created = Opened  # the library looks for a creation event under this name

    class BudgetIncreased(Event):
        TOPIC = "registry:PoolBudgetIncreased"
        amount: int

        def apply(self, pool: Pool) -> None:
            pool.budget += self.amount

    class Drawn(Event):
        TOPIC = "registry:PoolDrawn"
        program_code: str
        team_code: str
        quantity: int

        def apply(self, pool: Pool) -> None:
            pool.drawn += self.quantity

    class Released(Event):
        TOPIC = "registry:PoolReleased"
        program_code: str
        team_code: str
        quantity: int

        def apply(self, pool: Pool) -> None:
            pool.drawn -= self.quantity

    if TYPE_CHECKING:  # state, assigned only by the events above
        code: str
        title: str
        resource: str
        opened_at: datetime
        budget: int
        drawn: int

    @staticmethod
    def id_for(pool_code: str) -> UUID:
        return uuid5(NAMESPACE, code(pool_code, "pool code"))

    @classmethod
    def open(cls, stamp: Stamp, *, pool_code: str, title: str, resource: str, budget: int) -> Pool:
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise errors.InvalidValueError("a pool's budget must be a whole number ≥ 0")
        if budget > MAX_AMOUNT:
            raise errors.AmountLimitError(f"a pool's budget is at most {MAX_AMOUNT:,}, the largest the registry keeps")
        pool_code = code(pool_code, "pool code")
        return cls._create(
            cls.Opened,
            id=cls.id_for(pool_code),
            code=pool_code,
            title=display_name(title, "title", limit=300),
            resource=resource_kind(resource),
            budget=budget,
            **stamp.event_fields(),
        )

    @property
    def remaining(self) -> int:
        return self.budget - self.drawn

    def increase_budget(self, stamp: Stamp, amount: int) -> None:
        stamp.not_before(self.opened_at)
        if self.budget + positive(amount, "amount") > MAX_AMOUNT:
            msg = f"pool {self.code}'s budget would exceed {MAX_AMOUNT:,}, the largest the registry keeps"
            raise errors.AmountLimitError(msg)
        self.trigger_event(self.BudgetIncreased, amount=amount, **stamp.event_fields())

    def draw(self, stamp: Stamp, *, program_code: str, team_code: str, quantity: int) -> None:
        if positive(quantity, "quantity") > self.remaining:
            msg = f"{quantity} {self.resource} exceeds what remains of pool {self.code}: {self.remaining}"
            raise errors.PoolExhaustedError(msg)
        fields = {"program_code": program_code, "team_code": team_code, "quantity": quantity}
        self.trigger_event(self.Drawn, **fields, **stamp.event_fields())

    def release(self, stamp: Stamp, *, program_code: str, team_code: str, quantity: int) -> None:
        fields = {"program_code": program_code, "team_code": team_code, "quantity": quantity}
        self.trigger_event(self.Released, **fields, **stamp.event_fields())

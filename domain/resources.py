"""Resource kinds in their own units, their declared equivalences, and budget lines that draw on a shared pool.

A programme declares a resource kind with its unit (``GPU``, ``KRW``, ``title``)
and, optionally, what it is worth in a kind already declared: ``2 gpu:H100 =
1 gpu:B200``. Equivalent kinds form a class whose reference is the first kind
declared in it; every kind's ``factor`` is its worth in that reference, kept as
an exact fraction. Kinds of different units are never equivalent, so a KRW pot
is never counted in GPUs.

A grant may draw on a budget line of an equivalent kind: 768 B200 drawn on an
H100 line take 1,536 H100 from it (``convert``). A budget line may draw on a
registry-wide pool (``domain.pool``) instead of a budget of its own; the
application service then saves the pool and the programme together.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from domain import errors
from domain.program_state import ProgramEvent, ProgramState
from domain.values import Stamp, code, display_name, positive, resource_kind


@dataclass(frozen=True)
class Kind:
    """A declared resource kind: its unit, the reference kind of its class and its worth in that reference."""

    kind: str
    unit: str
    reference: str
    factor: Fraction


class ResourceKindDeclared(ProgramEvent):
    """``quantity`` of ``resource`` are worth ``equals_quantity`` of ``equals`` (empty: a kind of its own)."""

    TOPIC = "registry:ResourceKindDeclared"
    resource: str
    unit: str
    quantity: int
    equals: str
    equals_quantity: int

    def apply(self, program: ProgramState) -> None:
        program.kinds[self.resource] = kind_of(
            program.kinds, self.resource, self.unit, self.quantity, self.equals, self.equals_quantity
        )


def kind_of(kinds: dict[str, Kind], resource: str, unit: str, quantity: int, equals: str, equals_quantity: int) -> Kind:
    """The kind a declaration makes, given the kinds declared before it."""
    if not equals:
        return Kind(resource, unit, resource, Fraction(1))
    base = kinds[equals]
    return Kind(resource, unit, base.reference, base.factor * Fraction(equals_quantity, quantity))


class BudgetLinePooled(ProgramEvent):
    """The programme's budget line for ``resource`` draws on the shared pool ``pool``."""

    TOPIC = "registry:BudgetLinePooled"
    resource: str
    pool: str

    def apply(self, program: ProgramState) -> None:
        program.pooled[self.resource] = self.pool
        program.allocated.setdefault(self.resource, 0)


class Resources(ProgramState):
    """The programme's commands about resource kinds and pooled lines, and the conversion grants use."""

    def declare_resource_kind(
        self, stamp: Stamp, *, resource: str, unit: str, quantity: int = 1, equals: str = "", equals_quantity: int = 0
    ) -> None:
        stamp.not_before(self.opened_at)
        resource, unit = resource_kind(resource), display_name(unit, "unit", limit=40)
        if equals:
            equals = resource_kind(equals)
            base = self.kinds.get(equals)
            if base is None:
                raise errors.UnknownResourceError(f"resource kind {equals} is not declared; declare it first")
            if base.unit != unit:
                raise errors.UnitMismatchError(f"{resource} in {unit} cannot be equivalent to {equals} in {base.unit}")
            positive(quantity, "quantity"), positive(equals_quantity, "equals_quantity")
        else:
            quantity, equals_quantity = 1, 0
        declared = self.kinds.get(resource)
        if declared is not None:
            if declared == kind_of(self.kinds, resource, unit, quantity, equals, equals_quantity):
                return  # the same declaration again changes nothing
            raise errors.ResourceKindConflictError(f"resource kind {resource} is already declared differently")
        self.trigger_event(
            ResourceKindDeclared,
            resource=resource,
            unit=unit,
            quantity=quantity,
            equals=equals,
            equals_quantity=equals_quantity,
            **stamp.event_fields(),
        )

    def pool_budget_line(self, stamp: Stamp, *, resource: str, pool: str, pool_resource: str) -> None:
        stamp.not_before(self.opened_at)
        resource, pool = resource_kind(resource), code(pool, "pool code")
        if resource != pool_resource:
            raise errors.NotEquivalentError(f"pool {pool} holds {pool_resource}, not {resource}")
        current = self.pooled.get(resource)
        if current == pool:
            return  # already drawing on that pool
        if current is not None or self.budgets.get(resource, 0) > 0:
            msg = f"the budget line {resource} already has a budget of its own or draws on pool {current}"
            raise errors.BudgetLinePooledError(msg)
        self.trigger_event(BudgetLinePooled, resource=resource, pool=pool, **stamp.event_fields())

    def pool_of(self, line: str) -> str | None:
        """The code of the pool the budget line draws on, or None if it has a budget of its own."""
        return self.pooled.get(line)

    def convert(self, resource: str, quantity: int, line: str) -> int:
        """``quantity`` of ``resource`` in units of the budget line ``line`` (a whole number, or refused)."""
        if resource == line:
            return quantity
        kinds = self.kinds
        have, want = kinds.get(resource), kinds.get(line)
        if have is None or want is None or have.reference != want.reference:
            raise errors.NotEquivalentError(f"{resource} is not declared equivalent to the budget line {line}")
        drawn = quantity * have.factor / want.factor
        if drawn.denominator != 1:
            raise errors.NotEquivalentError(f"{quantity} {resource} are {drawn} {line}, not a whole number")
        return int(drawn)

"""Where stored events sit in the log: each recorder of this package answers for its own store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.registry import Locate, Registry


@runtime_checkable
class Positioned(Protocol):
    def positions(self, refs: Sequence[tuple[UUID, int]]) -> list[int]:
        """The log positions of stored (stream, version) pairs, in the order given."""
        ...


def locator(registry: Registry) -> Locate:
    """How to find the log positions of stored events in this registry's store (for replayed answers)."""
    recorder = registry.recorder
    if not isinstance(recorder, Positioned):
        msg = f"{type(recorder).__name__} cannot say where events are; use a recorder from eventstore"
        raise TypeError(msg)
    return recorder.positions

"""Each write's receipt fields: the leaf index and event hash of every event a decision recorded.

An after-save hook (``api.bootstrap.serving``) reads the chain links of the
decision's positions once the save is done and keeps them, for this request
only, in a context variable; ``api.deps.recorded_response`` adds them to the
reply. A decision made outside a serving app (a script, a test) has none, and
its reply says so with nulls.
"""

from __future__ import annotations

from contextvars import ContextVar

from audit.log import MerkleLog
from domain.registry import Recorded, Registry
from eventstore.chain import Link

_recorded: ContextVar[tuple[Recorded, dict[int, Link]] | None] = ContextVar("recorded_links", default=None)


class ReceiptLinks:
    """The after-save hook that finds a decision's chain links; one per registry."""

    def __init__(self, registry: Registry) -> None:
        self.log = MerkleLog(registry)

    def __call__(self, outcome: Recorded) -> None:
        _recorded.set((outcome, self.log.at(list(outcome.positions))))

    def __eq__(self, other: object) -> bool:  # one hook per registry, however often serving() is entered
        return isinstance(other, ReceiptLinks) and other.log.recorder is self.log.recorder

    def __hash__(self) -> int:
        return id(self.log.recorder)


def links_of(outcome: Recorded) -> dict[int, Link]:
    """The chain links the hook found for ``outcome`` (empty if it did not run for this one)."""
    found = _recorded.get()
    return found[1] if found is not None and found[0] is outcome else {}

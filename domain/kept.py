"""Programmes kept between decisions, so that a decision need not read its programme from the store.

Nearly every decision reads its programme, and programmes change seldom: a
process keeps the last version it read or saved of each (``Kept``) and a
decision starts from a copy of it. A kept copy may be stale — another process
may have changed the programme since — so no decision may rest on one unchecked:

- a decision that appends saves on the condition that every programme it read
  is still at the version it read (``Reads.unchanged``, checked by the store
  under its append lock); a programme moved on makes the save fail as a lost
  race does (``IntegrityError``), and the loop in ``domain.service`` forgets the
  kept copies and decides again on fresh state;
- a decision that ends without an append to check it — a refusal, or nothing to
  record — is decided again from the store if it read a kept copy, so that
  neither a refusal nor a no-op answer rests on a stale one.

Only decisions read kept programmes (``reading``); every other read goes to the
store. A decision gets a deep copy: it changes the aggregates it is given.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)
MAX_KEPT = 256


@dataclass
class Reads:
    """The programmes one attempt at a decision read: their versions, and whether any came from ``Kept``."""

    use_kept: bool
    versions: dict[UUID, int] = field(default_factory=dict)
    from_kept: bool = False

    def unchanged(self, saved: Iterable[Aggregate]) -> list[tuple[UUID, int]]:
        """(id, version) of each programme read and not saved: the store checks each is still at that version.

        A programme that is saved needs no such condition: its new events take the
        versions after the one read, and a competing version refuses the save.
        """
        appending = {aggregate.id for aggregate in saved if aggregate.pending_events}
        return [(stream, version) for stream, version in self.versions.items() if stream not in appending]


_reads: ContextVar[Reads | None] = ContextVar("decision_reads", default=None)


@contextmanager
def reading(reads: Reads) -> Iterator[Reads]:
    """Note this attempt's reads in ``reads`` while the block runs (the decision's own thread and context)."""
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


class Kept:
    """The last known version of recently used programmes, in this process; copies handed out."""

    def __init__(self, maxsize: int = MAX_KEPT) -> None:
        self.maxsize = maxsize
        self._kept: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID, load: Callable[[], A]) -> A:
        """A copy of the programme: kept if a decision is reading and may use it, else ``load()``-ed (and kept)."""
        reads = _reads.get()
        if reads is None:
            return load()
        with self._lock:
            kept = self._kept.get(aggregate_id) if reads.use_kept else None
            if kept is not None:
                self._kept.move_to_end(aggregate_id)
        if kept is not None:
            reads.from_kept = True
            found: A = deepcopy(kept)  # type: ignore[assignment]  # kept under the id it was loaded as A
        else:
            found = load()
            self.keep([found])
        reads.versions[aggregate_id] = found.version
        return found

    def keep(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep a copy of each (after a load, or a save: its version then includes the saved events)."""
        copies = [deepcopy(aggregate) for aggregate in aggregates if not aggregate.pending_events]
        with self._lock:
            for copy in copies:
                current = self._kept.get(copy.id)
                if current is None or current.version <= copy.version:
                    self._kept[copy.id] = copy
                    self._kept.move_to_end(copy.id)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)

    def forget(self, ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in ids:
                self._kept.pop(aggregate_id, None)

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
store. A decision changes the aggregates it is given, so a kept programme is
taken out while a decision holds it — no copy, whose cost grows with the
programme — and put back (``keep``) only once the decision's save succeeded: a
refused, lost or abandoned decision leaves it out, and the next reads the store.

Decisions about one programme often run side by side (officials recording
applications at once, several threads of one process). Each is lent an instance
of its own: a programme is kept as up to ``INSTANCES`` instances of its newest
version, each put back by the decision that held it. Only when all are lent does
a decision read the store (and its instance is kept too, once saved). Instances
of one version hold the same state: an aggregate's state changes only by events,
which raise its version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)
MAX_KEPT = 256  # programmes
INSTANCES = 8  # of each programme's newest version: decisions it lends to at once without reading the store


@dataclass
class Reads:
    """The programmes one attempt at a decision read: their versions, and whether any came from ``Kept``."""

    use_kept: bool
    versions: dict[UUID, int] = field(default_factory=dict)
    from_kept: bool = False
    held: dict[UUID, Aggregate] = field(default_factory=dict)  # the first instance of each, put back after a save

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
    """The last known version of recently used programmes, in this process; instances lent, one per decision."""

    def __init__(self, maxsize: int = MAX_KEPT, instances: int = INSTANCES) -> None:
        self.maxsize = maxsize
        self.instances = instances
        self._kept: OrderedDict[UUID, list[Aggregate]] = OrderedDict()  # each programme's instances, one version
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID, load: Callable[[], A]) -> A:
        """The programme: taken out of the kept ones if a decision is reading and may use it, else ``load()``-ed."""
        reads = _reads.get()
        if reads is None:
            return load()
        kept = None
        if reads.use_kept:
            with self._lock:
                instances = self._kept.get(aggregate_id)
                kept = instances.pop() if instances else None
        if kept is not None:
            reads.from_kept = True
            found: A = kept  # type: ignore[assignment]  # kept under the id it was loaded as A
        else:
            found = load()
        reads.versions.setdefault(aggregate_id, found.version)  # read twice: the first version read is checked
        reads.held.setdefault(aggregate_id, found)
        return found

    def keep(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep each whose changes are all saved (after a decision's save: its version is the stored one).

        The caller lets go of them: the next decision that reads one is lent the same instance. An
        instance of a newer version than those kept replaces them; one of an older version is dropped.
        """
        with self._lock:
            for aggregate in aggregates:
                if aggregate.pending_events:
                    continue
                instances = self._kept.setdefault(aggregate.id, [])
                newest = max((kept.version for kept in instances), default=aggregate.version)
                if aggregate.version > newest:
                    instances.clear()
                lent_back = all(kept is not aggregate for kept in instances)  # not kept twice
                if aggregate.version >= newest and len(instances) < self.instances and lent_back:
                    instances.append(aggregate)
                self._kept.move_to_end(aggregate.id)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)

    def forget(self, ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in ids:
                self._kept.pop(aggregate_id, None)

"""The application service's machinery: the load–decide–save loop every decision runs in.

A decision loads the aggregates it needs, lets them decide (they raise a named
error or append events), and saves every changed aggregate in one atomic
``save``. If another decision saved a competing version in the meantime the
store refuses the save; the loop then reloads and decides again, a bounded
number of times, so a lost race either succeeds on fresh state or fails with
the rule that now forbids it — never silently.

Programmes are read from copies kept between decisions (``domain.kept``): the
save is conditional on each programme read being unchanged, and a decision
that a kept copy could have misled without an append to catch it is decided
again from the store.

With an idempotency key, a receipt is saved with the decision and a retry gets
the first answer back (``replayed``) instead of deciding again: its save collides
on the receipt (or its decision is refused), and only then is the receipt read. After a decision
is saved (or replayed) the ``after_save`` hooks run: the composition root uses
them to count events and to bring read models up to date.

The clock is passed in; nothing here reads the wall clock or the environment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Recording
from typing_extensions import TypeVar  # a default for a TypeVar, as eventsourcing does (typing has it from 3.13)

from domain import errors
from domain.candidacy import Candidacy
from domain.commands import ProgramCommand, TeamCommand
from domain.events import DecisionEvent
from domain.kept import Kept, Reads, reading
from domain.program import Program
from domain.receipts import Receipt
from domain.values import Source, Stamp

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
"""What a decision answers besides its events: the number of the round, evaluation or offer it made, or None."""
R_co = TypeVar("R_co", covariant=True, default=object)  # a bare ``Recorded`` answers anything
MAX_ATTEMPTS = 5
Locate = Callable[[Sequence[tuple[UUID, int]]], list[int]]
"""Finds the log positions of stored events, given (stream id, version) pairs."""


@dataclass(frozen=True)
class Context:
    """Who is asking, the decision's own date and reason, and the request's safeguards.

    ``idempotency_key`` with ``fingerprint`` (a digest of the request) makes a retry
    return the first answer instead of deciding again; ``expected_version`` (from
    If-Match) refuses the decision if the record has changed since the caller read it.
    """

    actor: str
    effective_at: datetime | None = None
    reason: str = ""
    correlation_id: str = ""
    idempotency_key: str = ""
    fingerprint: str = ""
    expected_version: int | None = None
    sources: tuple[Source, ...] = ()
    """The records behind the decision, stored in each event's envelope."""


@dataclass(frozen=True)
class Recorded(Generic[R_co]):
    """What a decision stored: its events, their log positions, and what it answers (``result``)."""

    events: tuple[DecisionEvent, ...]
    positions: tuple[int, ...]
    result: R_co
    replayed: bool = False

    @property
    def position(self) -> int | None:
        return self.positions[-1] if self.positions else None


AfterSave = Callable[[Recorded], None]
"""A side effect of a stored decision (counting it, updating read models).

It runs after the save: whatever it raises reaches the caller of a decision that is already stored, so a hook
that can fail catches and reports its own errors.
"""


class DecisionService(Application[UUID]):
    """Reads aggregates and runs decisions; ``Registry`` adds one method per decision."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime],
        locate: Locate | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.locate = locate or (lambda refs: [0 for _ in refs])
        self.after_save: list[AfterSave] = []
        """Run, in order, on what each decision recorded (or replayed); the decision is stored by then."""
        self.kept = Kept()
        if self.snapshots is not None or (self.repository.cache is not None and not self.repository.fastforward):
            self.close()  # what the library opened for it (a pool of connections)
            raise ValueError("this registry saves without snapshots and with a fast-forward cache (see save)")

    def save(
        self, *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None, **kwargs: Any
    ) -> list[Recording[UUID]]:
        """The library's ``Application.save``, reduced to what this registry uses: the aggregates' new events,
        put in the event store in one call (``kwargs`` go to the recorder).

        The library's also takes snapshots (none here), puts aggregates in a cache that does not fast-forward
        (this one does: refused above), calls notification hooks no class here defines, and tells aggregates
        from events by two runtime protocol checks per object: 150,000 instructions of a 1.47 million
        instruction application (callgrind), for nothing this registry does. Anything but this registry's
        aggregates is saved the library's way.
        """
        if not all(isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        return self.events.put([event for obj in objs for event in obj.collect_events()], **kwargs)  # type: ignore[union-attr]

    # --- reading aggregates -----------------------------------------------------------

    def program(self, program_code: str) -> Program:
        try:
            program_id = Program.id_for(program_code)
            return self.kept.get(program_id, lambda: self._get(program_id, Program))
        except (AggregateNotFoundError, errors.InvalidValueError):  # a malformed code names nothing
            raise errors.ProgramNotFoundError(f"no programme {program_code!r}") from None

    def candidacy(self, program_code: str, team_code: str) -> Candidacy:
        try:
            return self._get(Candidacy.id_for(program_code, team_code), Candidacy)
        except (AggregateNotFoundError, errors.InvalidValueError):
            self.program(program_code)  # no such programme is the better answer, when it is the reason
            msg = f"no team {team_code!r} in programme {program_code!r}"
            raise errors.TeamNotFoundError(msg) from None

    def _get(self, aggregate_id: UUID, kind: type[T]) -> T:
        aggregate: object = self.repository.get(aggregate_id)
        if not isinstance(aggregate, kind):
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    # --- the load–decide–save loop ------------------------------------------------------

    def _program_decision(
        self, ctx: Context, command: ProgramCommand, decide: Callable[[Program, Stamp], R]
    ) -> Recorded[R]:
        def decide_now(stamp: Stamp) -> tuple[list[Aggregate], R]:
            program = self._expect(ctx, self.program(command.program_code))
            return [program], decide(program, stamp.under(program.rules_version))

        return self._decide(ctx, decide_now)

    def _team_decision(
        self, ctx: Context, command: TeamCommand, decide: Callable[[Candidacy, Stamp, Program], R]
    ) -> Recorded[R]:
        def decide_now(stamp: Stamp) -> tuple[list[Aggregate], R]:
            program = self.program(command.program_code)
            team = self._expect(ctx, self.candidacy(command.program_code, command.team_code))
            return [team, program], decide(team, stamp.under(program.rules_version), program)

        return self._decide(ctx, decide_now)

    def _expect(self, ctx: Context, aggregate: A) -> A:
        if ctx.expected_version is not None and ctx.expected_version != aggregate.version:
            msg = f"the record is at version {aggregate.version}, not {ctx.expected_version} as If-Match says"
            raise errors.PreconditionFailedError(msg)
        return aggregate

    def _decide(
        self, ctx: Context, decide: Callable[[Stamp], tuple[list[Aggregate], R]], *, announce: bool = True
    ) -> Recorded[R]:
        """Decide and save, then (if ``announce``) run the after-save hooks on what was recorded or replayed."""
        outcome = self._decide_and_save(ctx, decide)
        for hook in self.after_save if announce else ():
            hook(outcome)
        return outcome

    def _decide_and_save(self, ctx: Context, decide: Callable[[Stamp], tuple[list[Aggregate], R]]) -> Recorded[R]:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:  # lost a race: let the winners finish before deciding again
                time.sleep(random.uniform(0, 0.004 * 2**attempt))
            # An earlier request with this idempotency key is looked for only once this one has collided
            # with something (its receipt, if it is a retry) or been refused: a first request, the usual
            # case, is not made to ask. Its receipt, saved with the decision, is what keeps it from recording twice.
            replay = self._receipt(ctx) if attempt else None
            if replay is not None:
                return replay
            try:
                reads, stamp, (aggregates, result) = self._decide_checked(ctx, decide)
            except errors.RegistryError:
                replay = None if attempt else self._receipt(ctx)  # a retry of a decision since made moot?
                if replay is not None:
                    return replay
                raise
            unchanged = reads.unchanged(aggregates)
            programmes = [a for a in aggregates if isinstance(a, Program) and a.pending_events]
            if ctx.idempotency_key:
                written = [(e.originator_id, e.originator_version) for a in aggregates for e in a.pending_events]
                aggregates.append(Receipt.issue(stamp, fingerprint=ctx.fingerprint, events=written, result=result))
            try:
                recordings = self.save(*aggregates, unchanged=unchanged)
            except IntegrityError:
                self.kept.forget(reads.versions)  # a programme read may have moved on: read it from the store
                continue  # another decision (or the same request, retried) won the race: look again
            self.kept.keep([*reads.held.values(), *programmes])  # read or written, now as saved: for the next decision
            decision = [r for r in recordings if not isinstance(r.domain_event, Receipt.Event)]
            events = tuple(r.domain_event for r in decision)
            positions = tuple(r.notification.id for r in decision)
            return Recorded(events, positions, result)  # type: ignore[arg-type]
        msg = "the records kept changing while this decision was being made; please retry"
        raise errors.ConcurrentUpdateError(msg)

    def _decide_checked(
        self, ctx: Context, decide: Callable[[Stamp], tuple[list[Aggregate], R]]
    ) -> tuple[Reads, Stamp, tuple[list[Aggregate], R]]:
        """Decide on kept programmes; again from the store if one was used and no append will check it."""
        for use_kept in (True, False):
            stamp = Stamp.make(
                actor=ctx.actor,
                recorded_at=self.clock(),
                effective_at=ctx.effective_at,
                reason=ctx.reason,
                correlation_id=ctx.correlation_id,
                idempotency_key=ctx.idempotency_key,
                sources=ctx.sources,
            )
            with reading(Reads(use_kept)) as reads:
                try:
                    decided = decide(stamp)
                except errors.RegistryError:  # a refusal: on a stale copy it could be wrong
                    if not reads.from_kept:
                        raise
                    self.kept.forget(reads.versions)
                    continue
            if reads.from_kept and not any(aggregate.pending_events for aggregate in decided[0]):
                self.kept.forget(reads.versions)  # nothing to append, so nothing checks the copy: ask the store
                continue
            return reads, stamp, decided
        raise AssertionError("unreachable: a decision from the store is returned or raises")

    def _receipt(self, ctx: Context) -> Recorded[Any] | None:
        """The first answer to this idempotency key, if there was one."""
        if not ctx.idempotency_key:
            return None
        try:
            receipt = self._get(Receipt.id_for(ctx.actor, ctx.idempotency_key), Receipt)
        except AggregateNotFoundError:
            return None
        receipt.check(ctx.fingerprint)
        events = tuple(
            next(iter(self.events.get(stream, gt=version - 1, lte=version))) for stream, version in receipt.events
        )
        positions = tuple(self.locate(receipt.events))
        return Recorded(events, positions, receipt.result, replayed=True)  # type: ignore[arg-type]

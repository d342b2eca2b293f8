"""The application service: one method per decision, each a load–decide–save unit.

Every method loads the aggregates the decision needs, lets them decide (they
raise a named error or append events), and saves every changed aggregate in
one atomic ``save``. If another decision saved a competing version in the
meantime the store refuses the save; the method then reloads and decides again,
a bounded number of times, so a lost race either succeeds on fresh state or
fails with the rule that now forbids it — never silently.

The clock is passed in; nothing here reads the wall clock or the environment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain import errors
from domain.access import ApiKey, Principal, key_id_of, secret_hash
from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from domain.receipts import Receipt
from domain.values import Stage, Stamp

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)
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


@dataclass(frozen=True)
class Recorded:
    """What a decision stored: its events and the log position of the last one."""

    events: tuple[DecisionEvent, ...]
    positions: tuple[int, ...]
    result: Any = None
    replayed: bool = False

    @property
    def position(self) -> int | None:
        return self.positions[-1] if self.positions else None


class Registry(Application[UUID]):
    """The programme registry's event-sourced application."""

    name = "registry"
    log_section_size = 1000

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

    # --- reading aggregates -----------------------------------------------------------

    def program(self, program_code: str) -> Program:
        try:
            return self._get(Program.id_for(program_code), Program)
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

    # --- decisions --------------------------------------------------------------------

    def open_program(
        self,
        ctx: Context,
        *,
        program_code: str,
        title_ko: str,
        title_en: str,
        agency: str,
        stages: list[dict[str, Any]],
        budgets: dict[str, int],
        finalist_count: int,
    ) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            try:
                self.program(program_code)
            except errors.ProgramNotFoundError:
                pass
            else:
                raise errors.ProgramAlreadyOpenedError(f"programme {program_code!r} already exists")
            made = [Stage.make(s["name"], s["seats"], s.get("criteria", []), s.get("gates", [])) for s in stages]
            program = Program.open(
                stamp,
                program_code=program_code,
                title_ko=title_ko,
                title_en=title_en,
                agency=agency,
                stages=made,
                budgets=budgets,
                finalist_count=finalist_count,
            )
            return [program], None

        return self._decide(ctx, decide)

    def increase_budget(self, ctx: Context, program_code: str, *, resource: str, amount: int) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self._expect(ctx, self.program(program_code))
            program.increase_budget(stamp, resource, amount)
            return [program], None

        return self._decide(ctx, decide)

    def submit_application(self, ctx: Context, program_code: str, **application: Any) -> Recorded:
        tries = 0

        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            nonlocal tries
            tries += 1
            program = self._expect(ctx, self.program(program_code))
            team_code = application["team_code"]
            # A second application of a team conflicts with the first when saved; only the retry that
            # follows asks the store whether the team already applied (a round trip spared on every first try).
            if tries > 1 and Candidacy.id_for(program.code, team_code) in self.repository:
                msg = f"team {team_code!r} already applied to programme {program_code!r}"
                raise errors.DuplicateApplicationError(msg)
            return [Candidacy.submit(stamp, program, **application)], None

        return self._decide(ctx, decide)

    def select_finalists(self, ctx: Context, program_code: str, *, teams: list[str]) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self._expect(ctx, self.program(program_code))
            program.select_finalists(stamp, teams)
            return [program], None

        return self._decide(ctx, decide)

    def open_reentry_round(self, ctx: Context, program_code: str, **round_: Any) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], int]:
            program = self._expect(ctx, self.program(program_code))
            return [program], program.open_reentry_round(stamp, **round_)

        return self._decide(ctx, decide)

    def change_consortium(self, ctx: Context, program_code: str, team_code: str, **change: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.change_consortium, **change)

    def record_evaluation(self, ctx: Context, program_code: str, team_code: str, **evaluation: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.record_evaluation, **evaluation)

    def amend_evaluation(self, ctx: Context, program_code: str, team_code: str, **amendment: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.amend_evaluation, **amendment)

    def advance_team(self, ctx: Context, program_code: str, team_code: str, *, to_stage: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.advance, to_stage)

    def eliminate_team(self, ctx: Context, program_code: str, team_code: str, **elimination: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.eliminate, **elimination)

    def uphold_elimination(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.uphold_elimination)

    def reverse_elimination(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.reverse_elimination)

    def offer_reentry(self, ctx: Context, program_code: str, team_code: str, **offer: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.offer_reentry, **offer)

    def accept_offer(self, ctx: Context, program_code: str, team_code: str, *, offer: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.accept_offer, offer)

    def decline_offer(self, ctx: Context, program_code: str, team_code: str, *, offer: int) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.decline_offer, offer)

    def withdraw_team(self, ctx: Context, program_code: str, team_code: str) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.withdraw)

    def grant_funding(
        self,
        ctx: Context,
        program_code: str,
        team_code: str,
        *,
        resource: str,
        quantity: int,
        period_start: date,
        period_end: date,
    ) -> Recorded:
        return self._team_decision(
            ctx,
            program_code,
            team_code,
            Candidacy.grant_funding,
            resource=resource,
            quantity=quantity,
            period_start=period_start,
            period_end=period_end,
        )

    def return_funding(self, ctx: Context, program_code: str, team_code: str, **returned: Any) -> Recorded:
        return self._team_decision(ctx, program_code, team_code, Candidacy.return_funding, **returned)

    # --- access keys ------------------------------------------------------------------

    def issue_key(self, ctx: Context, *, key_id: str, name: str, role: str, secret: str) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            if self._key(key_id) is not None:
                raise errors.InvalidValueError(f"an API key with id {key_id!r} already exists")
            return [ApiKey.issue(stamp, key_id=key_id, name=name, role=role, secret_sha256=secret_hash(secret))], None

        return self._decide(ctx, decide)

    def revoke_key(self, ctx: Context, key_id: str) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            key = self._key(key_id)
            if key is None:
                raise errors.NotFoundError(f"no API key {key_id!r}")
            key.revoke(stamp)
            return [key], None

        return self._decide(ctx, decide)

    def authenticate(self, secret: str) -> Principal | None:
        """The principal a secret belongs to, or None if it is unknown, malformed or revoked."""
        key_id = key_id_of(secret)
        key = None if key_id is None else self._key(key_id)
        return key.principal if key is not None and key.matches(secret) else None

    def _key(self, key_id: str) -> ApiKey | None:
        try:
            return self._get(ApiKey.id_for(key_id), ApiKey)
        except AggregateNotFoundError:
            return None

    # --- the load–decide–save loop ------------------------------------------------------

    def _team_decision(
        self,
        ctx: Context,
        program_code: str,
        team_code: str,
        command: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Recorded:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], Any]:
            program = self.program(program_code)
            team = self._expect(ctx, self.candidacy(program_code, team_code))
            result = command(team, stamp, program, *args, **kwargs)
            return [team, program], result

        return self._decide(ctx, decide)

    def _expect(self, ctx: Context, aggregate: A) -> A:
        if ctx.expected_version is not None and ctx.expected_version != aggregate.version:
            msg = f"the record is at version {aggregate.version}, not {ctx.expected_version} as If-Match says"
            raise errors.PreconditionFailedError(msg)
        return aggregate

    def _decide(self, ctx: Context, decide: Callable[[Stamp], tuple[list[Aggregate], Any]]) -> Recorded:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:  # lost a race: let the winners finish before deciding again
                time.sleep(random.uniform(0, 0.004 * 2**attempt))
            replay = self._receipt(ctx)
            if replay is not None:
                return replay
            stamp = Stamp.make(
                actor=ctx.actor,
                recorded_at=self.clock(),
                effective_at=ctx.effective_at,
                reason=ctx.reason,
                correlation_id=ctx.correlation_id,
                idempotency_key=ctx.idempotency_key,
            )
            aggregates, result = decide(stamp)
            if ctx.idempotency_key:
                written = [(e.originator_id, e.originator_version) for a in aggregates for e in a.pending_events]
                aggregates.append(Receipt.issue(stamp, fingerprint=ctx.fingerprint, events=written, result=result))
            try:
                recordings = self.save(*aggregates)
            except IntegrityError:
                continue  # another decision (or the same request, retried) won the race: look again
            decision = [r for r in recordings if not isinstance(r.domain_event, Receipt.Event)]
            events = tuple(r.domain_event for r in decision)
            positions = tuple(r.notification.id for r in decision)
            return Recorded(events, positions, result)  # type: ignore[arg-type]
        msg = "the records kept changing while this decision was being made; please retry"
        raise errors.ConcurrentUpdateError(msg)

    def _receipt(self, ctx: Context) -> Recorded | None:
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

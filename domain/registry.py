"""The application service: one method per decision, each taking its command.

Each method loads what the decision needs and hands every field of the command
to the aggregate method by name, inside the load–decide–save loop of
``domain.service`` (retries on a lost race, idempotent replays, after-save hooks).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import errors
from domain.access import ROSTER_ID, AdminRoster, ApiKey, Principal, key_id_of, secret_hash
from domain.candidacy import Candidacy
from domain.commands import (
    AcceptOffer,
    AddStage,
    AdvanceTeam,
    AmendEvaluation,
    AmendStage,
    AnnounceProgram,
    ChangeConsortium,
    CloseCallEarly,
    DeclineOffer,
    EliminateTeam,
    ExtendCall,
    IncreaseBudget,
    IssueKey,
    OfferReEntry,
    OpenCall,
    OpenProgram,
    OpenReEntryRound,
    RecordEvaluation,
    ReverseElimination,
    RevokeKey,
    SelectFinalists,
    SubmitApplication,
    UpholdElimination,
    WithdrawTeam,
)
from domain.program import Program
from domain.reentry_service import ReEntryDecisions
from domain.resource_service import ResourceDecisions
from domain.round_service import RoundDecisions
from domain.service import MAX_ATTEMPTS, AfterSave, Context, DecisionService, Locate, Recorded
from domain.values import Stage, Stamp

__all__ = ["MAX_ATTEMPTS", "AfterSave", "Context", "Locate", "Recorded", "Registry"]


class Registry(RoundDecisions, ReEntryDecisions, ResourceDecisions, DecisionService):
    """The programme registry's event-sourced application."""

    name = "registry"  # prefixes the PostgreSQL tables: keep it when renaming the class
    log_section_size = 1000

    # --- decisions about a programme ---------------------------------------------------

    def open_program(self, ctx: Context, command: OpenProgram) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            try:
                self.program(command.program_code)
            except errors.ProgramNotFoundError:
                pass
            else:
                raise errors.ProgramAlreadyOpenedError(f"programme {command.program_code!r} already exists")
            stages = [_stage(s) for s in command.stages]
            program = Program.open(
                stamp,
                program_code=command.program_code,
                title_ko=command.title_ko,
                title_en=command.title_en,
                agency=command.agency,
                stages=stages,
                budgets=command.budgets,
                finalist_count=command.finalist_count,
            )
            return [program], None

        return self._decide(ctx, decide)

    def announce_program(self, ctx: Context, command: AnnounceProgram) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            if Program.id_for(command.program_code) in self.repository:
                raise errors.ProgramAlreadyOpenedError(f"programme {command.program_code!r} already exists")
            program = Program.announce(
                stamp.under(1),
                program_code=command.program_code,
                title_ko=command.title_ko,
                title_en=command.title_en,
                agency=command.agency,
                stages=[_stage(s) for s in command.stages],
                budgets=command.budgets,
                finalist_count=command.finalist_count,
            )
            return [program], None

        return self._decide(ctx, decide)

    def add_stage(self, ctx: Context, command: AddStage) -> Recorded[int]:
        return self._program_decision(
            ctx, command, lambda program, stamp: program.add_stage(stamp, _stage(command.stage))
        )

    def amend_stage(self, ctx: Context, command: AmendStage) -> Recorded[None]:
        return self._program_decision(
            ctx, command, lambda program, stamp: program.amend_stage(stamp, command.index, _stage(command.stage))
        )

    def open_call(self, ctx: Context, command: OpenCall) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.open_call(
                stamp, stage=command.stage, opens_at=command.opens_at, closes_at=command.closes_at
            ),
        )

    def extend_call(self, ctx: Context, command: ExtendCall) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.extend_call(stamp, stage=command.stage, closes_at=command.closes_at),
        )

    def close_call_early(self, ctx: Context, command: CloseCallEarly) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.close_call_early(stamp, stage=command.stage, closes_at=command.closes_at),
        )

    def increase_budget(self, ctx: Context, command: IncreaseBudget) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.increase_budget(stamp, resource=command.resource, amount=command.amount),
        )

    def open_reentry_round(self, ctx: Context, command: OpenReEntryRound) -> Recorded[int]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.open_reentry_round(
                stamp,
                stage=command.stage,
                seats=command.seats,
                eligibility=command.eligibility,
                opens_at=command.opens_at,
                closes_at=command.closes_at,
            ),
        )

    def select_finalists(self, ctx: Context, command: SelectFinalists) -> Recorded[None]:
        return self._program_decision(
            ctx, command, lambda program, stamp: program.select_finalists(stamp, teams=command.teams)
        )

    # --- decisions about a team -------------------------------------------------------

    def submit_application(self, ctx: Context, command: SubmitApplication) -> Recorded[None]:
        tries = 0

        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            nonlocal tries
            tries += 1
            program = self._expect(ctx, self.program(command.program_code))
            team_code = command.team_code
            # A second application of a team conflicts with the first when saved; only the retry that
            # follows asks the store whether the team already applied (a round trip spared on every first try).
            if tries > 1 and Candidacy.id_for(program.code, team_code) in self.repository:
                msg = f"team {team_code!r} already applied to programme {command.program_code!r}"
                raise errors.DuplicateApplicationError(msg)
            team = Candidacy.submit(
                stamp.under(program.rules_version),
                program,
                team_code=team_code,
                name_ko=command.name_ko,
                name_en=command.name_en,
                lead_organisation=command.lead_organisation,
                members=command.members,
                stage=command.stage,
                excluded_resources=command.excluded_resources,
                contact=command.contact,
            )
            return [team], None

        return self._decide(ctx, decide)

    def change_consortium(self, ctx: Context, command: ChangeConsortium) -> Recorded[None]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.change_consortium(
                stamp, program, joined=command.joined, left=command.left
            ),
        )

    def record_evaluation(self, ctx: Context, command: RecordEvaluation) -> Recorded[int]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.record_evaluation(
                stamp, program, stage=command.stage, scores=command.scores, gates=command.gates, panel=command.panel
            ),
        )

    def amend_evaluation(self, ctx: Context, command: AmendEvaluation) -> Recorded[None]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.amend_evaluation(
                stamp,
                program,
                evaluation=command.evaluation,
                scores=command.scores,
                gates=command.gates,
                panel=command.panel,
            ),
        )

    def advance_team(self, ctx: Context, command: AdvanceTeam) -> Recorded[None]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.advance(
                stamp, program, to_stage=command.to_stage, objection_deadline=command.objection_deadline
            ),
        )

    def withdraw_team(self, ctx: Context, command: WithdrawTeam) -> Recorded[None]:
        return self._team_decision(ctx, command, lambda team, stamp, program: team.withdraw(stamp, program))

    def eliminate_team(self, ctx: Context, command: EliminateTeam) -> Recorded[None]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.eliminate(
                stamp, program, reason_code=command.reason_code, objection_deadline=command.objection_deadline
            ),
        )

    def uphold_elimination(self, ctx: Context, command: UpholdElimination) -> Recorded[None]:
        return self._team_decision(ctx, command, lambda team, stamp, program: team.uphold_elimination(stamp, program))

    def reverse_elimination(self, ctx: Context, command: ReverseElimination) -> Recorded[None]:
        return self._team_decision(ctx, command, lambda team, stamp, program: team.reverse_elimination(stamp, program))

    def offer_reentry(self, ctx: Context, command: OfferReEntry) -> Recorded[int]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.offer_reentry(
                stamp, program, round_number=command.round_number, deadline=command.deadline
            ),
        )

    def accept_offer(self, ctx: Context, command: AcceptOffer) -> Recorded[None]:
        return self._team_decision(
            ctx, command, lambda team, stamp, program: team.accept_offer(stamp, program, offer=command.offer)
        )

    def decline_offer(self, ctx: Context, command: DeclineOffer) -> Recorded[None]:
        return self._team_decision(
            ctx, command, lambda team, stamp, program: team.decline_offer(stamp, program, offer=command.offer)
        )

    # --- access keys ------------------------------------------------------------------
    # Keys are administration, not decisions about a programme: their saves run no after-save hooks
    # (no read model holds keys, and the metrics count decisions).

    def issue_key(self, ctx: Context, command: IssueKey) -> Recorded[str]:
        """Issue a key; the result is its id (a retry with the same Idempotency-Key answers the first key's id)."""

        def decide(stamp: Stamp) -> tuple[list[Aggregate], str]:
            if self._key(command.key_id) is not None:
                raise errors.InvalidValueError(f"an API key with id {command.key_id!r} already exists")
            key = ApiKey.issue(
                stamp,
                key_id=command.key_id,
                name=command.name,
                role=command.role,
                secret_sha256=secret_hash(command.secret),
            )
            if key.role != "admin":
                return [key], command.key_id
            roster = self._roster(stamp)
            roster.admit(stamp, key.key_id)
            return [key, roster], command.key_id

        return self._decide(ctx, decide, announce=False)

    def revoke_key(self, ctx: Context, command: RevokeKey) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            key = self._key(command.key_id)
            if key is None:
                raise errors.NotFoundError(f"no API key {command.key_id!r}")
            if key.role != "admin" or key.revoked:
                key.revoke(stamp)
                return [key], None
            roster = self._roster(stamp)
            roster.dismiss(stamp, key.key_id)  # saved with the key: a revocation decided meanwhile conflicts on it
            key.revoke(stamp)
            return [key, roster], None

        return self._decide(ctx, decide, announce=False)

    def authenticate(self, secret: str) -> Principal | None:
        """The principal a secret belongs to, or None if it is unknown, malformed or revoked."""
        key_id = key_id_of(secret)
        key = None if key_id is None else self._key(key_id)
        return key.principal if key is not None and key.matches(secret) else None

    def _roster(self, stamp: Stamp) -> AdminRoster:
        """The roster of active admin keys; on a log recorded before it existed, started from the log's key events."""
        try:
            return self._get(ROSTER_ID, AdminRoster)
        except AggregateNotFoundError:
            return AdminRoster.start(stamp, admins=self._active_admin_keys())

    def _active_admin_keys(self) -> set[str]:
        """The ids of the admin keys not revoked, read from the log's key events (keys are few)."""
        admins: dict[UUID, str] = {}
        position = 0
        topics = [ApiKey.Issued.TOPIC, ApiKey.Revoked.TOPIC]
        while page := self.recorder.select_notifications(start=position + 1, limit=1000, topics=topics):
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                if isinstance(event, ApiKey.Issued) and event.role == "admin":
                    admins[event.originator_id] = event.key_id
                elif isinstance(event, ApiKey.Revoked):
                    admins.pop(event.originator_id, None)
            position = page[-1].id
        return set(admins.values())

    def _key(self, key_id: str) -> ApiKey | None:
        try:
            return self._get(ApiKey.id_for(key_id), ApiKey)
        except AggregateNotFoundError:
            return None


def _stage(spec: dict[str, Any]) -> Stage:
    """A stage from its definition: name, seats, criteria ({code, name, max_points}), gates."""
    return Stage.make(spec["name"], spec["seats"], spec.get("criteria", []), spec.get("gates", []))

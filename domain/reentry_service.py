"""The application service's decisions about re-entry rounds as open calls.

A round's window moves by a programme event (extended, closed early). A team
applies to a round within its window — a new entrant's candidacy is created by
the same save — and states its position on a round without any offer. The
panel's selection seats the selected teams in ``domain.round_service``.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain import errors
from domain.candidacy import Candidacy
from domain.commands import ApplyToRound, CloseReEntryRoundEarly, ExtendReEntryRound, StateOnRound
from domain.program import Program
from domain.service import Context, DecisionService, Recorded
from domain.values import Stamp


class ReEntryDecisions(DecisionService):
    """Round windows, applications to a round and statements about it."""

    def extend_reentry_round(self, ctx: Context, command: ExtendReEntryRound) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.extend_reentry_round(
                stamp, round_number=command.round_number, closes_at=command.closes_at
            ),
        )

    def close_reentry_round_early(self, ctx: Context, command: CloseReEntryRoundEarly) -> Recorded[None]:
        return self._program_decision(
            ctx,
            command,
            lambda program, stamp: program.close_reentry_round_early(
                stamp, round_number=command.round_number, closes_at=command.closes_at
            ),
        )

    def apply_to_round(self, ctx: Context, command: ApplyToRound) -> Recorded[None]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(command.program_code)
            stamp = stamp.under(program.rules_version)
            try:
                team = self._expect(ctx, self.candidacy(command.program_code, command.team_code))
            except errors.TeamNotFoundError:
                team = self._new_entrant(stamp, program, command)
            team.apply_to_round(
                stamp,
                program,
                round_number=command.round_number,
                lead_organisation=command.lead_organisation,
                members=command.members,
            )
            return [team, program], None

        return self._decide(ctx, decide)

    def state_on_round(self, ctx: Context, command: StateOnRound) -> Recorded[int]:
        return self._team_decision(
            ctx,
            command,
            lambda team, stamp, program: team.state_on_round(
                stamp, program, round_number=command.round_number, kind=command.kind, form=command.form
            ),
        )

    @staticmethod
    def _new_entrant(stamp: Stamp, program: Program, command: ApplyToRound) -> Candidacy:
        """A team new to the programme enters through the round: its application to the round's stage."""
        return Candidacy.submit(
            stamp,
            program,
            team_code=command.team_code,
            name_ko=command.name_ko,
            name_en=command.name_en,
            lead_organisation=command.lead_organisation or "",
            members=command.members,
            stage=program.reentry_round(command.round_number).stage,
            contact=command.contact,
            through_round=True,
        )

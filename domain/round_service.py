"""The application service's decisions about evaluation rounds and provisional advancements.

A round's outcomes for many teams are one decision: the round, every team it
names and the programme (whose seats the advances take) are loaded, decide in
turn, and are saved in one ``save`` — so if one team's outcome breaks a rule
(a conflicted panel member, an advance without a seat) nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import errors
from domain.commands import (
    ConfirmAdvancement,
    DecideRound,
    DeclareConflict,
    OpenEvaluationRound,
    RecordRoundOutcomes,
    RecuseMember,
    RegisterPanel,
    ReverseAdvancement,
    RoundCommand,
    TeamOutcome,
)
from domain.program import Program
from domain.rounds import EvaluationRound
from domain.service import Context, DecisionService, Recorded
from domain.values import Stamp, code, positive

MAX_OUTCOMES = 1000


class RoundDecisions(DecisionService):
    """Evaluation rounds (open, panel, conflicts, recusals, outcomes, decision) and advancements under objection."""

    def evaluation_round(self, program_code: str, number: int) -> EvaluationRound:
        try:
            return self._get(EvaluationRound.id_for(program_code, number), EvaluationRound)
        except (AggregateNotFoundError, errors.InvalidValueError):
            self.program(program_code)
            msg = f"programme {program_code!r} has no evaluation round {number}"
            raise errors.EvaluationRoundNotFoundError(msg) from None

    def open_evaluation_round(self, ctx: Context, command: OpenEvaluationRound) -> Recorded[int]:
        def decide(stamp: Stamp) -> tuple[list[Aggregate], int]:
            program = self.program(command.program_code)
            stamp = stamp.under(program.rules_version)
            number = 1  # the next free number; a round opened meanwhile under it makes the save fail and retry
            while EvaluationRound.id_for(program.code, number) in self.repository:
                number += 1
            opened = EvaluationRound.open(
                stamp,
                program,
                number=number,
                stage=command.stage,
                title=command.title,
                criteria=command.criteria,
                gates=command.gates,
                reentry_round=command.reentry_round,
            )
            return [opened], number

        return self._decide(ctx, decide)

    def register_panel(self, ctx: Context, command: RegisterPanel) -> Recorded[None]:
        if not command.members:
            raise errors.InvalidValueError("name at least one panel member")

        def decide(r: EvaluationRound, program: Program, stamp: Stamp) -> list[Aggregate]:
            for seat in command.members:
                r.register_member(stamp, program, member=seat.member, role=seat.role)
            return [r]

        return self._round_decision(ctx, command, decide)

    def declare_conflict(self, ctx: Context, command: DeclareConflict) -> Recorded[None]:
        def decide(r: EvaluationRound, program: Program, stamp: Stamp) -> list[Aggregate]:
            team = self.candidacy(command.program_code, command.team_code)
            r.declare_conflict(stamp, program, member=command.member, team=team.team_code)
            return [r]

        return self._round_decision(ctx, command, decide)

    def recuse_member(self, ctx: Context, command: RecuseMember) -> Recorded[None]:
        def decide(r: EvaluationRound, program: Program, stamp: Stamp) -> list[Aggregate]:
            team = self.candidacy(command.program_code, command.team_code)
            r.recuse(stamp, program, member=command.member, team=team.team_code)
            return [r]

        return self._round_decision(ctx, command, decide)

    def record_round_outcomes(self, ctx: Context, command: RecordRoundOutcomes) -> Recorded[None]:
        given = [code(o.team_code, "team code") for o in command.outcomes]
        if not given or len(given) > MAX_OUTCOMES or len(set(given)) != len(given):
            raise errors.InvalidValueError(f"name 1 to {MAX_OUTCOMES} teams, each once")
        for outcome in command.outcomes:
            _check_consistent(outcome)

        def decide(r: EvaluationRound, program: Program, stamp: Stamp) -> list[Aggregate]:
            teams = [self.candidacy(command.program_code, o.team_code) for o in command.outcomes]
            checked = [
                r.judge(program, t.team_code, o.scores, o.gates, o.panel)
                for t, o in zip(teams, command.outcomes, strict=True)
            ]
            r.record_outcomes(stamp, [t.team_code for t in teams])
            for team, outcome, judged in zip(teams, command.outcomes, checked, strict=True):
                team.record_round_outcome(
                    stamp,
                    program,
                    round_number=r.number,
                    stage=r.stage,
                    result=outcome.result,
                    rank=outcome.rank,
                    reentry_round=r.reentry_round,
                    **judged,
                )
            # Eliminations first: the seats they free are there for the advances of the same round.
            for team, outcome in zip(teams, command.outcomes, strict=True):
                if outcome.eliminate is not None and outcome.objection_deadline is not None:
                    deadline = outcome.objection_deadline
                    team.eliminate(stamp, program, reason_code=outcome.eliminate, objection_deadline=deadline)
            for team, outcome in zip(teams, command.outcomes, strict=True):
                if outcome.advance_to is not None:
                    team.advance(stamp, program, outcome.advance_to, objection_deadline=outcome.objection_deadline)
            return [r, *teams, program]

        return self._round_decision(ctx, command, decide)

    def decide_round(self, ctx: Context, command: DecideRound) -> Recorded[None]:
        def decide(r: EvaluationRound, program: Program, stamp: Stamp) -> list[Aggregate]:
            selected = [self.candidacy(command.program_code, t).team_code for t in command.selected]
            r.decide(
                stamp,
                program,
                selected=selected,
                no_selection=command.no_selection,
                votes=command.votes,
                counts=command.counts,
            )
            if r.reentry_round is None:
                return [r]
            # A panel judging a re-entry round's applications seats those it selects, up to the round's seats.
            teams = [self.candidacy(command.program_code, t) for t in selected]
            for team in teams:
                team.selected_in_round(stamp, program, round_number=r.reentry_round, evaluation_round=r.number)
            return [r, *teams, program]

        return self._round_decision(ctx, command, decide)

    def confirm_advancement(self, ctx: Context, command: ConfirmAdvancement) -> Recorded[None]:
        return self._team_decision(ctx, command, lambda team, stamp, program: team.confirm_advancement(stamp, program))

    def reverse_advancement(self, ctx: Context, command: ReverseAdvancement) -> Recorded[None]:
        return self._team_decision(ctx, command, lambda team, stamp, program: team.reverse_advancement(stamp, program))

    def _round_decision(
        self,
        ctx: Context,
        command: RoundCommand,
        decide: Callable[[EvaluationRound, Program, Stamp], list[Aggregate]],
    ) -> Recorded[None]:
        def decide_now(stamp: Stamp) -> tuple[list[Aggregate], None]:
            program = self.program(command.program_code)
            r = self._expect(ctx, self.evaluation_round(command.program_code, command.round_number))
            stamp.not_before(program.opened_at)
            return decide(r, program, stamp.under(program.rules_version)), None

        return self._decide(ctx, decide_now)


def _check_consistent(outcome: TeamOutcome) -> None:
    """An outcome that contradicts itself is malformed, whatever the records say."""
    if outcome.result == "fail" and outcome.advance_to is not None:
        raise errors.InvalidValueError(f"team {outcome.team_code} failed and cannot advance")
    if outcome.result == "pass" and outcome.eliminate is not None:
        raise errors.InvalidValueError(f"team {outcome.team_code} passed and cannot be eliminated")
    if outcome.advance_to is not None and outcome.eliminate is not None:
        raise errors.InvalidValueError(f"team {outcome.team_code} cannot both advance and be eliminated")
    if outcome.eliminate is not None and outcome.objection_deadline is None:
        raise errors.InvalidValueError(f"eliminating team {outcome.team_code} needs an objection deadline")
    if outcome.rank is not None:
        positive(outcome.rank, "rank")

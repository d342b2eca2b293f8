"""Decision attempts about evaluation rounds and advancements under objection, for generated runs.

As in ``attempts``, an attempt carries hints resolved against the aggregates when
it is made: the latest round, the n-th panel member, the teams still in play —
so most attempts are allowed, and skews (a panel member never registered, a
member judging a team they are conflicted with, an advance with no seat left,
a second decision) keep a share the rules must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain import commands
from domain.candidacy import Candidacy
from domain.registry import Context, Recorded
from domain.rounds import EvaluationRound
from tests.integration.attempts import GATE, PROGRAM, Run, in_play

PANEL = ("심사위원장", "Park", "Lee", "Choi")


def latest_round(run: Run, back: int = 0) -> int:
    number = 1
    while EvaluationRound.id_for(PROGRAM, number) in run.registry.repository:
        number += 1
    return max(1, number - 1 - back)


def provisional(team: Candidacy) -> bool:
    a = team.advancement
    return a is not None and not a.confirmed and team.seated and a.stage == team.stage


@dataclass(frozen=True)
class OpenEvaluationRound:
    stage: int
    own_criteria: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        criteria = [{"code": "written", "max_points": 100}] if self.own_criteria else None
        return run.registry.open_evaluation_round(
            ctx,
            commands.OpenEvaluationRound(program_code=PROGRAM, stage=self.stage, title="서면 평가", criteria=criteria),
        )


@dataclass(frozen=True)
class RegisterPanel:
    members: tuple[int, ...]
    role: str

    def make(self, run: Run, ctx: Context) -> Recorded:
        seats = [commands.PanelSeat(member=PANEL[i % len(PANEL)], role=self.role) for i in self.members]
        command = commands.RegisterPanel(program_code=PROGRAM, round_number=latest_round(run), members=seats)
        return run.registry.register_panel(ctx, command)


@dataclass(frozen=True)
class Excuse:
    member: int
    team: int
    recusal: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        member, team_code, number = PANEL[self.member % len(PANEL)], run.team(self.team), latest_round(run)
        if self.recusal:
            command = commands.RecuseMember(
                program_code=PROGRAM, round_number=number, member=member, team_code=team_code
            )
            return run.registry.recuse_member(ctx, command)
        conflict = commands.DeclareConflict(
            program_code=PROGRAM, round_number=number, member=member, team_code=team_code
        )
        return run.registry.declare_conflict(ctx, conflict)


@dataclass(frozen=True)
class RecordOutcomes:
    first: int
    count: int
    passed: tuple[bool, ...]
    score: Decimal
    panel: tuple[int, ...] | None  # None: every member not excused
    then: int  # 0: nothing follows; 1: the passing advance and the failing are eliminated; 2: advances held
    back: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        teams = [run.team(self.first + i, in_play) for i in range(self.count)]
        deadline = ctx.effective_at + timedelta(hours=48)
        outcomes = []
        for i, team_code in enumerate(dict.fromkeys(teams)):
            passed = self.passed[i % len(self.passed)] if self.passed else True
            team = run.candidacy(team_code)
            onward = team.stage if team.status == "applied" else team.stage + 1
            outcomes.append(
                commands.TeamOutcome(
                    team_code=team_code,
                    result="pass" if passed else "fail",
                    scores={} if i else {"benchmark": self.score},
                    gates={GATE: passed} if not passed else {},
                    rank=i + 1 if passed else None,
                    panel=None if self.panel is None else [PANEL[m % len(PANEL)] for m in self.panel],
                    advance_to=onward if self.then and passed else None,
                    eliminate="screening" if self.then == 1 and not passed else None,
                    objection_deadline=deadline if self.then == 2 or not passed else None,
                )
            )
        command = commands.RecordRoundOutcomes(
            program_code=PROGRAM, round_number=latest_round(run, self.back), outcomes=outcomes
        )
        return run.registry.record_round_outcomes(ctx, command)


@dataclass(frozen=True)
class DecideRound:
    selected: int | None  # None: no selection
    votes: tuple[int, ...]

    def make(self, run: Run, ctx: Context) -> Recorded:
        selected = [] if self.selected is None else [run.team(self.selected)]
        votes = {PANEL[v % len(PANEL)]: ("for", "against", "abstain")[v % 3] for v in self.votes}
        command = commands.DecideRound(
            program_code=PROGRAM,
            round_number=latest_round(run),
            selected=selected,
            no_selection=self.selected is None,
            votes=votes,
        )
        return run.registry.decide_round(ctx, command)


@dataclass(frozen=True)
class AdvanceProvisionally:
    team: int
    hours: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        team_code = run.team(self.team, in_play)
        team = run.candidacy(team_code)
        onward = team.stage if team.status == "applied" else team.stage + 1
        command = commands.AdvanceTeam(
            program_code=PROGRAM,
            team_code=team_code,
            to_stage=onward,
            objection_deadline=ctx.effective_at + timedelta(hours=self.hours),
        )
        return run.registry.advance_team(ctx, command)


@dataclass(frozen=True)
class SettleAdvancement:
    team: int
    confirm: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, provisional)
        if self.confirm:
            return run.registry.confirm_advancement(
                ctx, commands.ConfirmAdvancement(program_code=PROGRAM, team_code=team_code)
            )
        return run.registry.reverse_advancement(
            ctx, commands.ReverseAdvancement(program_code=PROGRAM, team_code=team_code)
        )

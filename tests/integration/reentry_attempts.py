"""Decision attempts about re-entry rounds as open calls, for generated runs.

As in ``attempts``, each carries hints resolved against the aggregates when it
is made: the latest re-entry round, an eliminated team or one new to the
programme, a team with a pending application — so most attempts are allowed,
while a round that does not exist, a window moved the wrong way or a selection
of a team that never applied keep a share the rules must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain import commands
from domain.candidacy import Candidacy
from domain.registry import Context, Recorded
from tests.integration.attempts import LEADS, MEMBERS, PROGRAM, TEAM_CODES, Run
from tests.integration.round_attempts import latest_round

KINDS = ("declined", "intends_to_apply", "withdrew_application")
FORMS = ("formal_letter", "public_statement", "press_report")


def reentry_round(run: Run, back: int = 0) -> int:
    return max(1, len(run.program().rounds) - back)


def eliminated(team: Candidacy) -> bool:
    return team.status == "eliminated"


@dataclass(frozen=True)
class ApplyToRound:
    team: int
    new: bool  # a team named from all codes (new to the programme unless it already applied)
    lead: int | None  # None: the team's own consortium
    back: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        code = run.spell(TEAM_CODES[self.team % len(TEAM_CODES)]) if self.new else run.team(self.team, eliminated)
        command = commands.ApplyToRound(
            program_code=PROGRAM,
            team_code=code,
            round_number=reentry_round(run, self.back),
            lead_organisation=None if self.lead is None else LEADS[self.lead % len(LEADS)],
            members=None if self.lead is None else [MEMBERS[self.lead % len(MEMBERS)]],
            name_ko=f"{code} 컨소시엄",
            name_en=f"{code} Consortium",
        )
        recorded = run.registry.apply_to_round(ctx, command)
        entered = [e for e in recorded.events if isinstance(e, Candidacy.ApplicationSubmitted)]
        if entered and entered[0].team_code not in run.teams:
            run.teams.append(entered[0].team_code)
        return recorded


@dataclass(frozen=True)
class StateOnRound:
    team: int
    kind: int
    form: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        command = commands.StateOnRound(
            program_code=PROGRAM,
            team_code=run.team(self.team),
            round_number=reentry_round(run),
            kind=KINDS[self.kind % len(KINDS)],
            form=FORMS[self.form % len(FORMS)],
        )
        return run.registry.state_on_round(ctx, command)


@dataclass(frozen=True)
class MoveRound:
    extend: bool
    hours: int  # from the round's closing time: later when positive

    def make(self, run: Run, ctx: Context) -> Recorded:
        number = reentry_round(run)
        rounds = run.program().rounds
        base = rounds[number].closes_at if number in rounds else run.clock.now
        closes_at = base + timedelta(hours=self.hours)
        if self.extend:
            return run.registry.extend_reentry_round(
                ctx, commands.ExtendReEntryRound(program_code=PROGRAM, round_number=number, closes_at=closes_at)
            )
        return run.registry.close_reentry_round_early(
            ctx, commands.CloseReEntryRoundEarly(program_code=PROGRAM, round_number=number, closes_at=closes_at)
        )


@dataclass(frozen=True)
class OpenSelectionPanel:
    """An evaluation round judging the latest re-entry round's applications, with a panel of two."""

    def make(self, run: Run, ctx: Context) -> Recorded:
        number = reentry_round(run)
        rounds = run.program().rounds
        stage = rounds[number].stage if number in rounds else 0
        command = commands.OpenEvaluationRound(
            program_code=PROGRAM, stage=stage, title="재도전 심사", reentry_round=number
        )
        return run.registry.open_evaluation_round(ctx, command)


@dataclass(frozen=True)
class SelectApplicant:
    team: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        number = reentry_round(run)
        team_code = run.team(self.team, lambda t: t.has_pending_application(number))
        command = commands.DecideRound(
            program_code=PROGRAM,
            round_number=latest_round(run),
            selected=[team_code],
            no_selection=False,
            votes={},
            counts={"for": 2, "against": 1, "abstain": 0},
        )
        return run.registry.decide_round(ctx, command)

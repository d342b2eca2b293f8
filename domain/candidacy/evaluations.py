"""Evaluations of a team: recorded in its current stage, amended later; scores checked against the stage."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from domain import errors
from domain.candidacy.events import EvaluationAmended, EvaluationRecorded
from domain.candidacy.state import MAX_MEMBERS, Evaluation, TeamState
from domain.program import Program
from domain.values import Stamp, nfc, text
from domain.values import score as checked_score


class Scores(TypedDict):
    """An evaluation's scores, gate results and panel, as checked and stored."""

    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: list[str]


class Evaluations(TeamState):
    """The candidacy's evaluation commands."""

    def record_evaluation(
        self,
        stamp: Stamp,
        program: Program,
        *,
        stage: int,
        scores: dict[str, Decimal],
        gates: dict[str, bool],
        panel: list[str],
    ) -> int:
        self._check_open(stamp, program)
        if stage != self.stage:
            msg = f"team {self.team_code} is in {program.stage_label(self.stage)}, not {program.stage_label(stage)}"
            raise errors.WrongStageError(msg)
        number = len(self.evaluations) + 1
        checked = checked_scores(program, stage, scores, gates, panel)
        program.begin_evaluation(stamp, stage, self.team_code)  # fixes the stage's rules (see ``domain.rules``)
        self.trigger_event(EvaluationRecorded, evaluation=number, stage=stage, **checked, **stamp.event_fields())
        return number

    def amend_evaluation(
        self,
        stamp: Stamp,
        program: Program,
        *,
        evaluation: int,
        scores: dict[str, Decimal],
        gates: dict[str, bool],
        panel: list[str],
    ) -> None:
        self._check_open(stamp, program)
        try:
            original = self.evaluations[evaluation]
        except KeyError:
            msg = f"team {self.team_code} has no evaluation {evaluation}"
            raise errors.EvaluationNotFoundError(msg) from None
        checked = checked_scores(program, original.stage, scores, gates, panel)
        if Evaluation(original.stage, checked["scores"], checked["gates"], tuple(checked["panel"])) == original:
            return  # the amendment restates the evaluation as it stands
        self.trigger_event(
            EvaluationAmended,
            evaluation=evaluation,
            stage=original.stage,
            **checked,
            **stamp.event_fields(),
        )


def checked_scores(
    program: Program,
    stage: int,
    scores: dict[str, Decimal],
    gates: dict[str, bool],
    panel: list[str],
) -> Scores:
    """Scores for exactly the stage's criteria, each within its range; a result for each gate; a bounded panel."""
    definition = program.stage(stage)
    criteria = {c.code: c.max_points for c in definition.criteria}
    scores = {nfc(k): checked_score(Decimal(v), f"{k} score") for k, v in scores.items()}
    gates = {nfc(k): v for k, v in gates.items()}
    if set(scores) != set(criteria) or set(gates) != set(definition.gates):
        msg = (
            f"{program.stage_label(stage)} needs scores for {', '.join(criteria) or 'no criteria'} "
            f"and results for {', '.join(definition.gates) or 'no gates'}"
        )
        raise errors.InvalidScoresError(msg)
    for criterion, score in scores.items():
        if not score.is_finite() or not 0 <= score <= criteria[criterion]:
            msg = f"{criterion} score {score} is outside 0–{criteria[criterion]}"
            raise errors.ScoreOutOfRangeError(msg)
    if any(not isinstance(v, bool) for v in gates.values()):
        raise errors.InvalidScoresError("gate results must be true or false")
    members = [text(p, "panel member", limit=200) for p in panel]
    if len(members) > MAX_MEMBERS:
        raise errors.InvalidValueError(f"a panel has at most {MAX_MEMBERS} members")
    return {"scores": scores, "gates": gates, "panel": members}

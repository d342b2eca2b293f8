"""Rules that change after opening: stages added and amended, each change a new rules version.

A programme's rules — its stages, their seats, criteria with maximum points and
gates — are version 1 when it opens (or is announced) and each amendment makes
the next version. Every decision event records the version it was judged under
in its envelope (``DecisionEvent.rules_version``); an amendment records the
version it makes.

A stage's rules may change until they have been used: until a team is evaluated
in it or takes a seat in it. Seats are taken on the programme (``SeatTaken``),
so the programme sees that itself. Evaluations live on each team's
``Candidacy`` stream, so the programme cannot see them — unless the evaluation
tells it: the first evaluation in a stage (a team's own, or its outcome in an
evaluation round, published or not) also appends ``StageEvaluationBegan``
to the programme, and the application saves both streams in one transaction
(as every decision about a team already does). The programme's optimistic
version check then serialises that first evaluation with any amendment of the
stage: whichever is saved second is decided again on fresh state, so an
evaluation is never judged against rules that change after it. Later
evaluations in a fixed stage append nothing to the programme and do not contend
with other decisions. (Evaluations stored before this event existed did not
tell the programme; a stage whose teams were evaluated then is fixed only once
a seat in it is taken.)
"""

from __future__ import annotations

from typing import Any

from domain import errors
from domain.program_state import ProgramEvent, ProgramState
from domain.values import Stage, Stamp


class StageAdded(ProgramEvent):
    """A stage appended after the last one; its index is the number of stages before it."""

    TOPIC = "registry:StageAdded"
    stage: int
    definition: dict[str, Any]

    def apply(self, program: ProgramState) -> None:
        program.stages.append(Stage.from_record(self.definition))
        program.holders.append(set())
        program.rules_version = self.rules_version


class StageAmended(ProgramEvent):
    """A stage's whole new definition: name, seats, criteria with maximum points, gates."""

    TOPIC = "registry:StageAmended"
    stage: int
    definition: dict[str, Any]

    def apply(self, program: ProgramState) -> None:
        program.stages[self.stage] = Stage.from_record(self.definition)
        program.rules_version = self.rules_version


class StageEvaluationBegan(ProgramEvent):
    """The first evaluation in a stage was recorded: from now on its rules are fixed."""

    TOPIC = "registry:StageEvaluationBegan"
    stage: int
    team: str

    def apply(self, program: ProgramState) -> None:
        program.fixed_stages.add(self.stage)


class Rules(ProgramState):
    """The programme's commands that change its rules."""

    def add_stage(self, stamp: Stamp, stage: Stage) -> int:
        stamp.not_before(self.opened_at)
        if len(self.stages) >= 20:
            raise errors.TooManyStagesError("the programme already has 20 stages, the most a programme may have")
        if self.finalists:
            raise errors.FinalistsAlreadySelectedError(
                "the finalists were chosen from the last stage: add no stage after"
            )
        self._check_finalists_fit(stage)
        index = len(self.stages)
        self._change(stamp, StageAdded, index, stage)
        return index

    def amend_stage(self, stamp: Stamp, index: int, stage: Stage) -> None:
        stamp.not_before(self.opened_at)
        current = self.stage(index)
        if index in self.fixed_stages or self.holders[index]:
            msg = f"stage {index} ({current.name}) has been evaluated or seated: its rules are fixed"
            raise errors.StageInUseError(msg)
        if stage == current:
            return  # the amendment restates the stage as it stands
        held = sum(r.seats for r in self.rounds.values() if r.stage == index)
        if stage.seats < held:
            msg = f"re-entry rounds hold {held} seats of stage {index}; it cannot have {stage.seats}"
            raise errors.SeatUnavailableError(msg)
        if index == len(self.stages) - 1:
            self._check_finalists_fit(stage)
        self._change(stamp, StageAmended, index, stage)

    def begin_evaluation(self, stamp: Stamp, stage: int, team: str) -> None:
        """Fix the stage's rules at its first evaluation (see the module's docstring)."""
        if stage not in self.fixed_stages:
            self.trigger_event(StageEvaluationBegan, stage=stage, team=team, **stamp.event_fields())

    def _check_finalists_fit(self, last: Stage) -> None:
        """The recorded finalist count against the new last stage: a rule of the records (409), not of the body."""
        if self.finalist_count > last.seats:
            msg = f"finalist_count {self.finalist_count} exceeds the last stage's {last.seats} seats"
            raise errors.LastStageTooSmallError(msg)

    def _change(self, stamp: Stamp, event: type[ProgramEvent], index: int, stage: Stage) -> None:
        fields = {**stamp.event_fields(), "rules_version": self.rules_version + 1}
        self.trigger_event(event, stage=index, definition=stage.as_record(), **fields)

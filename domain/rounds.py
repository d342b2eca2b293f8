"""The evaluation round aggregate: one round over many teams of one stage, its panel and its decision.

A written screening or a presentation round judges the whole field at once and
publishes little: a pass/fail list, one team's scores, one failed gate, a rank
order. The round is its own aggregate (id ``uuid5`` of programme and round
number), so the rules that span its teams — one outcome per team, no score from
a panel member who declared a conflict with the team or recused from it, one
decision — are checked on one stream. What a round decides about a team is also
appended to that team's stream (``Candidacy.RoundOutcomeRecorded``), and seats
move on the programme; the application saves the round, the teams and the
programme in one transaction (``domain.round_service``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.events import DecisionEvent
from domain.program import Program
from domain.values import Stage, Stamp, code, display_name, nfc, positive

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/evaluation-round")
ROLES = ("chair", "member", "rapporteur", "observer")
VOTES = ("for", "against", "abstain")
MAX_PANEL = 100


@dataclass(frozen=True)
class Excuse:
    """Why a panel member may not judge a team: a declared conflict or a recusal, with its reason."""

    kind: str
    reason: str


class EvaluationRound(Aggregate):
    TOPIC = "registry:EvaluationRound"

    class Event(DecisionEvent):
        pass

    class Opened(Event, Aggregate.Created):
        """Version 2 added ``reentry_round``, the re-entry round whose applications it judges; version 1 had none."""

        TOPIC = "registry:EvaluationRoundOpened"
        class_version = 2
        program_code: str
        round: int
        stage: int
        title: str
        criteria: list[dict[str, Any]]
        gates: list[str]
        reentry_round: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reentry_round"] = None

        def apply(self, r: EvaluationRound) -> None:
            r.program_code, r.number, r.stage, r.title = self.program_code, self.round, self.stage, self.title
            r.reentry_round = self.reentry_round
            r.criteria = {c["code"]: Decimal(c["max_points"]) for c in self.criteria}
            r.gates = tuple(self.gates)
            r.panel, r.excused, r.judged, r.decided = {}, {}, set(), False

    Created = Opened  # the library looks for a creation event under this name

    class PanelMemberRegistered(Event):
        TOPIC = "registry:PanelMemberRegistered"
        round: int
        member: str
        role: str

        def apply(self, r: EvaluationRound) -> None:
            r.panel[self.member] = self.role

    class ConflictDeclared(Event):
        """A panel member declared a conflict of interest with a team; the reason is the event's."""

        TOPIC = "registry:ConflictDeclared"
        round: int
        member: str
        team: str

        def apply(self, r: EvaluationRound) -> None:
            r.excused.setdefault((self.member, self.team), Excuse("conflict", self.reason))

    class MemberRecused(Event):
        """A panel member stood aside from judging a team; the reason is the event's."""

        TOPIC = "registry:MemberRecused"
        round: int
        member: str
        team: str

        def apply(self, r: EvaluationRound) -> None:
            r.excused[(self.member, self.team)] = Excuse("recusal", self.reason)

    class OutcomesRecorded(Event):
        """The teams whose outcomes one request recorded (each also on the team's stream)."""

        TOPIC = "registry:OutcomesRecorded"
        round: int
        teams: list[str]

        def apply(self, r: EvaluationRound) -> None:
            r.judged.update(self.teams)

    class Decided(Event):
        """The round's decision: the teams selected (none: no selection) and the panel's vote, per member or counted."""

        TOPIC = "registry:EvaluationRoundDecided"
        round: int
        selected: list[str]
        no_selection: bool
        votes: dict[str, str]
        counts: dict[str, int]

        def apply(self, r: EvaluationRound) -> None:
            r.decided = True

    if TYPE_CHECKING:  # state, assigned only by the events above
        program_code: str
        number: int
        stage: int
        title: str
        reentry_round: int | None
        criteria: dict[str, Decimal]
        gates: tuple[str, ...]
        panel: dict[str, str]
        excused: dict[tuple[str, str], Excuse]
        judged: set[str]
        decided: bool

    @staticmethod
    def id_for(program_code: str, number: int) -> UUID:
        return uuid5(NAMESPACE, f"{code(program_code)}/{number}")

    # --- commands -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        stamp: Stamp,
        program: Program,
        *,
        number: int,
        stage: int,
        title: str,
        criteria: list[dict[str, Any]] | None,
        gates: list[str] | None,
        reentry_round: int | None = None,
    ) -> EvaluationRound:
        """Open round ``number`` for ``stage``, judged on the stage's criteria and gates unless others are given.

        With ``reentry_round`` it judges that re-entry round's applications, and its decision seats those selected.
        """
        stamp.not_before(program.opened_at)
        definition = program.stage(stage)
        if reentry_round is not None and program.reentry_round(reentry_round).stage != stage:
            msg = f"re-entry round {reentry_round} is for {program.stage_label(program.rounds[reentry_round].stage)}"
            raise errors.InvalidValueError(msg)
        if criteria is not None or gates is not None:
            own = [c.as_record() for c in definition.criteria] if criteria is None else criteria
            own_gates = list(definition.gates) if gates is None else gates
            definition = Stage.make(definition.name, definition.seats, own, own_gates)
        return cls._create(
            cls.Opened,
            id=cls.id_for(program.code, number),
            program_code=program.code,
            round=positive(number, "round"),
            stage=stage,
            title=display_name(title, "title", limit=300),
            criteria=[c.as_record() for c in definition.criteria],
            gates=list(definition.gates),
            reentry_round=reentry_round,
            **stamp.event_fields(),
        )

    def register_member(self, stamp: Stamp, program: Program, *, member: str, role: str) -> None:
        stamp.not_before(program.opened_at)
        member = display_name(member, "panel member", limit=200)
        if role not in ROLES:
            raise errors.InvalidValueError(f"role must be one of {', '.join(ROLES)}")
        if self.panel.get(member) == role:
            return  # already on the panel in that role
        if member in self.panel:
            msg = f"{member} already sits on round {self.number}'s panel as {self.panel[member]}"
            raise errors.AlreadyOnPanelError(msg)
        if len(self.panel) >= MAX_PANEL:
            msg = f"round {self.number}'s panel already has {MAX_PANEL} members, the most it may have"
            raise errors.PanelFullError(msg)
        self.trigger_event(
            self.PanelMemberRegistered, round=self.number, member=member, role=role, **stamp.event_fields()
        )

    def declare_conflict(self, stamp: Stamp, program: Program, *, member: str, team: str) -> None:
        self._excuse(stamp, program, self.ConflictDeclared, member, team)

    def recuse(self, stamp: Stamp, program: Program, *, member: str, team: str) -> None:
        self._excuse(stamp, program, self.MemberRecused, member, team)

    def _excuse(self, stamp: Stamp, program: Program, event: type[Event], member: str, team: str) -> None:
        stamp.not_before(program.opened_at)
        member = self._on_panel(display_name(member, "panel member", limit=200))
        if not stamp.reason:
            raise errors.InvalidValueError("a conflict or recusal needs a reason")
        excuse = self.excused.get((member, team))
        if excuse is not None and excuse.kind == ("conflict" if event is self.ConflictDeclared else "recusal"):
            return  # already declared
        self.trigger_event(event, round=self.number, member=member, team=team, **stamp.event_fields())

    def judge(
        self, program: Program, team: str, scores: dict[str, Decimal], gates: dict[str, bool], panel: list[str] | None
    ) -> dict[str, Any]:
        """Check one team's outcome: its published scores and gates, and who sat (default: every member not excused).

        Returns the checked scores, gates, panel and the recusals (member, kind, reason) to record on the team.
        """
        if team in self.judged:
            msg = f"round {self.number} already holds an outcome for team {team}"
            raise errors.OutcomeAlreadyRecordedError(msg)
        checked_scores = {nfc(k): Decimal(v) for k, v in scores.items()}
        checked_gates = {nfc(k): v for k, v in gates.items()}
        unknown = sorted(set(checked_scores) - set(self.criteria)) + sorted(set(checked_gates) - set(self.gates))
        if unknown:
            msg = (
                f"round {self.number} judges {', '.join(self.criteria) or 'no criteria'} "
                f"and gates {', '.join(self.gates) or 'none'}, not {', '.join(unknown)}"
            )
            raise errors.InvalidScoresError(msg)
        for criterion, score in checked_scores.items():
            if not score.is_finite() or not 0 <= score <= self.criteria[criterion]:
                msg = f"{criterion} score {score} is outside 0–{self.criteria[criterion]}"
                raise errors.ScoreOutOfRangeError(msg)
        if any(not isinstance(v, bool) for v in checked_gates.values()):
            raise errors.InvalidScoresError("gate results must be true or false")
        recusals = [
            {"member": m, "kind": e.kind, "reason": e.reason} for (m, t), e in sorted(self.excused.items()) if t == team
        ]
        excused = {r["member"] for r in recusals}
        if panel is None:
            sat = [m for m in self.panel if m not in excused]
        else:
            sat = [self._on_panel(display_name(m, "panel member", limit=200)) for m in panel]
        self._check_unconflicted(sat, [team])
        return {"scores": checked_scores, "gates": checked_gates, "panel": sat, "recusals": recusals}

    def record_outcomes(self, stamp: Stamp, teams: list[str]) -> None:
        self.trigger_event(self.OutcomesRecorded, round=self.number, teams=teams, **stamp.event_fields())

    def decide(
        self,
        stamp: Stamp,
        program: Program,
        *,
        selected: list[str],
        no_selection: bool,
        votes: dict[str, str],
        counts: dict[str, int] | None,
    ) -> None:
        stamp.not_before(program.opened_at)
        if self.decided:
            raise errors.RoundAlreadyDecidedError(f"round {self.number} is already decided")
        chosen = sorted({code(t, "team code") for t in selected})
        if len(chosen) != len(selected) or bool(chosen) == no_selection:
            raise errors.InvalidValueError("a decision selects teams without repeats, or states no selection")
        if votes and counts is not None:
            raise errors.InvalidValueError("give the vote per member or its counts, not both")
        voters = {self._on_panel(display_name(m, "panel member", limit=200)): v for m, v in votes.items()}
        if any(v not in VOTES for v in voters.values()):
            raise errors.InvalidValueError(f"a vote is one of {', '.join(VOTES)}")
        self._check_unconflicted(list(voters), sorted(set(chosen) | self.judged))
        tally = {v: sum(1 for x in voters.values() if x == v) for v in VOTES} if voters else dict(counts or {})
        whole = all(not isinstance(n, bool) and isinstance(n, int) and n >= 0 for n in tally.values())
        if set(tally) - set(VOTES) or not whole:
            raise errors.InvalidValueError(f"vote counts are whole numbers ≥ 0 for {', '.join(VOTES)}")
        self.trigger_event(
            self.Decided,
            round=self.number,
            selected=chosen,
            no_selection=no_selection,
            votes=voters,
            counts=tally,
            **stamp.event_fields(),
        )

    def _on_panel(self, member: str) -> str:
        if member not in self.panel:
            raise errors.NotOnPanelError(f"{member} is not on round {self.number}'s panel")
        return member

    def _check_unconflicted(self, members: list[str], teams: list[str]) -> None:
        for member in members:
            for team in teams:
                excuse = self.excused.get((member, team))
                if excuse is not None:
                    word = "declared a conflict with" if excuse.kind == "conflict" else "recused from"
                    msg = f"{member} {word} team {team} ({excuse.reason}) and cannot judge it"
                    raise errors.ConflictOfInterestError(msg)

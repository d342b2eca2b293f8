"""Evaluation rounds: opened for a stage, a panel with roles, conflicts and recusals, outcomes checked, one decision."""

from __future__ import annotations

from decimal import Decimal

from domain import errors
from domain.program import Program
from domain.rounds import MAX_PANEL, EvaluationRound
from tests.unit.bdd import CRITERIA, PROGRAM, applied, eliminated, facts, on, opened, refused, seated, when


def a_round(program: Program, *, stage: int = 0, **fields: object) -> EvaluationRound:
    arguments: dict[str, object] = {"number": 1, "stage": stage, "title": "Written screening", "criteria": None}
    arguments.setdefault("gates", None)
    return EvaluationRound.open(on(3), program, **{**arguments, **fields})  # type: ignore[arg-type]


def with_panel(program: Program, **members: str) -> EvaluationRound:
    r = a_round(program)
    for member, role in (members or {"Kim": "chair", "Lee": "member"}).items():
        r.register_member(on(3), program, member=member, role=role)
    return r


# --- opening ---------------------------------------------------------------------------------


def test_a_round_is_judged_on_its_stages_criteria_by_default() -> None:
    program = opened()
    r = a_round(program)
    assert facts(r.collect_events()) == [
        (
            "EvaluationRoundOpened",
            {
                "program_code": PROGRAM,
                "round": 1,
                "stage": 0,
                "title": "Written screening",
                "criteria": [{**c, "max_points": Decimal(str(c["max_points"]))} for c in CRITERIA],
                "gates": ["independence"],
                "reentry_round": None,
            },
        )
    ]
    assert r.id == EvaluationRound.id_for(PROGRAM, 1)


def test_a_round_may_have_its_own_criteria() -> None:
    r = a_round(opened(), criteria=[{"code": "written", "max_points": 100}])
    assert (r.criteria, r.gates) == ({"written": Decimal(100)}, ("independence",))


def test_a_round_for_a_stage_the_programme_lacks_is_refused() -> None:
    program = opened()
    try:
        a_round(program, stage=2)
    except errors.UnknownStageError as error:
        assert "no stage 2 (its stages are 0 to 1)" in str(error)
    else:
        raise AssertionError("opened a round for a missing stage")


# --- the panel -------------------------------------------------------------------------------


def test_a_member_joins_the_panel_with_a_role_once() -> None:
    program = opened()
    r = a_round(program)
    events = when(lambda: r.register_member(on(4), program, member="Kim", role="chair"), r)
    assert facts(events) == [("PanelMemberRegistered", {"round": 1, "member": "Kim", "role": "chair"})]
    assert when(lambda: r.register_member(on(5), program, member="Kim", role="chair"), r) == []
    refused(errors.AlreadyOnPanelError, lambda: r.register_member(on(5), program, member="Kim", role="member"), r)
    refused(errors.InvalidValueError, lambda: r.register_member(on(5), program, member="Lee", role="king"), r)


def test_a_full_panel_takes_no_more_members_as_the_records_forbid_it() -> None:
    program = opened()
    r = a_round(program)
    for n in range(MAX_PANEL):
        r.register_member(on(4), program, member=f"member {n}", role="member")
    refused(errors.PanelFullError, lambda: r.register_member(on(5), program, member="one more", role="member"), r)


def test_a_conflict_is_declared_by_a_panel_member_with_a_reason() -> None:
    program = opened()
    r = with_panel(program)
    events = when(lambda: r.declare_conflict(on(4, reason="Former employee"), program, member="Lee", team="lg"), r)
    assert facts(events) == [("ConflictDeclared", {"round": 1, "member": "Lee", "team": "lg"})]
    assert events[0].reason == "Former employee"
    refused(errors.NotOnPanelError, lambda: r.declare_conflict(on(4), program, member="Park", team="lg"), r)
    refused(errors.InvalidValueError, lambda: r.recuse(on(4, reason=""), program, member="Kim", team="lg"), r)


def test_a_recusal_is_recorded_with_its_reason() -> None:
    program = opened()
    r = with_panel(program)
    events = when(lambda: r.recuse(on(4, reason="Co-author"), program, member="Kim", team="kt"), r)
    assert facts(events) == [("MemberRecused", {"round": 1, "member": "Kim", "team": "kt"})]


# --- judging outcomes ---------------------------------------------------------------------------


def test_an_outcome_may_publish_some_scores_and_no_gates_and_sits_every_unexcused_member() -> None:
    program = opened()
    r = with_panel(program)
    r.declare_conflict(on(4, reason="Former employee"), program, member="Lee", team="lg")
    judged = r.judge(program, "lg", {"bench": Decimal(31)}, {}, None)
    assert judged == {
        "scores": {"bench": Decimal(31)},
        "gates": {},
        "panel": ["Kim"],
        "recusals": [{"member": "Lee", "kind": "conflict", "reason": "Former employee"}],
    }
    assert r.judge(program, "kt", {}, {"independence": False}, None)["panel"] == ["Kim", "Lee"]


def test_a_conflicted_or_recused_member_cannot_judge_the_team() -> None:
    program = opened()
    r = with_panel(program)
    r.recuse(on(4, reason="Co-author"), program, member="Kim", team="lg")
    refused(errors.ConflictOfInterestError, lambda: r.judge(program, "lg", {}, {}, ["Kim"]), r)
    refused(errors.NotOnPanelError, lambda: r.judge(program, "lg", {}, {}, ["Park"]), r)


def test_scores_are_checked_against_the_rounds_criteria() -> None:
    program = opened()
    r = a_round(program)
    refused(errors.InvalidScoresError, lambda: r.judge(program, "lg", {"charisma": Decimal(1)}, {}, None), r)
    refused(errors.ScoreOutOfRangeError, lambda: r.judge(program, "lg", {"bench": Decimal(41)}, {}, None), r)


def test_a_team_has_one_outcome_per_round() -> None:
    program = opened()
    r = a_round(program)
    events = when(lambda: r.record_outcomes(on(5), ["lg", "kt"]), r)
    assert facts(events) == [("OutcomesRecorded", {"round": 1, "teams": ["lg", "kt"]})]
    refused(errors.OutcomeAlreadyRecordedError, lambda: r.judge(program, "lg", {}, {}, None), r)


def test_the_team_keeps_its_outcome() -> None:
    program = opened()
    team = applied(program, "lg")
    events = when(
        lambda: team.record_round_outcome(
            on(5),
            program,
            round_number=1,
            stage=0,
            result="fail",
            scores={},
            gates={"independence": False},
            rank=None,
            panel=["Kim"],
            recusals=[],
        ),
        team,
    )
    assert facts(events) == [
        (
            "RoundOutcomeRecorded",
            {
                "round": 1,
                "stage": 0,
                "result": "fail",
                "scores": {},
                "gates": {"independence": False},
                "rank": None,
                "panel": ["Kim"],
                "recusals": [],
            },
        )
    ]


def test_an_outcome_for_a_team_in_another_stage_or_eliminated_is_refused() -> None:
    program = opened()
    ahead = seated(program, "lg", stage=1)
    out = eliminated(program, "kt")
    fields: dict[str, object] = {"result": "pass", "scores": {}, "gates": {}, "rank": 1, "panel": [], "recusals": []}
    refused(
        errors.WrongStageError,
        lambda: ahead.record_round_outcome(on(11), program, round_number=1, stage=0, **fields),  # type: ignore[arg-type]
        ahead,
    )
    refused(
        errors.TeamInactiveError,
        lambda: out.record_round_outcome(on(11), program, round_number=1, stage=0, **fields),  # type: ignore[arg-type]
        out,
    )


# --- the decision -----------------------------------------------------------------------------


def test_a_decision_carries_its_vote_and_is_taken_once() -> None:
    program = opened()
    r = with_panel(program)
    votes = {"Kim": "for", "Lee": "against"}
    events = when(lambda: r.decide(on(6), program, selected=["lg"], no_selection=False, votes=votes, counts=None), r)
    assert facts(events) == [
        (
            "EvaluationRoundDecided",
            {
                "round": 1,
                "selected": ["lg"],
                "no_selection": False,
                "votes": votes,
                "counts": {"for": 1, "against": 1, "abstain": 0},
            },
        )
    ]
    refused(
        errors.RoundAlreadyDecidedError,
        lambda: r.decide(on(7), program, selected=[], no_selection=True, votes={}, counts=None),
        r,
    )


def test_no_selection_is_a_decision() -> None:
    program = opened()
    r = a_round(program)
    events = when(
        lambda: r.decide(on(6), program, selected=[], no_selection=True, votes={}, counts={"for": 2, "against": 3}), r
    )
    assert facts(events)[0][1]["no_selection"] is True


def test_a_conflicted_member_may_not_vote_on_the_team() -> None:
    program = opened()
    r = with_panel(program)
    r.declare_conflict(on(4, reason="Adviser"), program, member="Lee", team="lg")
    refused(
        errors.ConflictOfInterestError,
        lambda: r.decide(on(6), program, selected=["lg"], no_selection=False, votes={"Lee": "for"}, counts=None),
        r,
    )


def test_a_malformed_decision_is_refused() -> None:
    program = opened()
    r = with_panel(program)
    malformed: list[tuple[list[str], bool, dict[str, str], dict[str, int] | None]] = [
        (["lg"], True, {}, None),  # selects and does not
        ([], False, {}, None),  # neither
        (["lg"], False, {"Kim": "maybe"}, None),
        (["lg"], False, {"Kim": "for"}, {"for": 1}),  # both forms of the vote
        (["lg"], False, {}, {"for": -1}),
    ]
    for selected, none, votes, counts in malformed:

        def decide(s: list[str] = selected, n: bool = none, v: dict[str, str] = votes, c: object = counts) -> None:
            r.decide(on(6), program, selected=s, no_selection=n, votes=v, counts=c)  # type: ignore[arg-type]

        refused(errors.InvalidValueError, decide, r)

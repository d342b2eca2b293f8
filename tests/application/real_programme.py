"""A programme run the way DESIGN.md §1a tells the real one ran, as dated steps through the application service.

Day 0 is 2 June 2025, 10:00 in Seoul. The programme is announced with its budget
plan before it has a stage or a call (day 0); its first stage follows with no
criteria yet (day 10), then a call from day 15 to day 45 (opened on day 12).
Fourteen consortia apply in time; the call is extended to day 50 on day 44, so a
fifteenth applies on day 48; an application on day 52 is refused. A written
screening (round 1, day 60) publishes a pass/fail list: ten pass, five are
eliminated. A presentation round (round 2, day 75) publishes one team's score
and a rank; five pass into the stage's five seats, provisionally until day 85,
a sixth passes as the reserve, four are eliminated; one panel member stood
aside from the reserve. One selection is reversed on day 80 (recorded that day)
and the reserve takes the seat on day 81; the other four are confirmed on day
86. The second stage, its four seats and the 40/35/25 weights with the
independence gate are announced on day 120 but recorded on day 125. The stage-1
evaluation (round 3, day 180) publishes one team's scores, one team's failed gate
without scores and a rank order: three advance, two are eliminated, one seat
stays empty. A member who declared a conflict with one team may neither judge it
nor vote on the round's decision (day 181).

The empty seat is refilled by an open call (re-entry round 1, from day 196 to day
220): three teams decline publicly without any offer (days 198–200), the
gate-failed team says it intends to apply (day 202), the deadline is extended to
day 230 on day 215, the gate-failed team applies with a new consortium (day 224)
and a new entrant applies (day 226); an application on day 232 is refused. A
panel judges both on the stage's criteria (round 4) and selects the new entrant
by majority (day 241); the other is not selected.

Resources are declared in their own units on day 0 ("512 B200 or 1,024 H100":
1 B200 = 2 H100; a KRW pot apart). The five funded teams receive 256 B200 each
for days 86–176. On day 245 the incumbents of the second stage receive 512 B200
+ 512 H100 and 10 billion KRW each for days 245–425, and the re-entrant 768 B200
(drawn on the H100 line) and the same KRW for the same period — or fewer B200
when ``run`` is told so.

Each step lets the test's clock say when it was recorded, as the API does, and
each refused step is checked to append nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.bootstrap import Services
from domain import errors
from domain.commands import (
    AddStage,
    AdvanceTeam,
    AmendStage,
    AnnounceProgram,
    ApplyToRound,
    ConfirmAdvancement,
    DecideRound,
    DeclareConflict,
    DeclareResourceKind,
    ExtendCall,
    ExtendReEntryRound,
    GrantFunding,
    IncreaseBudget,
    OpenCall,
    OpenEvaluationRound,
    OpenReEntryRound,
    PanelSeat,
    RecordRoundOutcomes,
    RecuseMember,
    RegisterPanel,
    ReverseAdvancement,
    StateOnRound,
    SubmitApplication,
    TeamOutcome,
)
from domain.registry import Context, Registry
from domain.values import Source
from tests.application.story import CRITERIA, TEAMS
from tests.conftest import Clock

PROGRAM = "sovereign-ai"
START = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
NOTICE = Source.make(document="MSIT-2025-0602", title="Sovereign AI programme notice")

APPLICANTS = [code for code, _, _ in TEAMS]  # fifteen; the last applies within the extension
WRITTEN_PASS = APPLICANTS[:10]
PRESENTED_IN = ["hanbit", "nuri", "saebyeok", "gaon", "haneul"]  # selected, provisionally
RESERVE = "bitnara"  # passed the presentations sixth
REVERSED = "haneul"  # its selection reversed on day 80; the reserve takes its seat
FUNDED = ["hanbit", "nuri", "saebyeok", "gaon", RESERVE]
ADVANCED = ["hanbit", "saebyeok", "gaon"]  # into the second stage after the stage-1 evaluation
GATE_FAILED = "nuri"
CONFLICTED = ("Lee", "gaon")  # a panel member of round 3 and the team they declared a conflict with
DECLINED = ["haneul", RESERVE, APPLICANTS[10]]  # an earlier applicant, two eliminated teams; no offer made
NEW_ENTRANT = "motif"  # applies to the re-entry round and is selected
NEW_CONSORTIUM = ("Nuri Holdings", ["KAIST", "Rebellions"])  # the gate-failed team applies again with it
END = 250  # the day the read models are brought up to date


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def ctx(
    clock: Clock,
    effective: float,
    *,
    recorded: float | None = None,
    reason: str = "notice",
    sources: tuple[Source, ...] = (NOTICE,),
) -> Context:
    """A decision taking effect on day ``effective``, recorded then (or on day ``recorded``)."""
    clock.now = day(effective if recorded is None else recorded)
    return Context(actor="official@msit.go.kr", effective_at=day(effective), reason=reason, sources=sources)


def stage(name: str, seats: int, criteria: list[dict[str, Any]], gates: list[str]) -> dict[str, Any]:
    return {"name": name, "seats": seats, "criteria": criteria, "gates": gates}


def refused(services: Services, error: type[Exception], decide: Callable[[], object]) -> None:
    """``decide`` is refused with ``error`` and the log does not grow."""
    head = services.projector.head()
    with pytest.raises(error):
        decide()
    assert services.projector.head() == head


def apply(registry: Registry, clock: Clock, team: str, at: float) -> None:
    command = SubmitApplication(
        program_code=PROGRAM, team_code=team, name_ko=team, name_en=team, lead_organisation=f"{team} Inc."
    )
    registry.submit_application(ctx(clock, at), command)


def the_call(services: Services, clock: Clock) -> None:
    """Days 0–52: the announcement, the first stage, the call, its extension and a late application refused."""
    registry = services.registry
    announcement = AnnounceProgram(
        program_code=PROGRAM,
        title_ko="독자 AI 파운데이션 모델",
        title_en="Sovereign AI Foundation Model",
        agency="과학기술정보통신부",
        budgets={"gpu:B200": 2560, "krw:data": 50_000_000_000},
        finalist_count=2,
    )
    registry.announce_program(ctx(clock, 0, reason="budget and GPU plan announced"), announcement)
    for kind in (
        DeclareResourceKind(program_code=PROGRAM, resource="gpu:B200", unit="GPU"),
        DeclareResourceKind(
            program_code=PROGRAM, resource="gpu:H100", unit="GPU", quantity=2, equals="gpu:B200", equals_quantity=1
        ),
        DeclareResourceKind(program_code=PROGRAM, resource="krw:data", unit="KRW"),
    ):
        registry.declare_resource_kind(ctx(clock, 0, reason="512 B200 or 1,024 H100 per team"), kind)
    registry.add_stage(ctx(clock, 10), AddStage(program_code=PROGRAM, stage=stage("1차", 5, [], [])))
    registry.open_call(ctx(clock, 12), OpenCall(program_code=PROGRAM, stage=0, opens_at=day(15), closes_at=day(45)))
    for i, team in enumerate(APPLICANTS[:-1]):
        apply(registry, clock, team, 16 + 2 * i)  # days 16 to 42
    extension = ExtendCall(program_code=PROGRAM, stage=0, closes_at=day(50))
    registry.extend_call(ctx(clock, 44, reason="deadline extended after the briefing"), extension)
    apply(registry, clock, APPLICANTS[-1], 48)
    refused(services, errors.CallClosedError, lambda: apply(registry, clock, "nabi", 52))


def open_round(
    registry: Registry,
    clock: Clock,
    at: float,
    title: str,
    criteria: list[dict[str, Any]],
    *,
    reentry: int | None = None,
) -> int:
    gates = ["independence"] if criteria == CRITERIA else []
    command = OpenEvaluationRound(
        program_code=PROGRAM,
        stage=0 if reentry is None else 1,
        title=title,
        criteria=criteria,
        gates=gates,
        reentry_round=reentry,
    )
    return registry.open_evaluation_round(ctx(clock, at), command).result


def outcomes(registry: Registry, clock: Clock, at: float, number: int, given: list[TeamOutcome]) -> None:
    command = RecordRoundOutcomes(program_code=PROGRAM, round_number=number, outcomes=given)
    registry.record_round_outcomes(ctx(clock, at, reason="results notice"), command)


def screening(services: Services, clock: Clock) -> None:
    """Days 55–86: the written screening and the presentations, provisional selections, one reversed."""
    registry = services.registry
    written = open_round(registry, clock, 55, "Written screening", [{"code": "written", "max_points": 100}])
    listed = [TeamOutcome(team_code=t, result="pass") for t in WRITTEN_PASS]
    cut = [
        TeamOutcome(team_code=t, result="fail", eliminate="screening", objection_deadline=day(70))
        for t in APPLICANTS[10:]
    ]
    outcomes(registry, clock, 60, written, listed + cut)
    # The screening was the first stage's first evaluation: its rules are fixed from then on.
    later = AmendStage(program_code=PROGRAM, index=0, stage=stage("1차", 6, [], []))
    refused(services, errors.StageInUseError, lambda: registry.amend_stage(ctx(clock, 61), later))

    presentation = open_round(registry, clock, 62, "Presentations", [{"code": "presentation", "max_points": 100}])
    panel = [PanelSeat(member="Kim", role="chair"), PanelSeat(member="Park", role="member")]
    registry.register_panel(
        ctx(clock, 62), RegisterPanel(program_code=PROGRAM, round_number=presentation, members=panel)
    )
    recusal = RecuseMember(program_code=PROGRAM, round_number=presentation, member="Park", team_code=RESERVE)
    registry.recuse_member(ctx(clock, 70, reason="co-author with Bitnara's lead researcher"), recusal)
    held = day(85)
    selected = [
        TeamOutcome(team_code=t, result="pass", advance_to=0, objection_deadline=held)
        for t in PRESENTED_IN
        if t != "hanbit"
    ]
    top = TeamOutcome(
        team_code="hanbit",
        result="pass",
        scores={"presentation": Decimal(91)},
        rank=1,
        advance_to=0,
        objection_deadline=held,
    )
    reserve = TeamOutcome(team_code=RESERVE, result="pass", rank=6)
    out = [
        TeamOutcome(team_code=t, result="fail", eliminate="screening", objection_deadline=held)
        for t in WRITTEN_PASS
        if t not in [*PRESENTED_IN, RESERVE]
    ]
    outcomes(registry, clock, 75, presentation, [top, *selected, reserve, *out])
    reversal = ReverseAdvancement(program_code=PROGRAM, team_code=REVERSED)
    registry.reverse_advancement(ctx(clock, 80, reason="consortium agreement not signed"), reversal)
    registry.advance_team(ctx(clock, 81), AdvanceTeam(program_code=PROGRAM, team_code=RESERVE, to_stage=0))
    for team in PRESENTED_IN:
        if team != REVERSED:
            confirmed = ConfirmAdvancement(program_code=PROGRAM, team_code=team)
            registry.confirm_advancement(ctx(clock, 86, reason="agreement signed"), confirmed)


def stage_one_evaluation(services: Services, clock: Clock) -> None:
    """Days 120–191: the second stage announced late, the stage-1 evaluation with a conflicted panel member."""
    registry = services.registry
    second = AddStage(program_code=PROGRAM, stage=stage("2차", 4, CRITERIA, ["independence"]))
    registry.add_stage(ctx(clock, 120, recorded=125, reason="stage 2 and the weights announced"), second)
    number = open_round(registry, clock, 170, "Stage 1 evaluation", CRITERIA)
    names = [("Kim", "chair"), ("Lee", "member"), ("Park", "member"), ("Choi", "member")]
    panel = RegisterPanel(
        program_code=PROGRAM, round_number=number, members=[PanelSeat(member=m, role=r) for m, r in names]
    )
    registry.register_panel(ctx(clock, 170), panel)
    member, team = CONFLICTED
    conflict = DeclareConflict(program_code=PROGRAM, round_number=number, member=member, team_code=team)
    registry.declare_conflict(ctx(clock, 172, reason="adviser to Gaon's lead company"), conflict)

    deadline = day(190)
    scored = TeamOutcome(
        team_code="hanbit",
        result="pass",
        scores={"bench": Decimal(36), "expert": Decimal(31), "user": Decimal(21)},
        gates={"independence": True},
        rank=1,
        advance_to=1,
    )
    ranked = [TeamOutcome(team_code=t, result="pass", rank=r, advance_to=1) for t, r in (("saebyeok", 2), ("gaon", 3))]
    gate = TeamOutcome(
        team_code=GATE_FAILED,
        result="fail",
        gates={"independence": False},
        eliminate="failed_gate",
        objection_deadline=deadline,
    )
    lowest = TeamOutcome(
        team_code=RESERVE, result="fail", rank=4, eliminate="below_cutoff", objection_deadline=deadline
    )
    judged_by_conflicted = [
        *ranked[:1],
        TeamOutcome(team_code=team, result="pass", panel=["Kim", member], advance_to=1),
    ]
    refused(
        services, errors.ConflictOfInterestError, lambda: outcomes(registry, clock, 180, number, judged_by_conflicted)
    )
    outcomes(registry, clock, 180, number, [scored, *ranked, gate, lowest])

    def decide(votes: dict[str, str]) -> None:
        decision = DecideRound(program_code=PROGRAM, round_number=number, selected=ADVANCED, votes=votes)
        registry.decide_round(ctx(clock, 181, reason="panel majority"), decision)

    refused(services, errors.ConflictOfInterestError, lambda: decide({"Kim": "for", member: "for"}))
    decide({"Kim": "for", "Park": "for", "Choi": "against"})
    amended = AmendStage(program_code=PROGRAM, index=1, stage=stage("2차", 5, CRITERIA, ["independence"]))
    refused(services, errors.StageInUseError, lambda: registry.amend_stage(ctx(clock, 191), amended))


def the_reentry_call(services: Services, clock: Clock) -> None:
    """Days 195–241: the open call for the empty seat, statements without an offer, two applications, the vote."""
    registry = services.registry
    opening = OpenReEntryRound(
        program_code=PROGRAM,
        stage=1,
        seats=1,
        eligibility=["eliminated", "applicants", "new_entrants"],
        opens_at=day(196),
        closes_at=day(220),
    )
    number = registry.open_reentry_round(ctx(clock, 195, reason="open call for the empty seat"), opening).result
    press = Source.make(url="https://news.example/reentry-declines", title="Three teams will not reapply")
    forms = ("public_statement", "formal_letter", "press_report")
    for team, at, form in zip(DECLINED, (198, 199, 200), forms, strict=True):
        said = StateOnRound(program_code=PROGRAM, team_code=team, round_number=number, kind="declined", form=form)
        registry.state_on_round(ctx(clock, at, reason="we will not apply", sources=(press,)), said)
    intent = StateOnRound(
        program_code=PROGRAM, team_code=GATE_FAILED, round_number=number, kind="intends_to_apply", form="press_report"
    )
    registry.state_on_round(ctx(clock, 202, reason="we intend to apply with new partners"), intent)
    extension = ExtendReEntryRound(program_code=PROGRAM, round_number=number, closes_at=day(230))
    registry.extend_reentry_round(ctx(clock, 215, reason="deadline extended at applicants' request"), extension)

    lead, members = NEW_CONSORTIUM
    again = ApplyToRound(
        program_code=PROGRAM, team_code=GATE_FAILED, round_number=number, lead_organisation=lead, members=members
    )
    registry.apply_to_round(ctx(clock, 224, reason="re-entry application"), again)  # after the first deadline
    entrant = ApplyToRound(
        program_code=PROGRAM,
        team_code=NEW_ENTRANT,
        round_number=number,
        name_ko="모티프",
        name_en="Motif",
        lead_organisation="Motif Technologies",
    )
    registry.apply_to_round(ctx(clock, 226, reason="re-entry application"), entrant)
    late = ApplyToRound(program_code=PROGRAM, team_code=RESERVE, round_number=number)
    refused(services, errors.RoundClosedError, lambda: registry.apply_to_round(ctx(clock, 232), late))

    judged = open_round(registry, clock, 233, "Re-entry evaluation", CRITERIA, reentry=number)
    names = [("Kim", "chair"), ("Park", "member"), ("Choi", "member")]
    panel = RegisterPanel(
        program_code=PROGRAM, round_number=judged, members=[PanelSeat(member=m, role=r) for m, r in names]
    )
    registry.register_panel(ctx(clock, 233), panel)
    given = [
        TeamOutcome(team_code=NEW_ENTRANT, result="pass", rank=1),
        TeamOutcome(team_code=GATE_FAILED, result="fail", rank=2),
    ]
    outcomes(registry, clock, 240, judged, given)
    decision = DecideRound(
        program_code=PROGRAM,
        round_number=judged,
        selected=[NEW_ENTRANT],
        votes={"Kim": "for", "Park": "for", "Choi": "against"},
    )
    registry.decide_round(ctx(clock, 241, reason="panel majority"), decision)


def grant(
    registry: Registry, clock: Clock, team: str, resource: str, quantity: int, days: tuple[int, int], line: str = ""
) -> None:
    start, end = days
    command = GrantFunding(
        program_code=PROGRAM,
        team_code=team,
        resource=resource,
        quantity=quantity,
        period_start=day(start).date(),
        period_end=day(end).date(),
        budget_line=line,
    )
    registry.grant_funding(ctx(clock, start, reason="stage funding"), command)


def the_funding(services: Services, clock: Clock, reentrant_gpus: int) -> None:
    """Days 86 and 245: the first stage's GPUs; the second stage's, the re-entrant's in an equivalent kind."""
    registry = services.registry
    for team in FUNDED:
        grant(registry, clock, team, "gpu:B200", 256, (86, 176))
    for resource, amount in (("gpu:B200", 256), ("gpu:H100", 3072)):
        more = IncreaseBudget(program_code=PROGRAM, resource=resource, amount=amount)
        registry.increase_budget(ctx(clock, 245, reason="stage-2 GPUs"), more)
    for team in ADVANCED:
        grant(registry, clock, team, "gpu:B200", 512, (245, 425))
        grant(registry, clock, team, "gpu:H100", 512, (245, 425))
        grant(registry, clock, team, "krw:data", 10_000_000_000, (245, 425))
    grant(registry, clock, NEW_ENTRANT, "gpu:B200", reentrant_gpus, (245, 425), line="gpu:H100")
    grant(registry, clock, NEW_ENTRANT, "krw:data", 10_000_000_000, (245, 425))


def run(services: Services, clock: Clock, *, reentrant_gpus: int = 768) -> None:
    """The whole story, then the read models brought up to date on day ``END``."""
    the_call(services, clock)
    screening(services, clock)
    stage_one_evaluation(services, clock)
    the_reentry_call(services, clock)
    the_funding(services, clock, reentrant_gpus)
    clock.now = day(END)
    services.projector.catch_up()

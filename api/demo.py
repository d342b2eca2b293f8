"""The demo programme: a sovereign AI foundation-model programme, told as decisions.

It is announced with its budget plan before its call, and its resources are
declared in their own units (1 B200 = 2 H100; a KRW data budget; a title). The
call for stage 1 has a window, extended once after the briefing, and fifteen
consortia apply in it; one that supplies GPUs is excluded from GPU support. A
written screening round publishes only a pass/fail list (ten pass); a
presentation round, judged by a panel one of whose members stood aside from a
team, publishes one team's score and selects five, provisionally until their
agreements are signed. Stage 2's seats and criteria, left open at the
announcement, are set by an amendment before it is used. A stage-1 evaluation
(benchmark 40, expert 35, user 25, and an independence gate) eliminates two —
one in the top four that failed the gate, and the lowest — so only three
advance and one stage-2 seat stays empty. After the objection window a
re-entry round opens for the seat as an open call: two eligible teams decline
publicly without any offer, a third is invited directly (an offer, the other
way in) and declines, the team that failed the gate says it intends to apply;
the deadline is extended once; that team applies with a new consortium and a
new entrant applies; a panel judges both on the stage's criteria and chooses
the new entrant by majority. The budget grows so the incumbents are funded for
stage 2 and the re-entrant like them in equivalent units (768 B200 = 512 B200 +
512 H100), and two finalists are chosen at the end. The teams and the notices
cited are fictional.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from api import demo_funding as funding
from api import demo_reentry as reentry
from api.demo_teams import CRITERIA, FUNDED, PROGRAM, RE_ENTRANT, STAGE1_SCORES, TEAMS, at, ctx
from domain.commands import (
    AdvanceTeam,
    AmendStage,
    AnnounceProgram,
    ConfirmAdvancement,
    DecideRound,
    EliminateTeam,
    ExtendCall,
    OpenCall,
    OpenEvaluationRound,
    PanelSeat,
    RecordEvaluation,
    RecordRoundOutcomes,
    RecuseMember,
    RegisterPanel,
    ReturnFunding,
    SelectFinalists,
    SubmitApplication,
    TeamOutcome,
    UpholdElimination,
)
from domain.registry import Registry

__all__ = ["PROGRAM", "RE_ENTRANT", "load", "steps"]

Step = tuple[str, Callable[[Registry], object]]


def steps() -> list[Step]:
    """The story as named steps, in order; tests can stop between any two."""
    return [
        ("announce the programme", _announce),
        ("open the call for applications", _open_call),
        ("fifteen consortia apply, the call extended once", _apply),
        ("the written screening publishes a pass/fail list", _written_screening),
        ("the presentations choose five, provisionally", _presentations),
        ("the five selections are confirmed", _confirm),
        ("the five funded teams receive resources", funding.fund),
        ("stage 2's seats and criteria are set", _amend_stage2),
        ("stage-1 evaluation", _evaluate_stage1),
        ("three advance, two are eliminated", _advance_and_eliminate),
        ("objections rejected, eliminations upheld", _uphold),
        ("a re-entry round opens as a call for the empty seat", reentry.open_round),
        ("three eligible teams decline, one intends to apply", reentry.declines),
        ("the deadline is extended and two teams apply", reentry.applications),
        ("a panel chooses the re-entrant", reentry.choose),
        ("the incumbents are funded for stage 2", funding.fund_stage2),
        ("the re-entrant is funded like the incumbents", funding.fund_reentrant),
        ("stage-2 evaluation and finalists", _finalists),
    ]


def load(registry: Registry, *, until: str | None = None) -> int:
    """Record the demo up to (not including) the step named ``until``; returns the steps run."""
    done = 0
    for name, step in steps():
        if name == until:
            break
        step(registry)
        done += 1
    return done


def _stage(name: str, seats: int, criteria: list[dict[str, object]]) -> dict[str, object]:
    return {"name": name, "seats": seats, "criteria": criteria, "gates": ["independence"] if criteria else []}


def _announce(r: Registry) -> None:
    r.announce_program(
        ctx("2025-07-21", "Programme announced: budget and GPU plan", notice="MSIT-AI-2025-01"),
        AnnounceProgram(
            program_code=PROGRAM,
            title_ko="독자 AI 파운데이션 모델 프로젝트",
            title_en="Sovereign AI Foundation Model Project",
            agency="Ministry of Science and ICT (과학기술정보통신부)",
            stages=[_stage("1차 단계 (Stage 1)", 5, CRITERIA), _stage("2차 단계 (Stage 2)", 2, [])],
            budgets={"gpu:B200": 1536, "gpu:H100": 3072, "krw:data": 60_000_000_000, "title:K-AI": 5},
            finalist_count=2,
        ),
    )
    funding.declare_kinds(r)


def _open_call(r: Registry) -> None:
    r.open_call(
        ctx("2025-07-21", "Call for applications; briefing on 25 July", notice="MSIT-AI-2025-02"),
        OpenCall(program_code=PROGRAM, stage=0, opens_at=at("2025-07-22", 9), closes_at=at("2025-07-28", 18)),
    )


def _apply(r: Registry) -> None:
    for i, (code, ko, en, lead, members) in enumerate(TEAMS):
        day = f"2025-07-{22 + i // 2:02d}"  # the last applies on 29 July, inside the extension
        if day == "2025-07-29" and i % 2 == 0:
            r.extend_call(
                ctx("2025-07-28", "Deadline extended after the briefing", notice="MSIT-AI-2025-03"),
                ExtendCall(program_code=PROGRAM, stage=0, closes_at=at("2025-08-01", 18)),
            )
        r.submit_application(
            ctx(day, "Application received"),
            SubmitApplication(
                program_code=PROGRAM,
                team_code=code,
                name_ko=ko,
                name_en=en,
                lead_organisation=lead,
                members=members,
            ),
        )


def _outcomes(r: Registry, number: int, day: str, outcomes: list[TeamOutcome], notice: str) -> None:
    r.record_round_outcomes(
        ctx(day, "Results notice", notice=notice),
        RecordRoundOutcomes(program_code=PROGRAM, round_number=number, outcomes=outcomes),
    )


def _written_screening(r: Registry) -> None:
    number = r.open_evaluation_round(
        ctx("2025-07-30", "Written screening"),
        OpenEvaluationRound(
            program_code=PROGRAM, stage=0, title="Written screening", criteria=[{"code": "written", "max_points": 100}]
        ),
    ).result
    deadline = at("2025-08-10", 18)
    cut = {t[0] for t in TEAMS[5:10]}  # the list names who passed; no score was published
    _outcomes(
        r,
        number,
        "2025-07-31",
        [
            TeamOutcome(team_code=code, result="fail", eliminate="screening", objection_deadline=deadline)
            if code in cut
            else TeamOutcome(team_code=code, result="pass")
            for code, *_ in TEAMS
        ],
        "MSIT-AI-2025-04",
    )


def _presentations(r: Registry) -> None:
    number = r.open_evaluation_round(
        ctx("2025-08-01", "Presentation round"),
        OpenEvaluationRound(
            program_code=PROGRAM, stage=0, title="Presentations", criteria=[{"code": "presentation", "max_points": 100}]
        ),
    ).result
    panel = [("Panel chair", "chair"), ("Prof. Lim", "member"), ("Dr. Seo", "member")]
    r.register_panel(
        ctx("2025-08-01", "Presentation panel"),
        RegisterPanel(
            program_code=PROGRAM, round_number=number, members=[PanelSeat(member=m, role=x) for m, x in panel]
        ),
    )
    r.recuse_member(
        ctx("2025-08-01", "Former adviser to Garam Telecom"),
        RecuseMember(program_code=PROGRAM, round_number=number, member="Dr. Seo", team_code="GARAM"),
    )
    held = at("2025-08-14", 18)  # selected teams are preferred until their agreements are signed
    top = TeamOutcome(
        team_code="HANBIT",
        result="pass",
        scores={"presentation": Decimal(92)},  # the one score published
        rank=1,
        advance_to=0,
        objection_deadline=held,
    )
    outcomes = [
        top,
        *(TeamOutcome(team_code=t, result="pass", advance_to=0, objection_deadline=held) for t in FUNDED[1:]),
        *(
            TeamOutcome(team_code=t[0], result="fail", eliminate="screening", objection_deadline=held)
            for t in TEAMS[10:]
        ),
    ]
    _outcomes(r, number, "2025-08-04", outcomes, "MSIT-AI-2025-05")
    r.decide_round(
        ctx("2025-08-04", "Five preferred teams, subject to agreements"),
        DecideRound(
            program_code=PROGRAM, round_number=number, selected=FUNDED, votes={"Panel chair": "for", "Prof. Lim": "for"}
        ),
    )


def _confirm(r: Registry) -> None:
    for team in FUNDED:
        r.confirm_advancement(
            ctx("2025-08-11", "Agreement signed"), ConfirmAdvancement(program_code=PROGRAM, team_code=team)
        )


def _amend_stage2(r: Registry) -> None:
    r.amend_stage(
        ctx("2025-12-01", "Stage 2: four seats, the stage-1 criteria and gate", notice="MSIT-AI-2025-09"),
        AmendStage(program_code=PROGRAM, index=1, stage=_stage("2차 단계 (Stage 2)", 4, CRITERIA)),
    )


def _evaluate_stage1(r: Registry) -> None:
    for team, (bench, expert, user, independent) in STAGE1_SCORES.items():
        r.record_evaluation(
            ctx("2026-01-15", "Stage-1 evaluation panel"),
            RecordEvaluation(
                program_code=PROGRAM,
                team_code=team,
                stage=0,
                scores={"benchmark": Decimal(bench), "expert": Decimal(expert), "user": Decimal(user)},
                gates={"independence": independent},
                panel=["Panel chair", "Benchmark lead", "User study lead"],
            ),
        )


def _advance_and_eliminate(r: Registry) -> None:
    for team in ("HANBIT", "SEOGANG", "MIRAE"):
        r.advance_team(
            ctx("2026-01-15", "Passed stage 1"), AdvanceTeam(program_code=PROGRAM, team_code=team, to_stage=1)
        )
    deadline = at("2026-01-25", 18)
    r.eliminate_team(
        ctx("2026-01-15", "Model found to be a fine-tuned foreign model"),
        EliminateTeam(program_code=PROGRAM, team_code="NURI", reason_code="failed_gate", objection_deadline=deadline),
    )
    r.eliminate_team(
        ctx("2026-01-15", "Lowest total score"),
        EliminateTeam(program_code=PROGRAM, team_code="BADA", reason_code="below_cutoff", objection_deadline=deadline),
    )
    r.return_funding(
        ctx("2026-01-16", "GPUs returned on elimination"),
        ReturnFunding(program_code=PROGRAM, team_code="NURI", resource="gpu:H100", quantity=1024),
    )


def _uphold(r: Registry) -> None:
    for team in ("NURI", "BADA"):
        r.uphold_elimination(
            ctx("2026-01-23", "Objection rejected by the review committee"),
            UpholdElimination(program_code=PROGRAM, team_code=team),
        )


def _finalists(r: Registry) -> None:
    for team, (bench, expert, user) in {
        "HANBIT": (37, 32, 22),
        "SEOGANG": (35, 31, 23),
        "MIRAE": (30, 27, 20),
        RE_ENTRANT: (32, 29, 21),
    }.items():
        r.record_evaluation(
            ctx("2026-08-14", "Stage-2 evaluation panel"),
            RecordEvaluation(
                program_code=PROGRAM,
                team_code=team,
                stage=1,
                scores={"benchmark": Decimal(bench), "expert": Decimal(expert), "user": Decimal(user)},
                gates={"independence": True},
                panel=["Panel chair", "Benchmark lead", "User study lead"],
            ),
        )
    r.select_finalists(
        ctx("2026-08-20", "The two most competitive teams"),
        SelectFinalists(program_code=PROGRAM, teams=["HANBIT", "SEOGANG"]),
    )

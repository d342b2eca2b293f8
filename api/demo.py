"""The demo programme: a sovereign AI foundation-model programme, told as decisions.

Its resources are declared in their own units (1 B200 = 2 H100; a KRW data
budget; a title). Fifteen consortia apply; one that supplies GPUs is excluded
from GPU support; screening and presentations leave five funded teams;
a stage-1 evaluation (benchmark 40, expert 35, user 25, and an independence
gate) eliminates two — one in the top four that failed the gate, and the
lowest — so only three advance and one stage-2 seat stays empty. After the
objection window a re-entry round opens for the seat: three eligible teams
decline, a new entrant is selected and accepts, the budget grows so the
incumbents are funded for stage 2 and the re-entrant like them in equivalent
units (768 B200 = 512 B200 + 512 H100), and two finalists are chosen at the end.
The teams are fictional.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from domain.commands import (
    AcceptOffer,
    AdvanceTeam,
    DeclareResourceKind,
    DeclineOffer,
    EliminateTeam,
    GrantFunding,
    ImposeExclusion,
    IncreaseBudget,
    OfferReEntry,
    OpenProgram,
    OpenReEntryRound,
    RecordEvaluation,
    ReturnFunding,
    SelectFinalists,
    SubmitApplication,
    UpholdElimination,
)
from domain.registry import Context, Registry

PROGRAM = "SOVEREIGN-AI-2025"
KST = timezone(timedelta(hours=9))
CRITERIA = [
    {"code": "benchmark", "name": "Benchmark", "max_points": 40},
    {"code": "expert", "name": "Expert review", "max_points": 35},
    {"code": "user", "name": "User evaluation", "max_points": 25},
]
TEAMS = [  # code, Korean name, English name, lead organisation, members
    ("HANBIT", "한빛 AI 컨소시엄", "Hanbit AI Consortium", "Hanbit AI", ["KAIST", "Seoul National University"]),
    ("SEOGANG", "서강 파운데이션 모델팀", "Seogang Foundation Model Team", "Seogang Tech", ["POSTECH"]),
    ("MIRAE", "미래언어 연합", "Mirae Language Alliance", "Mirae Labs", ["Yonsei University", "Chipwave"]),
    ("NURI", "누리 지능", "Nuri Intelligence", "Nuri Systems", ["Korea University"]),
    ("BADA", "바다 모델 컨소시엄", "Bada Model Consortium", "Bada Semiconductor", ["UNIST", "Bada Cloud"]),
    ("GAON", "가온 AI", "Gaon AI", "Gaon Soft", ["Hanyang University"]),
    ("SORI", "소리 연구소", "Sori Research", "Sori Inc.", []),
    ("DAON", "다온 데이터", "Daon Data", "Daon", ["Sungkyunkwan University"]),
    ("HANEUL", "하늘 언어모델", "Haneul LM", "Haneul Networks", []),
    ("BITNARA", "빛나라 AI", "Bitnara AI", "Bitnara", ["GIST"]),
    ("GARAM", "가람 컨소시엄", "Garam Consortium", "Garam Telecom", ["Inha University"]),
    ("SAEBOM", "새봄 지능", "Saebom Intelligence", "Saebom", []),
    ("JIHYE", "지혜 모델", "Jihye Model", "Jihye AI", ["Ajou University"]),
    ("NARAE", "나래 AI", "Narae AI", "Narae", []),
    ("TAEYANG", "태양 파운데이션", "Taeyang Foundation", "Taeyang Holdings", ["DGIST"]),
]
FUNDED = ["HANBIT", "SEOGANG", "MIRAE", "NURI", "BADA"]
GPU_GRANTS = {
    "HANBIT": ("gpu:B200", 512),
    "SEOGANG": ("gpu:H100", 1024),
    "MIRAE": ("gpu:B200", 512),
    "NURI": ("gpu:H100", 1024),
}  # BADA's consortium includes a GPU supplier: excluded from GPUs after it applied
KINDS = [  # resource, unit, quantity, equals, equals_quantity: "512 B200 or 1,024 H100"
    ("gpu:B200", "GPU", 1, "", 0),
    ("gpu:H100", "GPU", 2, "gpu:B200", 1),
    ("krw:data", "KRW", 1, "", 0),
    ("title:K-AI", "title", 1, "", 0),
]
STAGE1_SCORES = {  # benchmark, expert, user, independence
    "HANBIT": (36, 31, 21, True),
    "SEOGANG": (33, 30, 22, True),
    "MIRAE": (31, 28, 20, True),
    "NURI": (34, 29, 19, False),
    "BADA": (24, 22, 15, True),
}
RE_ENTRANT = "HWARANG"

Step = tuple[str, Callable[[Registry], object]]


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=KST)


def ctx(day: str, reason: str, actor: str = "official:msit-ai-policy") -> Context:
    return Context(actor=actor, effective_at=at(day), reason=reason, correlation_id=f"demo-{day}")


def steps() -> list[Step]:
    """The story as named steps, in order; tests can stop between any two."""
    return [
        ("open the programme", _open),
        ("fifteen consortia apply", _apply),
        ("screening and presentations leave five", _screen),
        ("the five funded teams receive resources", _fund),
        ("stage-1 evaluation", _evaluate_stage1),
        ("three advance, two are eliminated", _advance_and_eliminate),
        ("objections rejected, eliminations upheld", _uphold),
        ("a re-entry round opens for the empty seat", _open_round),
        ("three eligible teams decline", _declines),
        ("the re-entrant accepts", _accept),
        ("the incumbents are funded for stage 2", _fund_stage2),
        ("the re-entrant is funded like the incumbents", _fund_reentrant),
        ("stage-2 evaluation and finalists", _finalists),
    ]


def load(registry: Registry, *, until: str | None = None, without: tuple[str, ...] = ()) -> int:
    """Record the demo up to (not including) the step named ``until``, leaving out steps ``without``; returns steps
    run."""
    done = 0
    for name, step in steps():
        if name == until:
            break
        if name in without:
            continue
        step(registry)
        done += 1
    return done


def _open(r: Registry) -> None:
    r.open_program(
        ctx("2025-07-21", "Programme announced"),
        OpenProgram(
            program_code=PROGRAM,
            title_ko="독자 AI 파운데이션 모델 프로젝트",
            title_en="Sovereign AI Foundation Model Project",
            agency="Ministry of Science and ICT (과학기술정보통신부)",
            stages=[
                {"name": "1차 단계 (Stage 1)", "seats": 5, "criteria": CRITERIA, "gates": ["independence"]},
                {"name": "2차 단계 (Stage 2)", "seats": 4, "criteria": CRITERIA, "gates": ["independence"]},
            ],
            budgets={"gpu:B200": 1536, "gpu:H100": 3072, "krw:data": 60_000_000_000, "title:K-AI": 5},
            finalist_count=2,
        ),
    )
    for resource, unit, quantity, equals, equals_quantity in KINDS:
        r.declare_resource_kind(
            ctx("2025-07-21", f"Resource kinds of the call: {resource} in {unit}"),
            DeclareResourceKind(
                program_code=PROGRAM,
                resource=resource,
                unit=unit,
                quantity=quantity,
                equals=equals,
                equals_quantity=equals_quantity,
            ),
        )


def _apply(r: Registry) -> None:
    for i, (code, ko, en, lead, members) in enumerate(TEAMS):
        r.submit_application(
            ctx(f"2025-07-{22 + i // 2:02d}", "Application received"),
            SubmitApplication(
                program_code=PROGRAM,
                team_code=code,
                name_ko=ko,
                name_en=en,
                lead_organisation=lead,
                members=members,
            ),
        )


def _screen(r: Registry) -> None:
    screened_out = [t[0] for t in TEAMS if t[0] not in FUNDED]
    for i, team in enumerate(screened_out):
        day, why = ("2025-07-31", "Written screening") if i < 5 else ("2025-08-04", "Presentation round")
        r.eliminate_team(
            ctx(day, f"{why}: not selected"),
            EliminateTeam(
                program_code=PROGRAM,
                team_code=team,
                reason_code="screening",
                objection_deadline=at(day) + timedelta(days=10),
            ),
        )
    for team in FUNDED:
        r.advance_team(
            ctx("2025-08-04", "Selected after presentations"),
            AdvanceTeam(program_code=PROGRAM, team_code=team, to_stage=0),
        )


def _grant(r: Registry, day: str, team: str, resource: str, quantity: int, months: int = 6, line: str = "") -> None:
    start = date.fromisoformat(day)
    r.grant_funding(
        ctx(day, f"Stage funding: {resource}"),
        GrantFunding(
            program_code=PROGRAM,
            team_code=team,
            resource=resource,
            quantity=quantity,
            period_start=start,
            period_end=start + timedelta(days=30 * months),
            budget_line=line,
        ),
    )


def _fund(r: Registry) -> None:
    r.impose_exclusion(
        ctx("2025-08-08", "Supplies GPUs to the state: no GPU support while its lease runs"),
        ImposeExclusion(
            program_code=PROGRAM,
            team_code="BADA",
            resource="gpu",
            starts_on=date(2025, 8, 8),
            ends_on=date(2026, 7, 31),
        ),
    )
    for team in FUNDED:
        if team in GPU_GRANTS:
            _grant(r, "2025-08-11", team, *GPU_GRANTS[team])
        _grant(r, "2025-08-11", team, "krw:data", 10_000_000_000, months=12)
        _grant(r, "2025-08-11", team, "title:K-AI", 1, months=12)


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


def _open_round(r: Registry) -> None:
    r.open_reentry_round(
        ctx("2026-02-02", "Refill the empty stage-2 seat"),
        OpenReEntryRound(
            program_code=PROGRAM,
            stage=1,
            seats=1,
            eligibility=["eliminated", "applicants", "new_entrants"],
            opens_at=at("2026-02-02", 9),
            closes_at=at("2026-02-27", 18),
        ),
    )
    r.submit_application(
        ctx("2026-02-05", "New entrant application"),
        SubmitApplication(
            program_code=PROGRAM,
            team_code=RE_ENTRANT,
            name_ko="화랑 AI 연합",
            name_en="Hwarang AI Alliance",
            lead_organisation="Hwarang Labs",
            members=["Pusan National University", "Kyungpook National University"],
            stage=1,
        ),
    )


def _declines(r: Registry) -> None:
    for team, day in (("GAON", "2026-02-06"), ("SORI", "2026-02-07"), ("DAON", "2026-02-07")):
        r.offer_reentry(
            ctx(day, "Invited to the re-entry round"),
            OfferReEntry(program_code=PROGRAM, team_code=team, round_number=1, deadline=at("2026-02-20", 18)),
        )
    for team, day in (("GAON", "2026-02-09"), ("SORI", "2026-02-10"), ("DAON", "2026-02-11")):
        r.decline_offer(
            ctx(day, "We will continue with our own roadmap", actor=f"team:{team}"),
            DeclineOffer(program_code=PROGRAM, team_code=team, offer=1),
        )


def _accept(r: Registry) -> None:
    r.offer_reentry(
        ctx("2026-02-16", "Selected by panel majority"),
        OfferReEntry(program_code=PROGRAM, team_code=RE_ENTRANT, round_number=1, deadline=at("2026-02-20", 18)),
    )
    r.accept_offer(
        ctx("2026-02-18", "We accept and will join stage 2", actor=f"team:{RE_ENTRANT}"),
        AcceptOffer(program_code=PROGRAM, team_code=RE_ENTRANT, offer=1),
    )


def _fund_stage2(r: Registry) -> None:
    for resource in ("gpu:B200", "gpu:H100"):
        r.increase_budget(
            ctx("2026-02-19", "Stage-2 GPUs, without cutting any team's"),
            IncreaseBudget(program_code=PROGRAM, resource=resource, amount=1024),
        )
    for team in ("HANBIT", "SEOGANG", "MIRAE"):
        _grant(r, "2026-02-19", team, "gpu:B200", 512)
        _grant(r, "2026-02-19", team, "gpu:H100", 512)


def _fund_reentrant(r: Registry) -> None:
    r.increase_budget(
        ctx("2026-02-19", "A title for the re-entrant, without cutting incumbents"),
        IncreaseBudget(program_code=PROGRAM, resource="title:K-AI", amount=1),
    )
    # "768 B200, equivalent to 512 B200 + 512 H100", drawn on the H100 line (1,536 H100)
    _grant(r, "2026-02-19", RE_ENTRANT, "gpu:B200", 768, line="gpu:H100")
    _grant(r, "2026-02-19", RE_ENTRANT, "krw:data", 10_000_000_000)
    _grant(r, "2026-02-19", RE_ENTRANT, "title:K-AI", 1, months=12)


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

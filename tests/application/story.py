"""The design brief's programme, as data and as short steps through the application service.

Every step goes through ``Registry`` with a ``Context`` and lets the test's clock
decide when it was recorded, exactly as the API does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.commands import (
    AcceptOffer,
    AdvanceTeam,
    DeclineOffer,
    EliminateTeam,
    GrantFunding,
    OfferReEntry,
    OpenProgram,
    OpenReEntryRound,
    RecordEvaluation,
    ReturnFunding,
    SubmitApplication,
)
from domain.registry import Context, Recorded, Registry
from tests.conftest import Clock

PROGRAM = "sovereign-ai"
CRITERIA = [
    {"code": "bench", "name": "벤치마크", "max_points": 40},
    {"code": "expert", "name": "전문가 평가", "max_points": 35},
    {"code": "user", "name": "사용자 평가", "max_points": 25},
]
STAGES = [
    {"name": "1차", "seats": 5, "criteria": CRITERIA, "gates": ["independence"]},
    {"name": "2차", "seats": 4, "criteria": CRITERIA, "gates": ["independence"]},
]
BUDGETS = {"gpu:B200": 2560, "krw:data": 50_000_000_000, "title:K-AI": 5}

# fifteen consortia: code, Korean name, English name; the first five are funded
TEAMS = [
    ("hanbit", "한빛 AI 컨소시엄", "Hanbit AI consortium"),
    ("nuri", "누리랩스", "Nuri Labs"),
    ("saebyeok", "새벽 인공지능", "Saebyeok Intelligence"),
    ("gaon", "가온 반도체 연합", "Gaon Semiconductor alliance"),
    ("haneul", "하늘 모델", "Haneul Models"),
    ("bitnara", "빛나라", "Bitnara"),
    ("dasom", "다솜", "Dasom"),
    ("arum", "아름 데이터", "Arum Data"),
    ("sol", "솔 테크", "Sol Tech"),
    ("miri", "미리내", "Mirinae"),
    ("yeoul", "여울", "Yeoul"),
    ("seum", "세움", "Seum"),
    ("ieum", "이음", "Ieum"),
    ("chorok", "초록", "Chorok"),
    ("purun", "푸른 AI", "Purun AI"),
]
FUNDED = [code for code, _, _ in TEAMS[:5]]
GPU_SUPPLIER = "gaon"  # a chip maker's consortium may not receive GPUs


def ctx(clock: Clock, *, days_ago: float = 0, reason: str = "", actor: str = "official@msit.go.kr") -> Context:
    return Context(actor=actor, effective_at=clock() - timedelta(days=days_ago), reason=reason)


def open_programme(registry: Registry, clock: Clock, *, seats: tuple[int, int] = (5, 4)) -> Recorded:
    stages = [{**stage, "seats": n} for stage, n in zip(STAGES, seats, strict=True)]
    return registry.open_program(
        ctx(clock, reason="과학기술정보통신부 공고"),
        OpenProgram(
            program_code=PROGRAM,
            title_ko="독자 AI 파운데이션 모델",
            title_en="Sovereign AI Foundation Model",
            agency="과학기술정보통신부",
            stages=stages,
            budgets=BUDGETS,
            finalist_count=2,
        ),
    )


def submit(registry: Registry, clock: Clock, team: str, name_ko: str, name_en: str, **more: Any) -> Recorded:
    return registry.submit_application(
        ctx(clock),
        SubmitApplication(
            program_code=PROGRAM,
            team_code=team,
            name_ko=name_ko,
            name_en=name_en,
            lead_organisation=f"{name_en} Inc.",
            members=[f"{name_en} University", "KAIST"],
            excluded_resources=["gpu"] if team == GPU_SUPPLIER else [],
            **more,
        ),
    )


def scores(bench: float, expert: float, user: float) -> dict[str, Any]:
    return {"bench": bench, "expert": expert, "user": user}


def evaluate(
    registry: Registry, clock: Clock, team: str, stage: int, points: dict[str, Any], passed: bool = True
) -> Recorded:
    return registry.record_evaluation(
        ctx(clock),
        RecordEvaluation(
            program_code=PROGRAM,
            team_code=team,
            stage=stage,
            scores=points,
            gates={"independence": passed},
            panel=["Kim", "Lee"],
        ),
    )


def grant(registry: Registry, clock: Clock, team: str, resource: str, quantity: int) -> Recorded:
    return registry.grant_funding(
        ctx(clock),
        GrantFunding(
            program_code=PROGRAM,
            team_code=team,
            resource=resource,
            quantity=quantity,
            period_start=date(2026, 2, 1),
            period_end=date(2026, 7, 31),
        ),
    )


def eliminate(registry: Registry, clock: Clock, team: str, reason_code: str, reason: str) -> Recorded:
    return registry.eliminate_team(
        ctx(clock, reason=reason),
        EliminateTeam(
            program_code=PROGRAM,
            team_code=team,
            reason_code=reason_code,
            objection_deadline=clock() + timedelta(days=10),
        ),
    )


def a_funded_first_stage(registry: Registry, clock: Clock, *, seats: tuple[int, int] = (5, 4)) -> list[Recorded]:
    """The programme opened, fifteen applications in, the first five teams seated in stage 1."""
    recorded = [open_programme(registry, clock, seats=seats)]
    clock.advance(days=1)
    recorded += [submit(registry, clock, *team) for team in TEAMS]
    clock.advance(days=30)
    recorded += [
        registry.advance_team(ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code=team, to_stage=0))
        for team in FUNDED[: seats[0]]
    ]
    return recorded


# --- the chapters of the story --------------------------------------------------------

STAGE_ONE_SCORES = {
    "hanbit": (scores(36, 31, 22), True),  # 89
    "nuri": (scores(35, 30, 21), False),  # 86, in the top four but not independent
    "saebyeok": (scores(33, 29, 20), True),  # 82
    "gaon": (scores(31, 28, 19), True),  # 78
    "haneul": (scores(25, 22, 15), True),  # 62, the lowest
}


def screening(registry: Registry, clock: Clock) -> list[Recorded]:
    """The ten applicants not funded: five cut at the written screening, five after the presentations."""
    out = [code for code, _, _ in TEAMS[5:]]
    return [
        eliminate(registry, clock, team, "screening", "서면 평가 탈락" if i < 5 else "발표 평가 탈락")
        for i, team in enumerate(out)
    ]


def funding(registry: Registry, clock: Clock) -> list[Recorded]:
    recorded = []
    for team in FUNDED:
        if team != GPU_SUPPLIER:
            recorded.append(grant(registry, clock, team, "gpu:B200", 512))
        recorded.append(grant(registry, clock, team, "krw:data", 5_000_000_000))
        recorded.append(grant(registry, clock, team, "title:K-AI", 1))
    return recorded


def first_evaluation(registry: Registry, clock: Clock) -> list[Recorded]:
    recorded = [
        evaluate(registry, clock, team, 0, points, passed) for team, (points, passed) in STAGE_ONE_SCORES.items()
    ]
    recorded.append(eliminate(registry, clock, "nuri", "failed_gate", "독자성 기준 미충족"))
    recorded.append(eliminate(registry, clock, "haneul", "below_cutoff", "최하위 점수"))
    for team in ("nuri", "haneul"):
        recorded.append(
            registry.return_funding(
                ctx(clock), ReturnFunding(program_code=PROGRAM, team_code=team, resource="gpu:B200", quantity=512)
            )
        )
    for team in ("hanbit", "saebyeok", "gaon"):
        recorded.append(
            registry.advance_team(ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code=team, to_stage=1))
        )
    return recorded


def reentry(registry: Registry, clock: Clock) -> list[Recorded]:
    opened = registry.open_reentry_round(
        ctx(clock, reason="공석 1석 추가 공모"),
        OpenReEntryRound(
            program_code=PROGRAM,
            stage=1,
            seats=1,
            eligibility=["eliminated", "applicants", "new_entrants"],
            opens_at=clock(),
            closes_at=clock() + timedelta(days=14),
        ),
    )
    assert opened.result == 1
    clock.advance(days=1)
    deadline = clock() + timedelta(days=7)
    offers = [
        registry.offer_reentry(
            ctx(clock), OfferReEntry(program_code=PROGRAM, team_code=team, round_number=1, deadline=deadline)
        )
        for team in ("nuri", "haneul", "bitnara")
    ]
    assert [o.result for o in offers] == [1, 1, 1]
    clock.advance(days=2)
    return [
        opened,
        *offers,
        registry.decline_offer(
            ctx(clock, reason="자체 모델 개발에 집중"), DeclineOffer(program_code=PROGRAM, team_code="nuri", offer=1)
        ),
        registry.decline_offer(
            ctx(clock, reason="참여하지 않음"), DeclineOffer(program_code=PROGRAM, team_code="haneul", offer=1)
        ),
        registry.accept_offer(
            ctx(clock, reason="패널 다수결 선정"), AcceptOffer(program_code=PROGRAM, team_code="bitnara", offer=1)
        ),
    ]

"""Decision attempts for generated runs against one programme, and how each is made.

An attempt does not name its team, stage, round or offer outright. It carries
small hints that are resolved against the registry's state when it is made —
the n-th team still in play, the team's next stage, its latest unanswered offer
— so most generated attempts are decisions the rules allow, while skews,
excess quantities and out-of-range scores keep a share that they must refuse.
Resolving reads only the aggregates, never a read model: the read models are
what the tests built on these attempts check.

Besides programme decisions, a run issues and revokes API keys and sends some
decisions with an idempotency key (and retries them), so the log also holds
events that belong to no programme, which every read model must step over.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Protocol

from domain import commands
from domain.candidacy import Candidacy
from domain.program import Program
from domain.registry import Context, Recorded, Registry
from tests.conftest import Clock

PROGRAM = "K-AI-2026"
KST = timezone(timedelta(hours=9))
GATE = "independence"
CRITERIA = [
    {"code": "benchmark", "name": "벤치마크", "max_points": 60},
    {"code": "expert", "name": "전문가 평가", "max_points": 40},
]
STAGES = [
    {"name": "1차 단계", "seats": 3, "criteria": CRITERIA, "gates": [GATE]},
    {"name": "2차 단계", "seats": 2, "criteria": CRITERIA, "gates": [GATE]},
    {"name": "최종 단계 (Final)", "seats": 2, "criteria": CRITERIA, "gates": [GATE]},
]
BUDGETS = {"gpu:B200": 1000, "krw:data": 500}
RESOURCES = ("gpu:B200", "krw:data", "gpu:H100")  # gpu:H100 has no budget until one is added
TEAM_CODES = ("HANBIT", "한빛", "누리-AI", "SEOGANG", "바다.모델", "MIRAE", "가온_AI", "SORI")
LEADS = ("Hanbit AI", "누리 시스템즈", "KAIST")
MEMBERS = ("KAIST", "서울대학교", "POSTECH", "연세대학교", "Chipwave")


def open_programme(registry: Registry, at: datetime) -> Recorded:
    return registry.open_program(
        Context(actor="official:과기정통부", effective_at=at, reason="공고"),
        commands.OpenProgram(
            program_code=PROGRAM,
            title_ko="독자 AI 파운데이션 모델",
            title_en="Sovereign AI Foundation Model",
            agency="과학기술정보통신부",
            stages=STAGES,
            budgets=BUDGETS,
            finalist_count=2,
        ),
    )


@dataclass
class Run:
    """One generated run: the registry, its clock and the teams that applied, in order."""

    registry: Registry
    clock: Clock
    teams: list[str] = field(default_factory=list)
    decomposed: bool = False  # spell Korean codes in NFD for the current step
    taken: int = 0
    last: tuple[Attempt, Context] | None = None

    def take(self, step: Step) -> Recorded:
        self.clock.advance(minutes=step.wait)
        self.taken += 1
        self.decomposed = step.decomposed
        if isinstance(step.attempt, Retry) and self.last is not None:
            attempt, ctx = self.last
            return attempt.make(self, ctx)
        effective = self.clock.now - timedelta(minutes=step.backdate)
        ctx = Context(
            actor="official:과기정통부",
            effective_at=effective.astimezone(KST) if step.in_kst else effective,
            reason=step.reason,
            correlation_id=f"step-{self.taken}",
            idempotency_key="" if step.key is None else f"request-{step.key}",
            fingerprint=repr(step.attempt),
        )
        self.last = step.attempt, ctx
        return step.attempt.make(self, ctx)

    def spell(self, team_code: str) -> str:
        return unicodedata.normalize("NFD", team_code) if self.decomposed else team_code

    def program(self) -> Program:
        return self.registry.program(PROGRAM)

    def candidacy(self, team_code: str) -> Candidacy:
        return self.registry.candidacy(PROGRAM, team_code)

    def team(self, hint: int, wanted: Callable[[Candidacy], bool] | None = None) -> str:
        """The hint-th team among those ``wanted`` (or among all, when none is)."""
        if not self.teams:
            return self.spell(TEAM_CODES[hint % len(TEAM_CODES)])
        fitting = [t for t in self.teams if wanted is None or wanted(self.candidacy(t))]
        pool = fitting or self.teams
        return self.spell(pool[hint % len(pool)])


class Attempt(Protocol):
    def make(self, run: Run, ctx: Context) -> Recorded: ...


@dataclass(frozen=True)
class Step:
    attempt: Attempt
    wait: int  # minutes the clock moves before the attempt
    backdate: int  # minutes effective_at lies before the recording time
    in_kst: bool
    decomposed: bool
    reason: str
    key: int | None = None  # idempotency key; reused keys replay or are refused


@dataclass(frozen=True)
class Retry:
    """The previous attempt sent again with the same context, as a client does when an answer is lost."""

    def make(self, run: Run, ctx: Context) -> Recorded:
        raise AssertionError("Run.take makes the previous attempt again instead")


def in_play(team: Candidacy) -> bool:
    return team.status in ("applied", "active")


def pending_elimination(team: Candidacy) -> bool:
    return team.status == "eliminated" and team.elimination is not None and not team.elimination.upheld


def unanswered(team: Candidacy) -> list[int]:
    return [n for n, offer in sorted(team.offers.items()) if offer.answer is None]


@dataclass(frozen=True)
class Apply:
    team: int
    stage: int
    lead: int
    members: tuple[int, ...]
    gpu_excluded: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.spell(TEAM_CODES[self.team % len(TEAM_CODES)])
        recorded = run.registry.submit_application(
            ctx,
            commands.SubmitApplication(
                program_code=PROGRAM,
                team_code=team_code,
                name_ko=f"{team_code} 컨소시엄",
                name_en=f"{team_code} Consortium",
                lead_organisation=LEADS[self.lead % len(LEADS)],
                members=[MEMBERS[i % len(MEMBERS)] for i in self.members],
                stage=self.stage,
                excluded_resources=["gpu"] if self.gpu_excluded else [],
            ),
        )
        run.teams.append(recorded.events[0].team_code)  # type: ignore[attr-defined]
        return recorded


@dataclass(frozen=True)
class Advance:
    team: int
    skew: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, lambda t: in_play(t) and not (t.seated and t.stage == len(STAGES) - 1))
        team = run.candidacy(team_code)
        expected = team.stage if team.status == "applied" else team.stage + 1
        return run.registry.advance_team(
            ctx, commands.AdvanceTeam(program_code=PROGRAM, team_code=team_code, to_stage=expected + self.skew)
        )


@dataclass(frozen=True)
class Evaluate:
    team: int
    benchmark: Decimal
    expert: Decimal
    passed: bool
    skew: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, in_play)
        stage = run.candidacy(team_code).stage + self.skew
        return run.registry.record_evaluation(
            ctx,
            commands.RecordEvaluation(
                program_code=PROGRAM,
                team_code=team_code,
                stage=stage,
                scores={"benchmark": self.benchmark, "expert": self.expert},
                gates={GATE: self.passed},
                panel=["심사위원장", "Benchmark lead"],
            ),
        )


@dataclass(frozen=True)
class Amend:
    team: int
    back: int  # 0 amends the latest evaluation, 1 the one before, …
    benchmark: Decimal
    expert: Decimal
    passed: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, lambda t: bool(t.evaluations))
        number = len(run.candidacy(team_code).evaluations) - self.back
        return run.registry.amend_evaluation(
            ctx,
            commands.AmendEvaluation(
                program_code=PROGRAM,
                team_code=team_code,
                evaluation=number,
                scores={"benchmark": self.benchmark, "expert": self.expert},
                gates={GATE: self.passed},
                panel=["심사위원장"],
            ),
        )


@dataclass(frozen=True)
class Eliminate:
    team: int
    reason_code: str
    hours: int  # until the objection deadline

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        return run.registry.eliminate_team(
            ctx,
            commands.EliminateTeam(
                program_code=PROGRAM,
                team_code=run.team(self.team, in_play),
                reason_code=self.reason_code,
                objection_deadline=ctx.effective_at + timedelta(hours=self.hours),
            ),
        )


@dataclass(frozen=True)
class Uphold:
    team: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        return run.registry.uphold_elimination(
            ctx, commands.UpholdElimination(program_code=PROGRAM, team_code=run.team(self.team, pending_elimination))
        )


@dataclass(frozen=True)
class Reverse:
    team: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        return run.registry.reverse_elimination(
            ctx, commands.ReverseElimination(program_code=PROGRAM, team_code=run.team(self.team, pending_elimination))
        )


@dataclass(frozen=True)
class OpenRound:
    stage: int
    seats: int
    eligibility: tuple[str, ...]
    opened: int  # hours before the decision the round opens
    hours: int  # how long it stays open

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        opens = ctx.effective_at - timedelta(hours=self.opened)
        return run.registry.open_reentry_round(
            ctx,
            commands.OpenReEntryRound(
                program_code=PROGRAM,
                stage=self.stage,
                seats=self.seats,
                eligibility=list(self.eligibility),
                opens_at=opens,
                closes_at=opens + timedelta(hours=self.hours),
            ),
        )


@dataclass(frozen=True)
class Offer:
    team: int
    back: int  # 0 offers a seat in the latest round, 1 in the one before, …
    hours: int  # until the offer's deadline, cut at the round's close

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        team_code = run.team(self.team, lambda t: t.status in ("applied", "eliminated"))
        rounds = run.program().rounds
        number = len(rounds) - self.back
        deadline = ctx.effective_at + timedelta(hours=self.hours)
        if number in rounds:
            deadline = min(deadline, rounds[number].closes_at)
        return run.registry.offer_reentry(
            ctx,
            commands.OfferReEntry(program_code=PROGRAM, team_code=team_code, round_number=number, deadline=deadline),
        )


@dataclass(frozen=True)
class Answer:
    team: int
    accept: bool
    offer: int  # used only when the team has no unanswered offer

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, lambda t: bool(unanswered(t)))
        waiting = unanswered(run.candidacy(team_code))
        number = waiting[-1] if waiting else self.offer
        if self.accept:
            return run.registry.accept_offer(
                ctx, commands.AcceptOffer(program_code=PROGRAM, team_code=team_code, offer=number)
            )
        return run.registry.decline_offer(
            ctx, commands.DeclineOffer(program_code=PROGRAM, team_code=team_code, offer=number)
        )


@dataclass(frozen=True)
class Withdraw:
    team: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        return run.registry.withdraw_team(
            ctx, commands.WithdrawTeam(program_code=PROGRAM, team_code=run.team(self.team))
        )


@dataclass(frozen=True)
class Grant:
    team: int
    resource: int
    quantity: int
    months: int  # the grant's period; negative ends it before it starts

    def make(self, run: Run, ctx: Context) -> Recorded:
        assert ctx.effective_at is not None
        start = ctx.effective_at.date()
        return run.registry.grant_funding(
            ctx,
            commands.GrantFunding(
                program_code=PROGRAM,
                team_code=run.team(self.team, lambda t: t.status != "withdrawn"),
                resource=RESOURCES[self.resource % len(RESOURCES)],
                quantity=self.quantity,
                period_start=start,
                period_end=start + timedelta(days=30 * self.months),
            ),
        )


@dataclass(frozen=True)
class Return:
    team: int
    resource: int
    quantity: int
    excess: int  # added to a quantity the team holds, so 0 returns at most its holding

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, lambda t: any(t.holdings.values()))
        holdings = run.candidacy(team_code).holdings
        held = [r for r in RESOURCES if holdings.get(r)]
        resource = held[self.resource % len(held)] if held else RESOURCES[self.resource % len(RESOURCES)]
        quantity = max(1, min(self.quantity, holdings.get(resource, 0))) + self.excess
        return run.registry.return_funding(
            ctx, commands.ReturnFunding(program_code=PROGRAM, team_code=team_code, resource=resource, quantity=quantity)
        )


@dataclass(frozen=True)
class IncreaseBudget:
    resource: int
    amount: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        resource = RESOURCES[self.resource % len(RESOURCES)]
        return run.registry.increase_budget(
            ctx, commands.IncreaseBudget(program_code=PROGRAM, resource=resource, amount=self.amount)
        )


@dataclass(frozen=True)
class SelectFinalists:
    first: int  # among the last stage's seat holders, in code order
    count: int  # how many holders to name from there on, round and round (so repeats are possible)
    stray: int | None  # also name this team, wherever it is

    def make(self, run: Run, ctx: Context) -> Recorded:
        holders = sorted(run.program().holders[-1])
        teams = [holders[(self.first + i) % len(holders)] for i in range(self.count)] if holders else []
        if self.stray is not None and run.teams:
            teams.append(run.teams[self.stray % len(run.teams)])
        return run.registry.select_finalists(
            ctx, commands.SelectFinalists(program_code=PROGRAM, teams=[run.spell(t) for t in teams])
        )


@dataclass(frozen=True)
class ChangeConsortium:
    team: int
    joined: tuple[int, ...]  # from MEMBERS
    left: tuple[int, ...]  # from the team's current members
    lead_leaves: bool

    def make(self, run: Run, ctx: Context) -> Recorded:
        team_code = run.team(self.team, lambda t: t.status != "withdrawn")
        team = run.candidacy(team_code)
        left = [team.members[i % len(team.members)] for i in self.left] if team.members else []
        if self.lead_leaves:
            left.append(team.lead_organisation)
        joined = [MEMBERS[i % len(MEMBERS)] for i in self.joined]
        return run.registry.change_consortium(
            ctx, commands.ChangeConsortium(program_code=PROGRAM, team_code=team_code, joined=joined, left=left)
        )


@dataclass(frozen=True)
class IssueKey:
    key: int
    role: str

    def make(self, run: Run, ctx: Context) -> Recorded:
        key_id = f"testkey{self.key:05d}"
        secret = f"rk_{key_id}_{'s' * 24}"
        return run.registry.issue_key(
            ctx, commands.IssueKey(key_id=key_id, name=f"심사팀 {self.key}", role=self.role, secret=secret)
        )


@dataclass(frozen=True)
class RevokeKey:
    key: int

    def make(self, run: Run, ctx: Context) -> Recorded:
        return run.registry.revoke_key(ctx, commands.RevokeKey(key_id=f"testkey{self.key:05d}"))

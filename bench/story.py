"""One programme's life told as decisions through the domain, sized and varied by a seeded generator.

Shaped like the demo programme (``api.demo``): applications, consortium changes,
screening with objections (most upheld, a few reversed), a seat per selected
team, grants per stage, evaluations with an independence gate and occasional
amendments, eliminations with GPUs returned, withdrawals, a re-entry round
whenever a seat stays empty (offers declined and accepted, sometimes a new
entrant), a budget increase for the re-entrants, and finalists. Every decision
goes through ``Registry``, so the stored events are exactly what the
application writes in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from domain.commands import (
    AcceptOffer,
    AdvanceTeam,
    AmendEvaluation,
    ChangeConsortium,
    DeclineOffer,
    EliminateTeam,
    GrantFunding,
    IncreaseBudget,
    OfferReEntry,
    OpenProgram,
    OpenReEntryRound,
    RecordEvaluation,
    ReturnFunding,
    ReverseElimination,
    SelectFinalists,
    SubmitApplication,
    UpholdElimination,
    WithdrawTeam,
)
from domain.registry import Context, Registry

KST = timezone(timedelta(hours=9))
FIRST_OPENING = datetime(2019, 3, 4, 10, tzinfo=KST)
OFFICIAL = "official:bench-agency"
CRITERIA: list[dict[str, Any]] = [
    {"code": "benchmark", "name": "Benchmark", "max_points": 40},
    {"code": "expert", "name": "Expert review", "max_points": 35},
    {"code": "user", "name": "User evaluation", "max_points": 25},
]
NAMES = [
    ("한빛", "Hanbit"), ("서강", "Seogang"), ("미래", "Mirae"), ("누리", "Nuri"), ("바다", "Bada"),
    ("가온", "Gaon"), ("소리", "Sori"), ("다온", "Daon"), ("하늘", "Haneul"), ("빛나라", "Bitnara"),
    ("가람", "Garam"), ("새봄", "Saebom"), ("지혜", "Jihye"), ("나래", "Narae"), ("태양", "Taeyang"),
    ("화랑", "Hwarang"), ("아라", "Ara"), ("보람", "Boram"), ("슬기", "Seulgi"), ("온새", "Onsae"),
]  # fmt: skip
KINDS = [("AI 컨소시엄", "AI Consortium"), ("언어모델", "LM"), ("지능", "Intelligence"), ("연구소", "Research")]
ORGANISATIONS = [
    "KAIST", "Seoul National University", "POSTECH", "Yonsei University", "Korea University", "UNIST",
    "Hanyang University", "Sungkyunkwan University", "GIST", "DGIST", "Inha University", "Ajou University",
    "Pusan National University", "Kyungpook National University", "Chipwave", "Bada Cloud", "Nuri Systems",
]  # fmt: skip
GPUS = [("gpu:H100", 1024), ("gpu:B200", 512)]
PANEL = ["Panel chair", "Benchmark lead", "User study lead", "Domain expert"]


@dataclass
class Clock:
    """The registry's clock; each decision sets it to a little after the decision's effective time."""

    now: datetime = FIRST_OPENING

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Team:
    code: str
    quality: float  # latent strength: stages correlate, as they do in real evaluations
    gpu_excluded: bool
    members: list[str]
    holdings: dict[str, int] = field(default_factory=dict)


class Programme:
    """Tells one programme's story into ``registry``; ``number`` names it and seeds its randomness."""

    def __init__(self, registry: Registry, clock: Clock, number: int) -> None:
        self.registry, self.clock, self.number = registry, clock, number
        self.rng = random.Random(number)
        self.code = f"BENCH-{number:06d}"
        self.opened = FIRST_OPENING + timedelta(hours=12 * number)  # a new programme about twice a day
        self.teams: dict[str, Team] = {}
        size = self.rng.choice([(10, 30), (30, 80), (30, 80), (80, 200)])
        self.applicants = self.rng.randint(*size)
        stages = self.rng.choice([2, 2, 3])
        first = max(4, self.applicants // 4)
        self.seats = [max(2, first // 2**s) for s in range(stages)]
        self.finalists = min(2, self.seats[-1])

    def ctx(self, day: float, reason: str, actor: str = OFFICIAL) -> Context:
        when = self.opened + timedelta(days=day)
        self.clock.now = when + timedelta(minutes=self.rng.randint(1, 600))
        return Context(actor=actor, effective_at=when, reason=reason, correlation_id=f"{self.code}-{day}")

    def tell(self) -> None:
        self.open()
        self.apply()
        self.change_consortia()
        seated = self.screen()
        self.fund(seated, day=30)
        day = 60
        for stage in range(len(self.seats)):
            seated = self.withdraw_some(seated, day - 5)
            ranked = self.evaluate(seated, stage, day)
            if stage == len(self.seats) - 1:
                self.select_finalists(ranked, day + 10)
                return
            advanced, dropped = self.cut(ranked, stage, day)
            joined = self.reentry_round(stage + 1, self.seats[stage + 1] - len(advanced), dropped, day + 20)
            self.fund(advanced + joined, day + 45, increase=len(joined))
            seated = advanced + joined
            day += 120

    # --- the steps ----------------------------------------------------------------------

    def open(self) -> None:
        ko, en = self.rng.choice(NAMES)
        self.registry.open_program(
            self.ctx(0, "Programme announced"),
            OpenProgram(
                program_code=self.code,
                title_ko=f"{ko} AI 파운데이션 모델 사업 {self.number}",
                title_en=f"{en} AI Foundation Model Programme {self.number}",
                agency="Ministry of Science and ICT (과학기술정보통신부)",
                stages=[
                    {
                        "name": f"{s + 1}차 단계 (Stage {s + 1})",
                        "seats": n,
                        "criteria": CRITERIA,
                        "gates": ["independence"],
                    }
                    for s, n in enumerate(self.seats)
                ],
                budgets=self.budgets(),
                finalist_count=self.finalists,
            ),
        )

    def budgets(self) -> dict[str, int]:
        grants = sum(self.seats) + len(self.seats)  # every stage's teams, and room for re-entrants
        budgets = {resource: quantity * grants for resource, quantity in GPUS}
        return {**budgets, "krw:data": 10_000_000_000 * grants, "title:K-AI": grants}

    def apply(self) -> None:
        for i in range(self.applicants):
            self.submit(f"T{i + 1:03d}", day=1 + i * 14 / self.applicants)

    def submit(self, team_code: str, day: float, stage: int = 0) -> Team:
        ko, en = self.rng.choice(NAMES)
        kind_ko, kind_en = self.rng.choice(KINDS)
        members = self.rng.sample(ORGANISATIONS, self.rng.randint(0, 3))
        team = Team(team_code, self.rng.random(), self.rng.random() < 0.1, members)
        self.registry.submit_application(
            self.ctx(day, "Application received"),
            SubmitApplication(
                program_code=self.code,
                team_code=team_code,
                name_ko=f"{ko} {kind_ko}",
                name_en=f"{en} {kind_en}",
                lead_organisation=f"{en} Labs {team_code}",
                members=members,
                stage=stage,
                excluded_resources=["gpu"] if team.gpu_excluded else [],
                contact=f"{team_code.lower()}@{en.lower()}.example",
            ),
        )
        self.teams[team_code] = team
        return team

    def change_consortia(self) -> None:
        for team in self.rng.sample(list(self.teams.values()), len(self.teams) * 15 // 100):
            joined = [o for o in self.rng.sample(ORGANISATIONS, 1) if o not in team.members]
            left = team.members[:1] if team.members and self.rng.random() < 0.4 else []
            if not joined and not left:
                continue
            reason = "Consortium agreement amended"
            day = 10 + self.rng.random() * 10
            self.registry.change_consortium(
                self.ctx(day, reason, actor=f"team:{team.code}"),
                ChangeConsortium(program_code=self.code, team_code=team.code, joined=joined, left=left),
            )
            team.members = [m for m in team.members if m not in left] + joined

    def screen(self) -> list[str]:
        """Written screening and presentations: the strongest take the first stage's seats."""
        ranked = sorted(self.teams, key=lambda t: self.teams[t].quality + self.rng.random() * 0.3, reverse=True)
        selected, rest = ranked[: self.seats[0]], ranked[self.seats[0] :]
        self.eliminate(rest, "screening", "Written screening: not selected", day=21)
        self.objections(rest, day=21)
        for team in selected:
            self.registry.advance_team(
                self.ctx(28, "Selected after presentations"),
                AdvanceTeam(program_code=self.code, team_code=team, to_stage=0),
            )
        return selected

    def eliminate(self, teams: list[str], reason_code: str, reason: str, day: float) -> None:
        deadline = self.opened + timedelta(days=day + 10)
        for team in teams:
            self.registry.eliminate_team(
                self.ctx(day, reason),
                EliminateTeam(
                    program_code=self.code, team_code=team, reason_code=reason_code, objection_deadline=deadline
                ),
            )

    def objections(self, eliminated: list[str], day: float) -> list[str]:
        """Most eliminations are upheld on objection, a few reversed; returns the reversed."""
        reversed_ = []
        for team in eliminated:
            roll = self.rng.random()
            if roll < 0.6:
                self.registry.uphold_elimination(
                    self.ctx(day + 5, "Objection rejected"), UpholdElimination(program_code=self.code, team_code=team)
                )
            elif roll < 0.64:
                self.registry.reverse_elimination(
                    self.ctx(day + 6, "Objection accepted"), ReverseElimination(program_code=self.code, team_code=team)
                )
                reversed_.append(team)
        return reversed_

    def fund(self, teams: list[str], day: float, increase: int = 0) -> None:
        if increase:
            ctx = self.ctx(day - 1, "Titles for the re-entrants, without cutting incumbents")
            self.registry.increase_budget(
                ctx, IncreaseBudget(program_code=self.code, resource="title:K-AI", amount=increase)
            )
        for team in teams:
            if not self.teams[team].gpu_excluded:
                self.grant(team, *self.rng.choice(GPUS), day=day)
            self.grant(team, "krw:data", 10_000_000_000, day=day)
            if self.rng.random() < 0.3:
                self.grant(team, "title:K-AI", 1, day=day, months=12)

    def grant(self, team: str, resource: str, quantity: int, day: float, months: int = 6) -> None:
        start = (self.opened + timedelta(days=day)).date()
        self.registry.grant_funding(
            self.ctx(day, f"Stage funding: {resource}"),
            GrantFunding(
                program_code=self.code,
                team_code=team,
                resource=resource,
                quantity=quantity,
                period_start=start,
                period_end=start + timedelta(days=30 * months),
            ),
        )
        holdings = self.teams[team].holdings
        holdings[resource] = holdings.get(resource, 0) + quantity

    def withdraw_some(self, seated: list[str], day: float) -> list[str]:
        leaving = [t for t in seated if self.rng.random() < 0.03]
        for team in leaving:
            self.registry.withdraw_team(
                self.ctx(day, "Withdrew", actor=f"team:{team}"), WithdrawTeam(program_code=self.code, team_code=team)
            )
        return [t for t in seated if t not in leaving]

    def evaluate(self, seated: list[str], stage: int, day: float) -> list[tuple[str, Decimal, bool]]:
        """Score every seated team, amend a few; returns (team, total, passed) best first."""
        results = []
        for team in seated:
            scores, passed = self.scores(team), self.rng.random() > 0.08
            ctx = self.ctx(day, f"Stage-{stage + 1} evaluation panel")
            panel = self.rng.sample(PANEL, 3)
            gates = {"independence": passed}
            number = self.registry.record_evaluation(
                ctx,
                RecordEvaluation(
                    program_code=self.code, team_code=team, stage=stage, scores=scores, gates=gates, panel=panel
                ),
            ).result
            if self.rng.random() < 0.05:
                scores = {k: max(Decimal(0), v - 1) for k, v in scores.items()}
                ctx = self.ctx(day + 3, "Scoring error corrected")
                self.registry.amend_evaluation(
                    ctx,
                    AmendEvaluation(
                        program_code=self.code,
                        team_code=team,
                        evaluation=number,
                        scores=scores,
                        gates=gates,
                        panel=panel,
                    ),
                )
            results.append((team, sum(scores.values(), Decimal(0)), passed))
        return sorted(results, key=lambda r: r[1], reverse=True)

    def scores(self, team: str) -> dict[str, Decimal]:
        strength = self.teams[team].quality
        return {
            c["code"]: Decimal(
                str(round(c["max_points"] * min(1.0, 0.4 + 0.5 * strength + self.rng.random() * 0.2), 1))
            )
            for c in CRITERIA
        }

    def cut(self, ranked: list[tuple[str, Decimal, bool]], stage: int, day: float) -> tuple[list[str], list[str]]:
        """The best passing teams advance, sometimes leaving a seat empty; the rest are eliminated."""
        passing = [team for team, _, passed in ranked if passed]
        room = self.seats[stage + 1] - (1 if self.rng.random() < 0.5 else 0)
        advanced = passing[:room]
        for team in advanced:
            self.registry.advance_team(
                self.ctx(day, f"Passed stage {stage + 1}"),
                AdvanceTeam(program_code=self.code, team_code=team, to_stage=stage + 1),
            )
        failed = [team for team, _, passed in ranked if not passed]
        below = [team for team in passing if team not in advanced]
        self.eliminate(failed, "failed_gate", "Model found to depend on a foreign model", day)
        self.eliminate(below, "below_cutoff", "Below the cut-off score", day)
        dropped = failed + below
        self.return_gpus(dropped, day + 1)
        reversed_ = self.objections(dropped, day)
        return advanced, [t for t in dropped if t not in reversed_]

    def return_gpus(self, teams: list[str], day: float) -> None:
        for team in teams:
            held = [(r, q) for r, q in self.teams[team].holdings.items() if r.startswith("gpu:") and q > 0]
            if not held or self.rng.random() < 0.4:
                continue
            resource, quantity = held[0]
            ctx = self.ctx(day, "GPUs returned on elimination")
            self.registry.return_funding(
                ctx, ReturnFunding(program_code=self.code, team_code=team, resource=resource, quantity=quantity)
            )
            self.teams[team].holdings[resource] = 0

    def reentry_round(self, stage: int, vacancies: int, dropped: list[str], day: float) -> list[str]:
        """Open a round for empty seats: some invited teams decline, others (or a new entrant) accept."""
        if vacancies <= 0:
            return []
        opens, closes = self.opened + timedelta(days=day), self.opened + timedelta(days=day + 20)
        ctx = self.ctx(day, "Refill the empty seats")
        eligibility = ["eliminated", "applicants", "new_entrants"]
        r = self.registry.open_reentry_round(
            ctx,
            OpenReEntryRound(
                program_code=self.code,
                stage=stage,
                seats=vacancies,
                eligibility=eligibility,
                opens_at=opens,
                closes_at=closes,
            ),
        )
        candidates = list(dropped)
        self.rng.shuffle(candidates)
        if self.rng.random() < 0.5 or len(candidates) < vacancies:
            entrant = self.submit(f"N{stage}{len(self.teams):03d}", day=day + 2, stage=stage)
            candidates.insert(self.rng.randint(0, len(candidates)), entrant.code)
        deadline = self.opened + timedelta(days=day + 15)
        accepted: list[str] = []
        for team in candidates:
            if len(accepted) == vacancies:
                break
            ctx = self.ctx(day + 3, "Invited to the re-entry round")
            offer = self.registry.offer_reentry(
                ctx, OfferReEntry(program_code=self.code, team_code=team, round_number=r.result, deadline=deadline)
            ).result
            if self.rng.random() < 0.5 and team in dropped:
                answer = self.ctx(day + 5, "We will continue with our own roadmap", actor=f"team:{team}")
                self.registry.decline_offer(answer, DeclineOffer(program_code=self.code, team_code=team, offer=offer))
            else:
                answer = self.ctx(day + 8, "We accept", actor=f"team:{team}")
                self.registry.accept_offer(answer, AcceptOffer(program_code=self.code, team_code=team, offer=offer))
                accepted.append(team)
        return accepted

    def select_finalists(self, ranked: list[tuple[str, Decimal, bool]], day: float) -> None:
        chosen = [team for team, _, passed in ranked if passed][: self.finalists]
        if chosen:
            ctx = self.ctx(day, "The most competitive teams")
            self.registry.select_finalists(ctx, SelectFinalists(program_code=self.code, teams=chosen))


class BigProgramme(Programme):
    """One programme of thousands of teams: the same story, always three stages, seats in proportion.

    Opens on the generated log's first day (``FIRST_OPENING``), so its life
    overlaps the first generated programmes', as programmes of one agency do.
    """

    EVENTS_PER_TEAM = 6.3  # what the story records per applicant at this shape, measured

    def __init__(self, registry: Registry, clock: Clock, events: int, code: str = "BENCH-BIG") -> None:
        super().__init__(registry, clock, number=0)
        self.code, self.opened = code, FIRST_OPENING
        self.applicants = max(12, round(events / self.EVENTS_PER_TEAM))
        first = self.applicants // 4
        self.seats = [max(2, first // 2**s) for s in range(3)]
        self.finalists = 2

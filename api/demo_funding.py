"""The demo's resources: kinds declared in their own units, an exclusion, grants with periods, and the
re-entrant matched to the incumbents in equivalent units (``api.demo`` tells the rest)."""

from __future__ import annotations

from datetime import date, timedelta

from api.demo_teams import FUNDED, GPU_GRANTS, KINDS, PROGRAM, RE_ENTRANT, ctx
from domain.commands import DeclareResourceKind, GrantFunding, ImposeExclusion, IncreaseBudget
from domain.registry import Registry


def declare_kinds(r: Registry) -> None:
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


def fund(r: Registry) -> None:
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


def fund_stage2(r: Registry) -> None:
    for resource in ("gpu:B200", "gpu:H100"):
        r.increase_budget(
            ctx("2026-02-19", "Stage-2 GPUs, without cutting any team's"),
            IncreaseBudget(program_code=PROGRAM, resource=resource, amount=1024),
        )
    for team in ("HANBIT", "SEOGANG", "MIRAE"):
        _grant(r, "2026-02-19", team, "gpu:B200", 512)
        _grant(r, "2026-02-19", team, "gpu:H100", 512)


def fund_reentrant(r: Registry) -> None:
    r.increase_budget(
        ctx("2026-02-19", "A title for the re-entrant, without cutting incumbents"),
        IncreaseBudget(program_code=PROGRAM, resource="title:K-AI", amount=1),
    )
    # "768 B200, equivalent to 512 B200 + 512 H100", drawn on the H100 line (1,536 H100)
    _grant(r, "2026-02-19", RE_ENTRANT, "gpu:B200", 768, line="gpu:H100")
    _grant(r, "2026-02-19", RE_ENTRANT, "krw:data", 10_000_000_000)
    _grant(r, "2026-02-19", RE_ENTRANT, "title:K-AI", 1, months=12)

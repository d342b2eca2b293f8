"""The funding chart's geometry: one horizontal bar per team for each resource, as inline SVG.

Resources are not comparable (GPUs, won, titles), so each resource gets its own
chart, scaled to the larger of its budget and its biggest holding. A bar's length
is the team's net holding (granted minus returned); returned units are drawn as
a pale tail so a team that gave everything back still shows what it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 420  # the SVG's own units; it scales to the page's width, so a phone still reads the labels
ROW = 40  # a line of text (team name, then the number at the right) above each bar
PAD = 4


@dataclass(frozen=True)
class Bar:
    team_code: str
    name: str
    net: int
    granted: int
    returned: int
    y: int
    net_width: float
    returned_width: float


@dataclass(frozen=True)
class ResourceChart:
    resource: str
    budget: int
    allocated: int
    bars: list[Bar]

    @property
    def height(self) -> int:
        return PAD + ROW * max(1, len(self.bars))

    @property
    def width(self) -> int:
        return WIDTH


def charts(funding: dict[str, Any], names: dict[str, str]) -> list[ResourceChart]:
    """One chart per resource with a budget or a grant, teams in ledger order."""
    budgets = {b["resource"]: b for b in funding["budgets"]}
    resources = sorted(set(budgets) | {t["resource"] for t in funding["teams"]})
    return [
        _chart(resource, budgets.get(resource), [t for t in funding["teams"] if t["resource"] == resource], names)
        for resource in resources
    ]


def _chart(
    resource: str, budget: dict[str, Any] | None, rows: list[dict[str, Any]], names: dict[str, str]
) -> ResourceChart:
    total = int(budget["budget"]) if budget else 0
    scale = max([total, *(int(r["granted"]) for r in rows)]) or 1
    span = WIDTH
    bars = [
        Bar(
            team_code=r["team_code"],
            name=names.get(r["team_code"], r["team_code"]),
            net=int(r["net"]),
            granted=int(r["granted"]),
            returned=int(r["returned"]),
            y=PAD + i * ROW,
            net_width=round(span * max(0, int(r["net"])) / scale, 1),
            returned_width=round(span * int(r["returned"]) / scale, 1),
        )
        for i, r in enumerate(rows)
    ]
    return ResourceChart(resource, total, int(budget["allocated"]) if budget else 0, bars)

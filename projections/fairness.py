"""The fairness report: each re-entrant beside the incumbents of its stage, in equivalent units, over one period.

Fairness is reported, never enforced. For each re-entrant still active and each
class of equivalent kinds granted in its stage (kinds declared equivalent, such
as ``gpu:B200`` and ``gpu:H100`` at 1 B200 = 2 H100, form one class measured in
its reference kind, the first declared; a kind never declared is a class of its
own, so a KRW pot is never counted in GPUs):

1. the **period** is the span of the re-entrant's grants of that class (or of
   the incumbents' grants, if it has none);
2. for the re-entrant and each incumbent (active, not a re-entrant, same stage),
   the grants **counted** are those whose period overlaps it; each is converted
   to the reference kind (quantity × factor); returns of the class's kinds are
   taken off; grants outside the period are listed as not counted;
3. an incumbent excluded from the class over the period (``domain.candidacy.exclusions``)
   is shown but left out of the comparison; an excluded re-entrant has nothing
   to compare;
4. the re-entrant's total is set beside the median of the compared incumbents'
   totals: ``parity`` when equal, ``shortfall`` (by how much) when less,
   ``surplus`` when more.

Every line carries this computation per team, not just the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import Any

from projections.db import Row


@dataclass(frozen=True)
class Kind:
    unit: str
    reference: str
    factor: Fraction


def report(
    kinds: list[Row], grants: list[Row], ledger: list[Row], exclusions: list[Row], active: list[Row]
) -> list[dict[str, Any]]:
    """The fairness lines of a programme, from its funding rows and its active teams."""
    declared = {k["resource"]: Kind(k["unit"], k["reference"], Fraction(k["factor"])) for k in kinds}

    def kind(resource: str) -> Kind:
        return declared.get(resource) or Kind("", resource, Fraction(1))

    lines = []
    active = sorted(active, key=lambda t: str(t["team_code"]))  # rows come in no set order
    for team in (t for t in active if t["reentrant"]):
        peers = [t["team_code"] for t in active if t["stage"] == team["stage"] and not t["reentrant"]]
        teams = [team["team_code"], *peers]
        classes = sorted({kind(g["resource"]).reference for g in grants if g["team_code"] in teams})
        for reference in classes:
            in_class = [g for g in grants if g["team_code"] in teams and kind(g["resource"]).reference == reference]
            lines.append(_line(team, peers, reference, in_class, ledger, exclusions, kind))
    return lines


def _line(
    team: Row, peers: list[str], reference: str, grants: list[Row], ledger: list[Row], exclusions: list[Row], kind: Any
) -> dict[str, Any]:
    own = [g for g in grants if g["team_code"] == team["team_code"]] or grants
    start, end = min(g["period_start"] for g in own), max(g["period_end"] for g in own)
    kinds = sorted({g["resource"] for g in grants} | {reference})
    shown = [_team(code, grants, ledger, exclusions, kinds, kind, start, end) for code in [team["team_code"], *peers]]
    exact = {s["team_code"]: s.pop("exact") for s in shown}
    mine, others = shown[0], [s for s in shown[1:] if not s["excluded"]]
    totals = [exact[s["team_code"]] for s in others]
    typical = Fraction(median(totals)) if totals else Fraction(0)
    total = exact[mine["team_code"]]
    verdict = "excluded" if mine["excluded"] else _verdict(total, typical)
    return {
        "team_code": team["team_code"],
        "stage": team["stage"],
        "resource": reference,
        "unit": kind(reference).unit,
        "period_start": start,
        "period_end": end,
        "net": _number(total),
        "incumbent_median": _number(typical),
        "incumbent_min": _number(min(totals, default=Fraction(0))),
        "incumbent_max": _number(max(totals, default=Fraction(0))),
        "shortfall": 0 if mine["excluded"] else _number(max(Fraction(0), typical - total)),
        "verdict": verdict,
        "computation": shown,
    }


def _team(
    code: str,
    grants: list[Row],
    ledger: list[Row],
    exclusions: list[Row],
    kinds: list[str],
    kind: Any,
    start: str,
    end: str,
) -> dict[str, Any]:
    counted: list[Row] = []
    skipped: list[Row] = []
    for g in (g for g in grants if g["team_code"] == code):
        (counted if g["period_start"] <= end and g["period_end"] >= start else skipped).append(g)
    lines = [_grant(g, kind) for g in counted]
    returned = sum(
        (
            r["returned"] * kind(r["resource"]).factor
            for r in ledger
            if r["team_code"] == code and r["resource"] in kinds
        ),
        Fraction(0),
    )
    total = max(Fraction(0), sum((Fraction(x["in_reference"]) for x in lines), Fraction(0)) - returned)
    excluded = [
        {"exclusion": x["exclusion"], "resource": x["resource"], "starts_on": x["starts_on"], "ends_on": x["ends_on"]}
        for x in exclusions
        if x["team_code"] == code and _covers(x, kinds, start, end)
    ]
    return {
        "team_code": code,
        "grants_counted": lines,
        "grants_not_counted": [{**_grant(g, kind), "why": _why(g, start)} for g in skipped],
        "returned_in_reference": _number(returned),
        "total": _number(total),
        "exact": total,
        "excluded": excluded,
    }


def _grant(g: Row, kind: Any) -> dict[str, Any]:
    factor = kind(g["resource"]).factor
    return {
        "grant": g["grant_number"],
        "resource": g["resource"],
        "quantity": g["quantity"],
        "factor": str(factor),
        "in_reference": _number(g["quantity"] * factor),
        "period_start": g["period_start"],
        "period_end": g["period_end"],
    }


def _why(g: Row, start: str) -> str:
    return "ended before the period" if g["period_end"] < start else "starts after the period"


def _covers(x: Row, kinds: list[str], start: str, end: str) -> bool:
    applies = any(k == x["resource"] or k.startswith(f"{x['resource']}:") for k in kinds)
    return applies and x["starts_on"] <= end and (x["ends_on"] is None or x["ends_on"] >= start)


def _verdict(total: Fraction, typical: Fraction) -> str:
    return "parity" if total == typical else "shortfall" if total < typical else "surplus"


def _number(value: Fraction) -> int | float:
    """Exact when whole (units are counted whole); a half H100 in B200 shows as 0.5."""
    return int(value) if value.denominator == 1 else float(value)

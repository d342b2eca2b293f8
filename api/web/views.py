"""What the programme page shows, gathered from one read store (live or replayed) with the read-model queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from api.web import chart, timeline, times
from projections import funding, history, standings
from projections.as_of import Moment, Source
from projections.db import Database


@dataclass(frozen=True)
class View:
    """The request's choices: which times the page answers for, the zone it shows times in, the timeline cursor."""

    moment: Moment
    tz: tzinfo
    tz_value: str
    after: int = 0


def programme(source: Source, live: Database, head: int, code: str, view: View, now: datetime) -> dict[str, Any] | None:
    """The programme page's context, or None when the programme does not exist (at that moment).

    Standings and funding come from ``source``; the timeline is the live history cut at the same moment.
    """
    at = source.position
    found = standings.program_standings(source.db, code, view.moment.as_of or view.moment.known_at or now, at)
    if found is None:
        return None
    names = team_names(found)
    ledger = funding.program_funding(source.db, code, at)
    where = history.HistoryFilter(program_code=code, effective_to=view.moment.as_of, recorded_to=view.moment.known_at)
    decisions, next_cursor = timeline.page(live, where, after=view.after)
    return {
        "program": found,
        "names": names,
        "charts": chart.charts(ledger, {c: n["ko"] for c, n in names.items()}),
        "budgets": ledger["budgets"],
        "fairness": ledger["fairness"],
        "kinds": ledger["kinds"],
        "grants": ledger["grants"],
        "exclusions": ledger["exclusions"],
        "decisions": decisions,
        "next_page": None if next_cursor is None else query(view, after=next_cursor),
        "first_page": None if view.after == 0 else query(view),
        "source": source,
        "head": head,
        "view": view,
        "answering": answering(view, head),
        "query_values": {
            "as_of": times.picker(view.moment.as_of, view.tz),
            "known_at": times.picker(view.moment.known_at, view.tz),
        },
        "tz_label": times.label(view.tz),
    }


def team_names(found: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every team the standings mention: code → Korean and English name."""
    teams = [*found["applicants"], *(t for stage in found["stages"] for t in stage["teams"])]
    return {t["team_code"]: {"ko": t["name_ko"], "en": t["name_en"]} for t in teams}


def answering(view: View, head: int) -> dict[str, str]:
    """The two times the page answers for, in words."""
    return {
        "as_of": _said(view.moment.as_of, view.tz, "now (latest)"),
        "known_at": _said(view.moment.known_at, view.tz, f"everything recorded up to log position {head}"),
    }


def _said(moment: datetime | None, tz: tzinfo, otherwise: str) -> str:
    return f"{times.shown(moment, tz)} ({times.label(tz)})" if moment else otherwise


def status_class(team: dict[str, Any]) -> str:
    """The colour a team's status is shown in; an elimination is provisional until it is final."""
    if team["status"] == "eliminated" and team["elimination"] and not team["elimination"]["final"]:
        return "status-provisional"
    return f"status-{team['status']}"


def query(view: View, **extra: Any) -> str:
    """This view's query string (its times and offset), with ``extra`` parameters."""
    picked = {
        "as_of": times.picker(view.moment.as_of, view.tz),
        "known_at": times.picker(view.moment.known_at, view.tz),
        "tz": view.tz_value,
    }
    return "?" + urlencode({k: v for k, v in {**picked, **extra}.items() if v not in ("", None)})

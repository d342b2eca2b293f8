"""``registry standings``: a programme's standings as tables, now or at a past moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DatabaseOption, console, open_services
from projections import standings as standings_view
from projections.as_of import Moment, read_store


def standings(
    program: str,
    database_url: DatabaseOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Effective time, ISO 8601 with time zone")] = None,
    known_at: Annotated[str | None, typer.Option("--known-at", help="Recorded time, ISO 8601 with time zone")] = None,
) -> None:
    """Print a programme's standings, one table per stage, as of a date and as known at a date (default: now)."""
    when = Moment(_moment(as_of, "--as-of"), _moment(known_at, "--known-at"))
    services = open_services(database_url)
    try:
        services.projector.catch_up()
        with read_store(services.registry, services.db, when, program) as source:
            now = when.as_of or services.clock()
            found = standings_view.program_standings(source.db, program, now, source.position)
    finally:
        services.close()
    if found is None:
        console.print(f"[red]No programme {program!r}.[/red]")
        raise typer.Exit(1)
    console.print(f"[bold]{found['title_ko']}[/bold] — {found['title_en']} ({program})")
    if not when.latest:
        console.print(f"As of {as_of or 'now'}, as known at {known_at or 'now'}.")
    for stage in found["stages"]:
        console.print(_stage_table(stage))
    if found["finalists"]:
        console.print(f"Finalists: {', '.join(found['finalists'])}")


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not ISO 8601", param_hint=option) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("include a time zone, e.g. 2026-02-10T00:00+09:00", param_hint=option)
    return moment


def _stage_table(stage: dict[str, Any]) -> Table:
    title = f"{stage['name']}: {len(stage['holders'])} of {stage['seats']} seats held, {stage['vacancies']} vacant"
    table = Table(title=title, title_justify="left")
    for column in ("Rank", "Team", "팀 이름", "Name", "Outcome", "Status", "Total", "Gates"):
        table.add_column(column)
    for team in stage["teams"]:
        evaluation = team["evaluation"] or {}
        gates = "" if not evaluation else ("pass" if evaluation["passed_gates"] else "FAIL")
        status = team["status"] + (" (re-entrant)" if team["reentrant"] else "")
        table.add_row(
            str(team["rank"] or "–"),
            team["team_code"],
            team["name_ko"],
            team["name_en"],
            team["outcome"],
            status,
            evaluation.get("total", "–"),
            gates,
        )
    return table

"""``registry projections``: follow, rebuild, verify and inspect the read models."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from api.cli.common import DatabaseOption, Names, console, open_services, read_models
from projections import failures
from projections.rebuild import rebuild as rebuild_read_models
from projections.rebuild import verify as verify_rows
from projections.runner import Runner
from projections.runner import status as projection_status

app = typer.Typer(help="Follow, rebuild and inspect the read models.")


@app.command("rebuild")
def rebuild(names: Names = None, database_url: DatabaseOption = None) -> None:
    """Rebuild read models beside the live ones and switch when caught up; resumes if interrupted."""
    services = open_services(database_url)
    try:
        chosen = read_models(services, names)
        with _progress() as progress:
            task = progress.add_task("Rebuilding", total=services.projector.head())
            done = rebuild_read_models(
                services.projector, chosen, lambda n, total: progress.update(task, completed=n, total=total)
            )
        console.print(f"Rebuilt {', '.join(chosen)} from {done} events and switched to them.")
    finally:
        services.close()


@app.command("verify")
def verify(names: Names = None, database_url: DatabaseOption = None) -> None:
    """Rebuild into scratch tables and compare them row by row with the live read models."""
    services = open_services(database_url)
    try:
        chosen = read_models(services, names)
        differences = verify_rows(services.projector, chosen)
    finally:
        services.close()
    if not differences:
        console.print(f"Verified {', '.join(chosen)}: every row matches a fresh rebuild.")
        return
    table = Table("Table", "Where", "Row", title=f"{len(differences)} rows differ (first ones shown)")
    for difference in differences:
        table.add_row(difference.table, difference.side, str(difference.row))
    console.print(table)
    raise typer.Exit(1)


@app.command("run")
def run(
    names: Names = None,
    database_url: DatabaseOption = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls of the log")] = 0.5,
) -> None:
    """Follow the log and keep the read models current until stopped (SIGINT or SIGTERM)."""
    services = open_services(database_url)
    url = services.settings.database_url
    runner = Runner(
        services.projector,
        read_models(services, names),
        interval=interval,
        postgres_url=url if url.startswith(("postgresql://", "postgres://")) else None,
        on_wait=console.print,
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: runner.stop.set())
    console.print(f"Following the log for {', '.join(runner.names)}; Ctrl-C stops.")
    try:
        runner.run()
    finally:
        services.close()
    console.print("Stopped.")


@app.command("status")
def status(
    database_url: DatabaseOption = None,
    healthy: Annotated[
        bool,
        typer.Option(
            "--healthy",
            help="Exit 1 unless a runner follows every read model (state live) within REGISTRY_READY_MAX_LAG events",
        ),
    ] = False,
) -> None:
    """Each read model's position, the head of the log, the lag, and its runner's state."""
    services = open_services(database_url)
    try:
        report = projection_status(services.projector, services.clock())
        bound = services.settings.ready_max_lag
        stopped = failures.listed(services.db)
    finally:
        services.close()
    if healthy:
        _exit_unless_followed(report, bound)
        return
    table = Table("Read model", "Position", "Head", "Lag (events)", "Lag (s)", "State", "Last error")
    for row in report:
        table.add_row(
            row["name"],
            str(row["position"]),
            str(row["head"]),
            str(row["lag_events"]),
            f"{row['lag_seconds']:.1f}",
            row["state"],
            row["last_error"] or "",
        )
    console.print(table)
    if stopped:
        failed = Table(
            "Read model", "Stopped for programme", "At position", "Error", title="Failures (rebuild to clear)"
        )
        for failure in stopped:
            failed.add_row(failure["name"], failure["program_code"], str(failure["position"]), failure["error"])
        console.print(failed)


def _exit_unless_followed(report: list[dict[str, Any]], bound: int) -> None:
    """One line for a health check: every read model followed by a live runner, and not too far behind."""
    unwell = [
        f"{r['name']} ({r['state']}, {r['lag_events']} behind)"
        for r in report
        if r["state"] != "live" or r["lag_events"] > bound
    ]
    if unwell:
        console.print(f"unhealthy: {', '.join(unwell)}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"healthy: {', '.join(r['name'] for r in report)} followed within {bound} events", soft_wrap=True)


class RateColumn(ProgressColumn):
    """Events per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "–/s")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )

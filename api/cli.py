"""The ``registry`` command: serve the API, load the demo, run and rebuild read models, print standings."""

from __future__ import annotations

import getpass
import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
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

from api import demo, keys
from api.as_of import Moment, read_store
from api.bootstrap import Services, build
from api.observability import configure_logging, logging_config
from api.settings import ConfigurationError, Settings, load_settings
from audit import merkle
from audit.log import MerkleLog
from audit.signing import Checkpoint
from audit.transfer import ImportRefusedError, export_log, import_log
from audit.verify import verify as verify_log
from domain import errors
from projections import standings as standings_view
from projections.engine import iso
from projections.rebuild import verify as verify_rows
from projections.runner import Runner
from projections.runner import status as projection_status

app = typer.Typer(help="The program registry: an event-sourced system of record for funding programmes.")
projections_app = typer.Typer(help="Follow, rebuild and inspect the read models.")
app.add_typer(projections_app, name="projections")
keys_app = typer.Typer(help="Issue, list and revoke API keys.")
audit_app = typer.Typer(help="Checkpoints, public key and verification of the log's integrity.")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
console = Console()
CLI_ACTOR = f"operator:{getpass.getuser()} (cli)"

DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", envvar="REGISTRY_DATABASE_URL", help="sqlite:///PATH or postgresql://…")
]
Names = Annotated[list[str] | None, typer.Argument(help="Read models (default: all)")]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _services(database_url: str | None) -> Services:
    return build(_settings(database_url=database_url))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
) -> None:
    """Serve the HTTP API (settings from REGISTRY_* environment variables)."""
    import uvicorn

    settings = _settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        http="httptools",
        loop="uvloop",
        log_config=logging_config(settings.log_level),  # applied again in each worker process
        log_level=settings.log_level.lower(),
        access_log=False,  # the JSON request line from api.observability replaces it
    )


@app.command()
def migrate(database_url: DatabaseOption = None) -> None:
    """Create the event store's and read models' tables if missing, then exit."""
    services = _services(database_url)
    services.close()
    console.print("Schema ready.")


@app.command("demo")
def load_demo(
    database_url: DatabaseOption = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the log already has events")] = False,
    admin_key: Annotated[bool, typer.Option("--admin-key", help="Also issue and print a local admin key")] = False,
) -> None:
    """Record the demo programme (the sovereign AI foundation-model story)."""
    services = _services(database_url)
    try:
        if if_empty and services.projector.head() > 0:
            console.print(f"The log already holds {services.projector.head()} events; demo not loaded.")
            return
        steps = demo.load(services.registry)
        services.projector.catch_up()
        console.print(
            f"Recorded the demo programme {demo.PROGRAM} in {steps} steps; "
            f"the log now holds {services.projector.head()} events."
        )
        if admin_key:
            key = keys.create_key(services, name="local-admin", role="admin", actor=CLI_ACTOR)
            console.print("Admin key for local use (shown once; `registry keys create` makes more):")
            console.print(f"    [bold]{key.secret}[/bold]")
            console.print(f"    curl -H 'Authorization: Bearer {key.secret}' http://127.0.0.1:8000/programs")
    finally:
        services.close()


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option(help="admin, recorder or auditor")],
    name: Annotated[str, typer.Option(help="Who or what will use the key")],
    database_url: DatabaseOption = None,
) -> None:
    """Issue an API key; its secret is printed once and stored only as a hash."""
    services = _services(database_url)
    try:
        key = keys.create_key(services, name=name, role=role, actor=CLI_ACTOR)
    except errors.RegistryError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Key {key.key_id} ({key.role}, {key.name}). Secret, shown once:")
    print(key.secret)


@keys_app.command("list")
def list_keys(database_url: DatabaseOption = None) -> None:
    """List every key issued, with its role and whether it is revoked."""
    services = _services(database_url)
    try:
        found = keys.list_keys(services)
    finally:
        services.close()
    table = Table("Key", "Name", "Role", "Issued", "Issued by", "Revoked")
    for key in found:
        table.add_row(
            key["key_id"], key["name"], key["role"], key["issued_at"], key["issued_by"], key["revoked_at"] or ""
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: str, database_url: DatabaseOption = None) -> None:
    """Revoke a key: it stops working on the next request, in every process."""
    services = _services(database_url)
    try:
        keys.revoke_key(services, key_id, actor=CLI_ACTOR)
    except errors.RegistryError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Key {key_id} revoked.")


@app.command()
def standings(
    program: str,
    database_url: DatabaseOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Effective time, ISO 8601 with time zone")] = None,
    known_at: Annotated[str | None, typer.Option("--known-at", help="Recorded time, ISO 8601 with time zone")] = None,
) -> None:
    """Print a programme's standings, one table per stage, as of a date and as known at a date (default: now)."""
    when = Moment(_moment(as_of, "--as-of"), _moment(known_at, "--known-at"))
    services = _services(database_url)
    try:
        services.projector.catch_up()
        with read_store(services, when, program) as source:
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


@projections_app.command("rebuild")
def rebuild(names: Names = None, database_url: DatabaseOption = None) -> None:
    """Rebuild read models beside the live ones and switch when caught up; resumes if interrupted."""
    services = _services(database_url)
    try:
        chosen = services.projector.select(names)
        with _progress() as progress:
            task = progress.add_task("Rebuilding", total=services.projector.head())
            done = services.projector.rebuild(chosen, lambda n, total: progress.update(task, completed=n, total=total))
        console.print(f"Rebuilt {', '.join(chosen)} from {done} events and switched to them.")
    finally:
        services.close()


@projections_app.command("verify")
def verify(names: Names = None, database_url: DatabaseOption = None) -> None:
    """Rebuild into scratch tables and compare them row by row with the live read models."""
    services = _services(database_url)
    try:
        chosen = services.projector.select(names)
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


@projections_app.command("run")
def run(
    names: Names = None,
    database_url: DatabaseOption = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls of the log")] = 0.5,
) -> None:
    """Follow the log and keep the read models current until stopped (SIGINT or SIGTERM)."""
    services = _services(database_url)
    url = services.settings.database_url
    runner = Runner(
        services.projector,
        services.projector.select(names),
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


@projections_app.command("status")
def status(database_url: DatabaseOption = None) -> None:
    """Each read model's position, the head of the log, the lag, and its runner's state."""
    services = _services(database_url)
    try:
        report = projection_status(services.projector, services.clock())
    finally:
        services.close()
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


class RateColumn(ProgressColumn):
    """Events per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "–/s")


@app.command("export")
def export(file: Path, database_url: DatabaseOption = None) -> None:
    """Write the whole log with every event's hashes to FILE (JSON Lines)."""
    services = _services(database_url)
    try:
        with file.open("wb") as out:
            written = export_log(services.registry, out)
    finally:
        services.close()
    console.print(f"Exported {written} events to {file}.")


@app.command("import")
def import_(file: Path, database_url: DatabaseOption = None) -> None:
    """Load an export into an empty store, checking every hash; a tampered file is refused whole."""
    services = _services(database_url)
    try:
        written = import_log(services.registry, file)
        services.projector.rebuild()  # the read models start empty: build them in bulk
    except ImportRefusedError as error:
        console.print(f"[red]Refused {file}: {error}. Nothing was imported.[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Imported {written} events from {file}; every hash checked.")


@audit_app.command("public-key")
def public_key(database_url: DatabaseOption = None) -> None:
    """Print the public half of the key that signs checkpoints (base64, raw Ed25519)."""
    services = _services(database_url)
    try:
        signer = services.signer()
        console.print(f"Key {signer.key_id} ({services.settings.signing_key_file}):")
        print(signer.public_key)
    finally:
        services.close()


@audit_app.command("checkpoint")
def audit_checkpoint(
    database_url: DatabaseOption = None,
    out: Annotated[Path | None, typer.Option(help="Also write the checkpoint to this JSON file")] = None,
) -> None:
    """Sign and print the tree head of the whole log (keep it to prove later that the log only grew)."""
    services = _services(database_url)
    try:
        leaves = MerkleLog(services.registry).leaves()
        signed = services.signer().sign(len(leaves), merkle.root(leaves).hex(), iso(services.clock()))
    finally:
        services.close()
    text = orjson.dumps(signed.as_dict(), option=orjson.OPT_INDENT_2).decode()
    if out is not None:
        out.write_text(text + "\n")
    print(text)


@audit_app.command("verify")
def audit_verify(
    database_url: DatabaseOption = None,
    checkpoint: Annotated[Path | None, typer.Option(help="A checkpoint JSON file from earlier")] = None,
    public_key: Annotated[
        str | None, typer.Option(help="The registry's public key you trust (default: the local signing key's)")
    ] = None,
) -> None:
    """Recompute every hash from the raw event store; with --checkpoint, prove the log only grew since."""
    services = _services(database_url)
    try:
        old = None if checkpoint is None else _read_checkpoint(checkpoint)
        trusted = "" if old is None else public_key or _local_public_key(services)
        report = verify_log(services.registry, old, trusted)
    finally:
        services.close()
    if not report.ok:
        for problem in report.problems[:10]:
            console.print(f"[red]{problem}[/red]", soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"Verified {report.events} events; root {report.root_hash}.")
    if report.checkpoint:
        console.print(f"Checkpoint: {report.checkpoint}.")


def _read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint as saved by `registry audit checkpoint` or from GET /audit/checkpoint."""
    data = orjson.loads(path.read_bytes())
    try:
        return Checkpoint(**{name: data[name] for name in Checkpoint.__dataclass_fields__})
    except (KeyError, TypeError):
        raise typer.BadParameter(f"{path} is not a checkpoint", param_hint="--checkpoint") from None


def _local_public_key(services: Services) -> str:
    """The operator's own key; an auditor elsewhere passes --public-key instead. Never made here."""
    if not services.settings.signing_key_file.exists():
        raise typer.BadParameter("no local signing key: pass the registry's --public-key", param_hint="--public-key")
    return services.signer().public_key


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


def main() -> None:
    app()

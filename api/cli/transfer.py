"""``registry export`` and ``registry import``: the whole log with its hashes, out to a file and back."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.common import DatabaseOption, console, open_services
from audit.transfer import ImportRefusedError, export_log, import_log
from projections.rebuild import rebuild


def export(file: Path, database_url: DatabaseOption = None) -> None:
    """Write the whole log with every event's hashes to FILE (JSON Lines)."""
    services = open_services(database_url)
    try:
        with file.open("wb") as out:
            written = export_log(services.registry, out)
    finally:
        services.close()
    console.print(f"Exported {written} events to {file}.")


def import_(file: Path, database_url: DatabaseOption = None) -> None:
    """Load an export into an empty store, checking every hash; a tampered file is refused whole."""
    services = open_services(database_url)
    try:
        written = import_log(services.registry, file)
        rebuild(services.projector)  # the read models start empty: build them in bulk
    except ImportRefusedError as error:
        console.print(f"[red]Refused {file}: {error}. Nothing was imported.[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Imported {written} events from {file}; every hash checked.")

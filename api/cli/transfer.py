"""``registry export`` and ``registry import``: the whole log with its hashes and signed checkpoints, out and back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli.audit import KeyOption, checkpoint_head, trusted
from api.cli.common import DatabaseOption, console, open_services
from audit.transfer import ImportRefusedError, export_log, import_log
from projections.rebuild import rebuild


def export(file: Path, database_url: DatabaseOption = None) -> None:
    """Sign the log, then write it with every event's hashes and every signed checkpoint to FILE (JSON Lines)."""
    services = open_services(database_url)
    try:
        with file.open("wb") as out:
            written = export_log(services.issuer(), out)
    finally:
        services.close()
    console.print(f"Exported {written} events to {file}.")


def import_(
    file: Path,
    database_url: DatabaseOption = None,
    public_key: KeyOption = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A signed checkpoint the imported log must extend (signed note or JSON)")
    ] = None,
    no_catch_up: Annotated[
        bool,
        typer.Option(
            "--no-catch-up",
            help="Leave the read models empty (built by default) for `registry projections rebuild` or a"
            " `registry projections run` runner to bring up to date",
        ),
    ] = False,
) -> None:
    """Load an export into an empty store, checking every hash and signed checkpoint; a tampered file is refused whole.

    The checkpoints' signatures are checked with --public-key (default: the local signing key's). The
    import (check and write) and the read models' build are timed apiece, and both times printed.
    """
    if not file.is_file():
        console.print(f"[red]FILE: {file} is not a file[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(2)
    services = open_services(database_url)
    try:
        key = trusted(public_key, services)
        assert key is not None  # needed: trusted() ends the command when there is none
        head = None if checkpoint is None else checkpoint_head(checkpoint, key)
        started = time.perf_counter()
        written = import_log(services.registry, file, key, head)
        imported = time.perf_counter()
        if not no_catch_up:
            rebuild(services.projector)  # the read models start empty: build them in bulk
        built = time.perf_counter()
    except ImportRefusedError as error:
        console.print(f"[red]Refused {file}: {error}. Nothing was imported.[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    finally:
        services.close()
    models = "read models not built: --no-catch-up" if no_catch_up else f"read models built {built - imported:.2f} s"
    console.print(
        f"Imported {written} events from {file}; every hash and signed checkpoint checked"
        f" (import {imported - started:.2f} s, {models})."
    )

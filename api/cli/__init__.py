"""The ``registry`` command: serve the API, load the demo, run and rebuild read models, print standings.

One module per group of commands (``service``, ``standings``, ``transfer``,
``projections``, ``audit``, ``keys``); they are registered here in the order
``registry --help`` lists them.
"""

from __future__ import annotations

import typer

from api.cli import audit, keys, projections, service, standings, transfer
from api.cli.failures import run

app = typer.Typer(
    help="The program registry: an event-sourced system of record for funding programmes.",
    pretty_exceptions_enable=False,
)
app.command()(service.serve)
app.command()(service.migrate)
app.command("demo")(service.load_demo)
app.command()(standings.standings)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
app.add_typer(projections.app, name="projections")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")


def main() -> None:
    """The ``registry`` script: every failure is one line on standard error and a non-zero exit status."""
    raise SystemExit(run(app))

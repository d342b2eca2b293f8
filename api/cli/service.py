"""Commands that run the registry: serve the API, create its tables, load the demo programme."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from api import demo, keys
from api.cli.common import CLI_ACTOR, DatabaseOption, console, open_services, read_settings

WORKER_HEALTHCHECK_SECONDS = 60


def serve(
    database_url: DatabaseOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
) -> None:
    """Serve the HTTP API (settings from REGISTRY_* environment variables)."""
    import uvicorn  # the server and the web stack load only for `serve`: every other command starts faster

    from api.observability import configure_logging, logging_config

    settings = read_settings(database_url=database_url)
    os.environ["REGISTRY_DATABASE_URL"] = settings.database_url  # each worker process reads its settings anew
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
        # uvicorn's supervisor kills a worker that does not answer its ping within this many seconds (5 by
        # default): on a loaded machine a worker still starting (imports, its pool, the catch-up) was killed and
        # started again, endlessly, without a word in the log, and the server never answered.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def migrate(database_url: DatabaseOption = None) -> None:
    """Create the event store's and read models' tables if missing, then exit."""
    services = open_services(database_url)
    services.close()
    console.print("Schema ready.")


def load_demo(
    database_url: DatabaseOption = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the log already has events")] = False,
    admin_key: Annotated[bool, typer.Option("--admin-key", help="Also issue and print a local admin key")] = False,
) -> None:
    """Record the demo programme (the sovereign AI foundation-model story)."""
    services = open_services(database_url)
    try:
        if if_empty and services.projector.head() > 0:
            console.print(f"The log already holds {services.projector.head()} events; demo not loaded.")
            return
        steps = demo.load(services.registry)
        key = keys.create_key(services, name="local-admin", role="admin", actor=CLI_ACTOR) if admin_key else None
        services.projector.catch_up()
        # Counted after the key is issued (issuing a key is an event too), so the count agrees with /health.
        console.print(
            f"Recorded the demo programme {demo.PROGRAM} in {steps} steps; "
            f"the log now holds {services.projector.head()} events.",
            soft_wrap=True,
        )
        if key is not None:
            console.print("Admin key for local use (shown once; `registry keys create` makes more):")
            console.print(f"    [bold]{key.secret}[/bold]", soft_wrap=True)
            # soft_wrap: never broken across lines, so the command can be copied even from a log file or a pipe
            example = f"    curl -H 'Authorization: Bearer {key.secret}' http://127.0.0.1:8000/programs"
            console.print(example, soft_wrap=True)
    finally:
        services.close()

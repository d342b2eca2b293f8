"""What every command shares: the console it prints to, the database option, settings and services."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Services, build
from api.settings import ConfigurationError, Settings, load_settings

console = Console()
CLI_ACTOR = f"operator:{getpass.getuser()} (cli)"

DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", envvar="REGISTRY_DATABASE_URL", help="sqlite:///PATH or postgresql://…")
]
Names = Annotated[list[str] | None, typer.Argument(help="Read models (default: all)")]


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment and the options given; a bad setting ends the command with status 2."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def open_services(database_url: str | None) -> Services:
    """The registry, its read store and projector, on ``database_url`` (default: the environment's)."""
    return build(read_settings(database_url=database_url))

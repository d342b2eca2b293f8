"""What every command shares: the console it prints to, the database option, settings and services."""

from __future__ import annotations

import binascii
import getpass
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Services, build
from api.cli.failures import UnknownReadModelError, key_file_error, one_line
from api.settings import ConfigurationError, Settings, load_settings
from audit.signing import Signer

console = Console()
CLI_ACTOR = f"operator:{getpass.getuser()} (cli)"

DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", envvar="REGISTRY_DATABASE_URL", help="sqlite:///PATH or postgresql://…")
]
Names = Annotated[list[str] | None, typer.Argument(help="Read models (default: all)")]


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment and the options given; a bad setting ends the command: one line, status 2."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as error:
        typer.echo(f"error: {one_line(str(error))}", err=True)
        raise typer.Exit(2) from None


def open_services(database_url: str | None) -> Services:
    """The registry, its read store and projector, on ``database_url`` (default: the environment's)."""
    return build(read_settings(database_url=database_url))


def read_models(services: Services, names: list[str] | None) -> list[str]:
    """The read models named (default: all), or an UnknownReadModelError that lists the known ones."""
    known = list(services.projector.projections)
    unknown = [name for name in names or () if name not in known]
    if unknown:
        raise UnknownReadModelError(f"no read model named {', '.join(unknown)}; the read models are {', '.join(known)}")
    return services.projector.select(names)


def signer(services: Services) -> Signer:
    """The key that signs checkpoints, or a SigningKeyError naming the file and what is wrong with it."""
    try:
        return services.signer()
    except (ValueError, binascii.Error, OSError) as error:
        raise key_file_error(services.settings.signing_key_file, error) from None

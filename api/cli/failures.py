"""How the ``registry`` command fails: one line on standard error and a non-zero exit status, never a traceback.

A failure is one of these, with its exit status::

    bad arguments            a usage error from the command line (unknown option, missing value)    2
    bad configuration        a REGISTRY_* setting or --database-url that is not valid               2
    unknown read model       a name that is not standings, history or funding                       2
    database unreachable     the database refused or did not answer                                 3
    bad signing key file     the key file is not base64 of a 32-byte Ed25519 seed, or unreadable    4
    anything else            an error the registry did not expect; its type and message             1

``run`` is what the installed ``registry`` script calls; tests call it too.
"""

from __future__ import annotations

import binascii
import sqlite3
import sys
from collections.abc import Sequence

import psycopg
import psycopg_pool
import typer
from eventsourcing import persistence

from api.settings import ConfigurationError

DATABASE_ERRORS = (persistence.PersistenceError, psycopg.OperationalError, psycopg_pool.PoolTimeout, sqlite3.Error)


class UnknownReadModelError(Exception):
    """The command named a read model the registry does not keep."""


class SigningKeyError(Exception):
    """The signing key file could not be read as an Ed25519 seed."""


def one_line(text: str) -> str:
    """The message with its lines joined, so a failure never spans lines."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def describe(error: BaseException) -> tuple[str, int]:
    """The line to print for ``error`` and the exit status."""
    if isinstance(error, typer.TyperException):  # bad arguments: Typer's usage errors carry their context
        context = getattr(error, "ctx", None)
        hint = f" (see {context.command_path} --help)" if context is not None else ""
        return f"error: {one_line(error.format_message())}{hint}", getattr(error, "exit_code", 2) or 2
    if isinstance(error, ConfigurationError | UnknownReadModelError):
        return f"error: {one_line(str(error))}", 2
    if isinstance(error, DATABASE_ERRORS):
        return f"error: the database is unreachable or refused the command: {one_line(str(error))}", 3
    if isinstance(error, SigningKeyError):
        return f"error: {one_line(str(error))}", 4
    return f"error: {type(error).__name__}: {one_line(str(error))}", 1


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status; every failure is printed as one line."""
    try:
        command = typer.main.get_command(app)
        status = command.main(list(sys.argv[1:] if args is None else args), prog_name="registry", standalone_mode=False)
    except typer.Abort:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last resort of the command line: one line, never a traceback
        line, status = describe(error)
        print(line, file=sys.stderr)
        return status
    return status if isinstance(status, int) else 0


def key_file_error(path: object, error: ValueError | binascii.Error | OSError) -> SigningKeyError:
    """A SigningKeyError that names the file and what is wrong with it."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else one_line(str(error))
    return SigningKeyError(
        f"the signing key file {path} is not usable ({reason}); it must hold base64 of a 32-byte Ed25519 seed"
    )

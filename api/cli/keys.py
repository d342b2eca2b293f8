"""``registry keys``: issue, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api import keys
from api.cli.common import CLI_ACTOR, DatabaseOption, console, open_services
from domain import errors

app = typer.Typer(help="Issue, list and revoke API keys.")


@app.command("create")
def create_key(
    role: Annotated[str, typer.Option(help="admin, recorder or auditor")],
    name: Annotated[str, typer.Option(help="Who or what will use the key")],
    database_url: DatabaseOption = None,
) -> None:
    """Issue an API key; its secret is printed once and stored only as a hash."""
    services = open_services(database_url)
    try:
        key = keys.create_key(services, name=name, role=role, actor=CLI_ACTOR)
    except errors.RegistryError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Key {key.key_id} ({key.role}, {key.name}). Secret, shown once:")
    print(key.secret)


@app.command("list")
def list_keys(database_url: DatabaseOption = None) -> None:
    """List every key issued, with its role and whether it is revoked."""
    services = open_services(database_url)
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


@app.command("revoke")
def revoke_key(key_id: str, database_url: DatabaseOption = None) -> None:
    """Revoke a key: it stops working on the next request, in every process."""
    services = open_services(database_url)
    try:
        keys.revoke_key(services, key_id, actor=CLI_ACTOR)
    except errors.RegistryError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        services.close()
    console.print(f"Key {key_id} revoked.")

"""``registry audit``: the signing key, signed checkpoints, and verification of the log's integrity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from api.bootstrap import Services
from api.cli.common import DatabaseOption, console, open_services, signer
from audit import merkle
from audit.log import MerkleLog
from audit.signing import Checkpoint
from audit.verify import verify as verify_log
from projections.encoding import iso

app = typer.Typer(help="Checkpoints, public key and verification of the log's integrity.")


@app.command("public-key")
def public_key(database_url: DatabaseOption = None) -> None:
    """Print the public half of the key that signs checkpoints (base64, raw Ed25519)."""
    services = open_services(database_url)
    try:
        key = signer(services)
        console.print(f"Key {key.key_id} ({services.settings.signing_key_file}):")
        print(key.public_key)
    finally:
        services.close()


@app.command("checkpoint")
def audit_checkpoint(
    database_url: DatabaseOption = None,
    out: Annotated[Path | None, typer.Option(help="Also write the checkpoint to this JSON file")] = None,
) -> None:
    """Sign and print the tree head of the whole log (keep it to prove later that the log only grew)."""
    services = open_services(database_url)
    try:
        leaves = MerkleLog(services.registry).leaves()
        signed = signer(services).sign(len(leaves), merkle.root(leaves).hex(), iso(services.clock()))
    finally:
        services.close()
    text = orjson.dumps(signed.as_dict(), option=orjson.OPT_INDENT_2).decode()
    if out is not None:
        out.write_text(text + "\n")
    print(text)


@app.command("verify")
def audit_verify(
    database_url: DatabaseOption = None,
    checkpoint: Annotated[Path | None, typer.Option(help="A checkpoint JSON file from earlier")] = None,
    public_key: Annotated[
        str | None, typer.Option(help="The registry's public key you trust (default: the local signing key's)")
    ] = None,
) -> None:
    """Recompute every hash from the raw event store; with --checkpoint, prove the log only grew since."""
    services = open_services(database_url)
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
    return signer(services).public_key

"""``registry audit``: the signing key, signed checkpoints, verification, receipts and a witness.

A bad argument (an unreadable file, a malformed key or checkpoint) ends a command
with one line saying which and why, and status 2.
"""

from __future__ import annotations

import base64
import binascii
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from api.bootstrap import Services
from api.cli.common import DatabaseOption, console, open_services, signer
from audit.checkpoints import CheckpointError, Head, parse_body
from audit.note import NoteError, Verifier, parse_signer_key, split, verified
from audit.receipts import ReceiptError, check_receipt
from audit.signing import Checkpoint, signature_valid
from audit.verify import trusted_key
from audit.verify import verify as verify_log
from audit.witness import UrlClient, Witness, WitnessRefusedError, witness

app = typer.Typer(help="Checkpoints, public key, verification of the log's integrity, receipts and witnessing.")
KeyOption = Annotated[
    str | None,
    typer.Option(help="The registry's public key you trust: a verifier key (name+hash+key) or base64 of the raw key"),
]


def bad(option: str, message: str) -> typer.Exit:
    """One line on the console and status 2: the argument named and what is wrong with it."""
    console.print(f"[red]{option}: {message}[/red]", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise bad(option, f"cannot read {path}: {error.strerror}") from None


@app.command("public-key")
def public_key(database_url: DatabaseOption = None) -> None:
    """Print the public half of the key that signs checkpoints (base64, raw Ed25519) and its verifier key."""
    services = open_services(database_url)
    try:
        key = signer(services)
        console.print(f"Key {key.key_id} ({services.settings.signing_key_file}):")
        print(key.public_key)
        print(key.verifier(services.settings.log_origin).encoded())
    finally:
        services.close()


@app.command("checkpoint")
def audit_checkpoint(
    database_url: DatabaseOption = None,
    out: Annotated[Path | None, typer.Option(help="Also write the signed note to this file")] = None,
) -> None:
    """Sign and store a checkpoint of the whole log, and print it (a C2SP signed note; keep it)."""
    services = open_services(database_url)
    try:
        row = services.issuer().issue()
    finally:
        services.close()
    if row is None:
        raise bad("log", "the log is empty: there is nothing to sign")
    if out is not None:
        out.write_text(row.note)
    print(row.note, end="")


def read_checkpoint(path: Path, option: str = "--checkpoint") -> Checkpoint | str:
    """A signed note (from ``audit checkpoint`` or GET /audit/checkpoints), or the first JSON format."""
    raw = _read(path, option)
    try:
        text = raw.decode()
        if text.lstrip().startswith("{"):
            data = orjson.loads(raw)
            return Checkpoint(**{name: data[name] for name in Checkpoint.__dataclass_fields__})
        body, _ = split(text)
        parse_body(body)
        return text
    except (UnicodeDecodeError, orjson.JSONDecodeError, KeyError, TypeError, NoteError, CheckpointError) as error:
        raise bad(option, f"{path} is not a checkpoint ({error})") from None


def trusted(
    text: str | None, services: Services, option: str = "--public-key", *, needed: bool = True
) -> Verifier | None:
    """The key given, else the local signing key's; None when there is neither and it is not ``needed``."""
    if text is None:
        if not services.settings.signing_key_file.exists():
            if not needed:
                return None
            raise bad(option, "no local signing key: pass the registry's public key")
        return services.signer().verifier(services.settings.log_origin)
    try:
        return trusted_key(text, services.settings.log_origin)
    except NoteError as error:
        raise bad(option, str(error)) from None


@app.command("verify")
def audit_verify(
    database_url: DatabaseOption = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint file from earlier (signed note or JSON)")
    ] = None,
    public_key: KeyOption = None,
) -> None:
    """Recompute every hash from the raw event store and hold the log against every stored checkpoint.

    With --checkpoint, also prove the log only grew since that checkpoint.
    """
    old = None if checkpoint is None else read_checkpoint(checkpoint)
    services = open_services(database_url)
    try:
        key = trusted(public_key, services, needed=old is not None)
        report = verify_log(services.registry, old, key=key)
    finally:
        services.close()
    if not report.ok:
        for problem in report.problems[:10]:
            console.print(f"[red]{problem}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    signatures = "" if key is not None else " (their signatures unchecked: no key; pass --public-key)"
    console.print(
        f"Verified {report.events} events against {report.checkpoints} stored checkpoints{signatures};"
        f" root {report.root_hash}."
    )
    if report.checkpoint:
        console.print(f"Checkpoint: {report.checkpoint}.")


@app.command("check-receipt")
def audit_check_receipt(
    file: Path,
    public_key: Annotated[str, typer.Option(help="The registry's verifier key (name+hash+key)")],
) -> None:
    """Verify a receipt (from GET /audit/receipts/{position}) offline, with only the registry's public key."""
    try:
        data: Any = orjson.loads(_read(file, "FILE"))
    except orjson.JSONDecodeError:
        raise bad("FILE", f"{file} is not JSON") from None
    try:
        key = Verifier.parse(public_key)
    except NoteError as error:
        raise bad("--public-key", str(error)) from None
    try:
        proven = check_receipt(data, key)
    except ReceiptError as error:
        console.print(f"[red]The receipt does not verify: {error}.[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    console.print(f"The receipt verifies: {proven}.", soft_wrap=True, highlight=False)


@app.command("witness")
def audit_witness(
    url: Annotated[str, typer.Option(help="The registry's base URL")],
    log_key: Annotated[str, typer.Option(help="The registry's verifier key (name+hash+key)")],
    witness_key: Annotated[Path, typer.Option(help="File holding this witness's PRIVATE+KEY+name+hash+key")],
    state: Annotated[Path, typer.Option(help="File where the witness keeps the last checkpoint it cosigned")],
    api_key: Annotated[str, typer.Option(envvar="REGISTRY_API_KEY", help="An API key for the registry")] = "",
) -> None:
    """Fetch the latest checkpoint, check it extends the last one seen, cosign it and post the cosignature."""
    try:
        log = Verifier.parse(log_key)
    except NoteError as error:
        raise bad("--log-key", str(error)) from None
    try:
        name, private = parse_signer_key(_read(witness_key, "--witness-key").decode())
    except (NoteError, UnicodeDecodeError, ValueError, binascii.Error) as error:
        raise bad("--witness-key", f"{witness_key} does not hold a signer key ({error})") from None
    headers = {"X-API-Key": api_key} if api_key else {}
    try:
        head = witness(UrlClient(url, headers), log, Witness(name, private), state, int(time.time()))
    except (WitnessRefusedError, OSError, ValueError) as error:
        console.print(f"[red]Not cosigned: {error}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    root = base64.b64encode(head.root).decode()
    console.print(f"Cosigned {head.origin} at {head.tree_size} events, root {root}.", highlight=False)


def checkpoint_head(path: Path, key: Verifier) -> Head:
    """The head of a signed checkpoint file, verified with ``key`` (for ``registry import --checkpoint``)."""
    found = read_checkpoint(path)
    if isinstance(found, Checkpoint):
        if not signature_valid(found, base64.b64encode(key.public).decode()):
            raise bad("--checkpoint", "the checkpoint's signature does not verify with the registry's key")
        return Head(key.name, found.tree_size, bytes.fromhex(found.root_hash))
    try:
        return parse_body(verified(found, key))
    except (NoteError, CheckpointError) as error:
        raise bad("--checkpoint", str(error)) from None

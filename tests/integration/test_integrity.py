"""What an auditor can check: proofs from the API, signed checkpoints, and tampering found by `audit verify`.

Proofs are verified with the RFC 9162 algorithms in tests/unit/test_merkle.py
and event hashes recomputed here from the documented canonical encoding, so
none of the code that made a proof checks it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo
from api.app import create_app
from api.bootstrap import Services
from api.cli import app as cli
from api.keys import create_key
from audit import merkle
from audit.log import MerkleLog
from domain.commands import GrantFunding, IncreaseBudget
from domain.registry import Context
from tests.conftest import Clock
from tests.unit.test_merkle import verify_consistency, verify_inclusion

BOTH = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
ALL = pytest.mark.parametrize("store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture(autouse=True)
def story(services: Services, clock: Clock, tmp_path: Path) -> None:
    """The demo plus ~200 grants: a log of about three hundred events."""
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    ctx = Context(actor="test", reason="more events")
    services.registry.increase_budget(ctx, IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=1000))
    for i in range(200):
        services.registry.grant_funding(
            ctx,
            GrantFunding(
                program_code=demo.PROGRAM,
                team_code=("HANBIT", "SEOGANG")[i % 2],
                resource="krw:data",
                quantity=1,
                period_start=date(2026, 9, 1),
                period_end=date(2026, 12, 31),
            ),
        )


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    key = create_key(services, name="auditor", role="auditor", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": key.secret}) as client:
        yield client


def recomputed_leaves(services: Services) -> dict[int, bytes]:
    """Position → Merkle leaf hash, from the raw stored events and the documented encoding alone."""
    heads: dict[str, str] = {}
    leaves = {}
    for n in services.registry.recorder.select_notifications(start=1, limit=100_000):
        stream = str(n.originator_id)
        document = {
            "prev": heads.get(stream, ""),
            "state": json.loads(n.state),
            "stream": stream,
            "topic": n.topic,
            "version": n.originator_version,
        }
        encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        heads[stream] = hashlib.sha256(encoded).hexdigest()
        leaves[n.id] = hashlib.sha256(b"\x00" + bytes.fromhex(heads[stream])).digest()
    return leaves


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH written recursively, independent of audit.merkle's iterative version."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


@ALL
def test_a_signed_checkpoint_and_every_inclusion_proof_verify_independently(
    services: Services, client: TestClient
) -> None:
    leaves = recomputed_leaves(services)
    positions = sorted(leaves)
    assert len(positions) >= 300
    checkpoint = client.get("/audit/checkpoint").json()
    assert checkpoint["tree_size"] == len(positions)
    assert checkpoint["root_hash"] == mth([leaves[p] for p in positions]).hex()
    signed = (
        f"program-registry checkpoint v1\n{checkpoint['tree_size']}\n{checkpoint['root_hash']}\n"
        f"{checkpoint['timestamp']}\n"
    ).encode()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(client.get("/audit/public-key").json()["public_key"]))
    key.verify(base64.b64decode(checkpoint["signature"]), signed)  # raises if forged

    for size in (len(positions), 1, 64, 100, 257):
        head = mth([leaves[p] for p in positions[:size]])
        chosen = positions[:size] if size == len(positions) else positions[: size : max(1, size // 10)]
        for position in chosen:
            proof = client.get(f"/audit/events/{position}/proof", params={"tree_size": size}).json()
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            assert verify_inclusion(proof["leaf_index"], size, leaves[position], path, head), (size, position)
    outside = client.get(f"/audit/events/{positions[-1]}/proof", params={"tree_size": 10})
    assert outside.status_code == 404


@BOTH
def test_consistency_proofs_between_sizes_verify_independently(services: Services, client: TestClient) -> None:
    leaves = [v for _, v in sorted(recomputed_leaves(services).items())]
    for first, second in (
        (1, 2),
        (7, 8),
        (50, 51),
        (64, 300),
        (100, 257),
        (150, len(leaves)),
        (len(leaves), len(leaves)),
    ):
        proof = client.get("/audit/consistency", params={"first": first, "second": second}).json()["proof"]
        assert verify_consistency(
            first, second, mth(leaves[:first]), mth(leaves[:second]), [bytes.fromhex(h) for h in proof]
        ), (first, second)
    assert client.get("/audit/consistency", params={"first": 9, "second": 3}).status_code == 422


def _verify(services: Services, *extra: str) -> Any:
    return CliRunner().invoke(
        cli,
        ["audit", "verify", "--database-url", services.settings.database_url, *extra],
        env={"REGISTRY_SIGNING_KEY_FILE": str(services.settings.signing_key_file)},
    )


def _tamper(services: Services, sql: str, *params: Any) -> None:
    """Change the raw event store behind the registry's back, as an intruder with database access would."""
    recorder: Any = services.registry.recorder
    table = recorder.events_table_name
    id_column = "rowid" if services.settings.database_url.startswith("sqlite") else "notification_id"
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(sql.format(table=table, id=id_column), params)


def _state(services: Services, position: int) -> bytes:
    (event,) = services.registry.recorder.select_notifications(start=position, limit=1)
    return bytes(event.state)


def _mark(services: Services) -> str:
    return "?" if services.settings.database_url.startswith("sqlite") else "%s"


@BOTH
def test_verify_passes_untouched_and_names_an_altered_event(services: Services) -> None:
    assert _verify(services).exit_code == 0
    m = _mark(services)
    state = _state(services, 57)
    _tamper(services, f"UPDATE {{table}} SET state = {m} WHERE {{id}} = 57", state.replace(b"10", b"11", 1))
    result = _verify(services)
    assert result.exit_code == 1
    assert "altered event at position 57" in result.output


@BOTH
def test_verify_names_a_deleted_event(services: Services) -> None:
    _tamper(services, "DELETE FROM {table} WHERE {id} = 123")
    result = _verify(services)
    assert result.exit_code == 1
    assert "missing event at position 123" in result.output


@BOTH
def test_verify_names_the_first_of_two_swapped_events(services: Services) -> None:
    m = _mark(services)
    first, second = _state(services, 150), _state(services, 160)
    _tamper(services, f"UPDATE {{table}} SET state = {m} WHERE {{id}} = 150", second)
    _tamper(services, f"UPDATE {{table}} SET state = {m} WHERE {{id}} = 160", first)
    result = _verify(services)
    assert result.exit_code == 1
    assert "position 150" in result.output


@BOTH
def test_an_old_checkpoint_proves_the_log_only_grew_and_exposes_a_rewrite(services: Services, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.note"
    env = {"REGISTRY_SIGNING_KEY_FILE": str(services.settings.signing_key_file)}
    made = CliRunner().invoke(
        cli, ["audit", "checkpoint", "--out", str(saved), "--database-url", services.settings.database_url], env=env
    )
    assert made.exit_code == 0, made.output
    legacy = tmp_path / "checkpoint.json"  # the first format stays verifiable
    leaves = MerkleLog(services.registry).leaves()
    signed = services.signer().sign(len(leaves), merkle.root(leaves).hex(), "2026-11-01T00:00:00Z")
    legacy.write_text(json.dumps(signed.as_dict()))
    services.registry.increase_budget(
        Context(actor="test"), IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=5)
    )
    for kept in (saved, legacy):
        grown = _verify(services, "--checkpoint", str(kept))
        assert grown.exit_code == 0, grown.output
        assert "only grew" in grown.output

    forged = json.loads(legacy.read_text())
    forged["tree_size"] -= 1
    legacy.write_text(json.dumps(forged))
    assert "signature does not verify" in _verify(services, "--checkpoint", str(legacy)).output
    origin, size, root, *rest = saved.read_text().split("\n")
    saved.write_text("\n".join([origin, str(int(size) - 1), root, *rest]))
    assert "invalid signature" in _verify(services, "--checkpoint", str(saved)).output


@BOTH
def test_an_auditor_verifies_a_checkpoint_from_the_api_with_the_public_key_they_trust(
    services: Services, client: TestClient, tmp_path: Path
) -> None:
    saved = tmp_path / "from-api.json"
    saved.write_bytes(client.get("/audit/checkpoint").content)
    trusted = client.get("/audit/public-key").json()["public_key"]
    elsewhere = {"REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "no-such-key")}  # an auditor's machine has no key
    url = ["--database-url", services.settings.database_url]
    result = CliRunner().invoke(
        cli, ["audit", "verify", "--checkpoint", str(saved), "--public-key", trusted, *url], env=elsewhere
    )
    assert result.exit_code == 0, result.output
    assert "only grew" in result.output
    without = CliRunner().invoke(cli, ["audit", "verify", "--checkpoint", str(saved), *url], env=elsewhere)
    assert without.exit_code == 2 and "--public-key" in without.output
    assert not (tmp_path / "no-such-key").exists()
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    forged = CliRunner().invoke(
        cli,
        ["audit", "verify", "--checkpoint", str(saved), "--public-key", base64.b64encode(other).decode(), *url],
        env=elsewhere,
    )
    assert forged.exit_code == 1 and "signature does not verify" in forged.output


@BOTH
def test_bad_arguments_to_verify_end_in_one_line_naming_the_argument(services: Services, tmp_path: Path) -> None:
    junk = tmp_path / "junk.note"
    junk.write_text("not a checkpoint\n")
    for extra, named in (
        (["--public-key", "abc"], "--public-key"),
        (["--public-key", "a+b+c"], "--public-key"),
        (["--checkpoint", str(tmp_path / "no-such-file")], "--checkpoint"),
        (["--checkpoint", str(junk)], "--checkpoint"),
    ):
        result = _verify(services, *extra)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output


@BOTH
def test_verify_holds_the_log_against_every_stored_checkpoint_by_default(services: Services) -> None:
    services.issuer().issue()
    services.registry.increase_budget(
        Context(actor="test"), IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=5)
    )
    services.issuer().issue()
    result = _verify(services)
    assert result.exit_code == 0, result.output
    assert "against 2 stored checkpoints" in result.output

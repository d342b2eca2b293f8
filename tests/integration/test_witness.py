"""A witness round trip: it cosigns a checkpoint only once the log is shown to extend what it saw, never a fork."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo
from api.app import create_app
from api.bootstrap import Services, build
from api.cli import app as cli
from api.keys import create_key
from api.settings import Settings
from audit.note import Verifier, cosign, cosignature_valid, signer_key, split
from audit.witness import Witness, WitnessRefusedError, load_state, witness
from domain.commands import GrantFunding, IncreaseBudget
from domain.registry import Context, Registry
from tests.conftest import Clock

ME = Witness("witness.example/w1", Ed25519PrivateKey.generate())


@pytest.fixture
def store() -> str:
    return "memory"


def grants(registry: Registry, count: int, quantity: int = 1) -> None:
    """``count`` events: a budget increase, then grants of ``quantity``."""
    more = IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=count * quantity)
    registry.increase_budget(Context(actor="test"), more)
    for _ in range(count - 1):
        grant = GrantFunding(
            program_code=demo.PROGRAM,
            team_code="HANBIT",
            resource="krw:data",
            quantity=quantity,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 12, 31),
        )
        registry.grant_funding(Context(actor="test"), grant)


def serve(services: Services, tmp_path: Path) -> TestClient:
    services.settings = services.settings.model_copy(
        update={"signing_key_file": tmp_path / "signing.key", "witness_keys": [ME.verifier.encoded()]}
    )
    key = create_key(services, name="witness", role="auditor", actor="test")
    return TestClient(create_app(services=services), headers={"X-API-Key": key.secret})


@pytest.fixture
def client(services: Services, clock: Clock, tmp_path: Path) -> Iterator[TestClient]:
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    with serve(services, tmp_path) as client:
        yield client


class BentProof:
    """The registry as a liar would run it: every consistency proof it serves has one node changed."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        answer = self.client.get(url, **kwargs)
        if url == "/audit/consistency":
            body = answer.json()
            body["proof"][0] = "00" * 32
            return SimpleNamespace(status_code=200, json=lambda: body)
        return answer

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.client.put(url, **kwargs)


def cosignatures(client: TestClient, size: int) -> list[str]:
    rows = client.get("/audit/checkpoints").json()["checkpoints"]
    found: list[str] = next(row["cosignatures"] for row in rows if row["tree_size"] == size)
    return found


def test_the_witness_cosigns_the_second_checkpoint_only_after_the_consistency_proof_checks(
    services: Services, client: TestClient, tmp_path: Path
) -> None:
    state = tmp_path / "witness.json"
    log_key = Verifier.parse(client.get("/audit/checkpoints").json()["verifier_key"])
    first = services.issuer().issue()
    assert first is not None
    assert witness(client, log_key, ME, state, now=1_800_000_000).tree_size == first.tree_size
    grants(services.registry, 7)
    second = services.issuer().issue()
    assert second is not None and second.tree_size > first.tree_size

    with pytest.raises(WitnessRefusedError, match="consistency proof"):
        witness(BentProof(client), log_key, ME, state, now=1_800_000_060)
    assert cosignatures(client, second.tree_size) == []
    saw = load_state(state)
    assert saw is not None and saw.tree_size == first.tree_size

    assert witness(client, log_key, ME, state, now=1_800_000_120).tree_size == second.tree_size
    (line,) = cosignatures(client, second.tree_size)
    text, _ = split(second.note)
    assert cosignature_valid(text, line, ME.verifier)
    latest = client.get("/audit/checkpoints/latest").json()
    assert latest["cosigned_note"] == second.note + line


def test_a_forked_log_of_the_same_size_is_refused(
    services: Services, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    state = tmp_path / "witness.json"
    log_key = Verifier.parse(client.get("/audit/checkpoints").json()["verifier_key"])
    grants(services.registry, 3)
    seen = services.issuer().issue()
    assert seen is not None
    witness(client, log_key, ME, state, now=1_800_000_000)

    fork = build(Settings(database_url="memory://"), clock=clock)  # same key and origin, another history
    try:
        demo.load(fork.registry)
        grants(fork.registry, 3, quantity=2)
        with serve(fork, tmp_path) as forked:
            shown = fork.issuer().issue()
            assert shown is not None and shown.tree_size == seen.tree_size and shown.note != seen.note
            with pytest.raises(WitnessRefusedError, match="forked"):
                witness(forked, log_key, ME, state, now=1_800_000_060)
            assert cosignatures(forked, shown.tree_size) == []
    finally:
        fork.close()


def test_the_registry_refuses_a_cosignature_from_an_unconfigured_key(services: Services, client: TestClient) -> None:
    row = services.issuer().issue()
    assert row is not None
    stranger = Witness("stranger", Ed25519PrivateKey.generate())
    line = cosign(split(row.note)[0], stranger.name, stranger.private, 1_800_000_000)
    answer = client.put(f"/audit/checkpoints/{row.tree_size}/cosignatures", json={"cosignature": line})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert cosignatures(client, row.tree_size) == []


def test_the_witness_command_turns_bad_arguments_into_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "witness.key"
    key_file.write_text(signer_key(ME.name, ME.private.private_bytes_raw()))
    args = ["--url", "http://127.0.0.1:9", "--witness-key", str(key_file), "--state", str(tmp_path / "s.json")]
    bad = CliRunner().invoke(cli, ["audit", "witness", "--log-key", "abc", *args])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "--log-key" in bad.output
    log_key = Verifier(ME.name, ME.verifier.public).encoded()
    down = CliRunner().invoke(cli, ["audit", "witness", "--log-key", log_key, *args])  # nothing listens on port 9
    assert down.exit_code == 1 and "Not cosigned" in down.output

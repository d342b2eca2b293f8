"""Decision receipts: every write says where its events sit, and a receipt verifies with nothing of the registry.

The verifier is the recipe in README.md, run as its own program with Python's
isolated mode (``-I``) from a directory outside the project: it can import the
standard library and ``cryptography``, nothing else, and a test checks its imports.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo
from api.app import create_app
from api.bootstrap import Services
from api.cli import app as cli
from api.keys import create_key
from tests.conftest import Clock

README = Path(__file__).parents[2] / "README.md"
runner = CliRunner()


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def client(services: Services, clock: Clock, tmp_path: Path) -> Iterator[TestClient]:
    services.settings = services.settings.model_copy(
        update={"signing_key_file": tmp_path / "signing.key", "checkpoint_every": 5}
    )
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    services.projector.catch_up()
    key = create_key(services, name="admin", role="admin", actor="test")
    with TestClient(create_app(services=services), headers={"Authorization": f"Bearer {key.secret}"}) as client:
        yield client


def recipe(tmp_path: Path) -> Path:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    script = tmp_path / "outside" / "recipe.py"
    script.parent.mkdir()
    script.write_text(code)
    return script


def run_recipe(script: Path, receipt: dict[str, Any], key: str) -> subprocess.CompletedProcess[str]:
    path = script.parent / "receipt.json"
    path.write_text(json.dumps(receipt))
    return subprocess.run(
        [sys.executable, "-I", str(script), str(path), key],
        cwd=script.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def a_decision(client: TestClient) -> dict[str, Any]:
    answer = client.post(f"/programs/{demo.PROGRAM}/budget-increases", json={"resource": "krw:data", "amount": 5})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_every_write_answers_each_events_position_leaf_and_hash(client: TestClient) -> None:
    (event,) = a_decision(client)["events"]
    leaf = client.get(f"/audit/events/{event['position']}").json()
    assert (event["leaf_index"], event["event_hash"]) == (leaf["leaf_index"], leaf["event_hash"])
    assert hashlib.sha256(base64.b64decode(leaf["canonical"])).hexdigest() == event["event_hash"]
    assert leaf["canonical_text"].encode() == base64.b64decode(leaf["canonical"])
    document = json.loads(leaf["canonical_text"])
    assert document["prev"] == leaf["prev_hash"] and document["topic"] == "registry:BudgetIncreased"
    assert leaf["history"]["position"] == event["position"] and leaf["history"]["event_type"] == "BudgetIncreased"
    proof = client.get(f"/audit/events/{event['position']}/proof").json()
    assert proof["leaf_index"] == event["leaf_index"] and proof["event_hash"] == event["event_hash"]
    assert client.get("/audit/events/999999").status_code == 404


def test_the_recipe_verifies_a_receipt_with_only_the_standard_library_and_cryptography(
    client: TestClient, tmp_path: Path
) -> None:
    script = recipe(tmp_path)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(script.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imported <= {"base64", "hashlib", "json", "sys", "cryptography"}
    key = client.get("/audit/checkpoints").json()["verifier_key"]
    for event in a_decision(client)["events"]:
        receipt = client.get(f"/audit/receipts/{event['position']}").json()
        done = run_recipe(script, receipt, key)
        assert done.returncode == 0, done.stderr
        assert f"event {event['position']} is leaf {event['leaf_index']} of program-registry" in done.stdout
        forged = {**receipt, "canonical": base64.b64encode(base64.b64decode(receipt["canonical"]) + b" ").decode()}
        assert "the event's bytes" in run_recipe(script, forged, key).stderr
        moved = {**receipt, "leaf_index": receipt["leaf_index"] ^ 1}
        assert run_recipe(script, moved, key).returncode != 0
        resigned = {**receipt, "checkpoint": receipt["checkpoint"].replace("\n\n— program-registry ", "\n\n— other ")}
        assert "signature" in run_recipe(script, resigned, key).stderr


def test_check_receipt_verifies_offline_with_the_public_key_alone(client: TestClient, tmp_path: Path) -> None:
    (event,) = a_decision(client)["events"]
    saved = tmp_path / "receipt.json"
    saved.write_bytes(client.get(f"/audit/receipts/{event['position']}").content)
    key = client.get("/audit/checkpoints").json()["verifier_key"]
    elsewhere = {"REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "none"), "REGISTRY_DATABASE_URL": "sqlite:///nowhere/x"}
    result = runner.invoke(cli, ["audit", "check-receipt", str(saved), "--public-key", key], env=elsewhere)
    assert result.exit_code == 0, result.output
    assert f"event {event['position']} (registry:BudgetIncreased" in result.output
    receipt = json.loads(saved.read_text())
    receipt["inclusion_proof"] = receipt["inclusion_proof"][::-1] or ["00" * 32]
    saved.write_text(json.dumps(receipt))
    refused = runner.invoke(cli, ["audit", "check-receipt", str(saved), "--public-key", key], env=elsewhere)
    assert refused.exit_code == 1 and "inclusion proof" in refused.output
    bad = runner.invoke(cli, ["audit", "check-receipt", str(saved), "--public-key", "abc"], env=elsewhere)
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "--public-key" in bad.output


def test_checkpoints_are_signed_every_n_events_and_served_in_pages(client: TestClient) -> None:
    first_leaf = a_decision(client)["events"][0]["leaf_index"]  # the demo's leaves come before it
    for _ in range(11):
        a_decision(client)
    first = client.get("/audit/checkpoints", params={"limit": 1}).json()
    assert len(first["checkpoints"]) == 1 and first["next_after"] == first["checkpoints"][0]["tree_size"]
    rest = client.get("/audit/checkpoints", params={"after": first["next_after"]}).json()
    sizes = [c["tree_size"] for c in first["checkpoints"] + rest["checkpoints"]]
    assert sizes == sorted(sizes) and len(sizes) >= 2 and rest["next_after"] is None
    # The demo's log, loaded unsigned, is signed in steps of five (the last step under ten) when the first write
    # makes a checkpoint due; from then on, one event per write and a checkpoint every five.
    steps = [b - a for a, b in pairwise([0, *sizes])]
    assert all(5 <= step < 10 for step in steps)
    writes = [size for size in sizes if size > first_leaf]
    assert len(writes) >= 2 and all(b - a == 5 for a, b in pairwise(writes))
    assert client.get("/audit/checkpoints/latest").json()["tree_size"] == sizes[-1]


def test_the_web_view_offers_each_events_receipt(client: TestClient) -> None:
    page = client.get(f"/ui/programs/{demo.PROGRAM}").text
    positions = re.findall(r'href="/audit/receipts/(\d+)"', page)
    assert positions
    assert client.get(f"/audit/receipts/{positions[0]}").json()["position"] == int(positions[0])

"""Exports an auditor can take away: the whole log with hashes, and a programme's history as CSV or JSON Lines.

An export imported into an empty PostgreSQL database yields the same Merkle
root; a tampered export is refused at its first bad line and nothing is written.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo
from api.app import create_app
from api.bootstrap import Services, build
from api.cli import app as cli
from api.keys import create_key, revoke_key
from api.settings import Settings
from audit import merkle
from audit.checkpoints import Head
from audit.log import MerkleLog
from audit.transfer import export_log
from domain.commands import OpenProgram
from tests import scratch
from tests.conftest import Clock

ALL = pytest.mark.parametrize("store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
runner = CliRunner()


@pytest.fixture(autouse=True)
def story(services: Services, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    services.projector.catch_up()


@pytest.fixture(scope="module")
def second_postgres(postgres_admin_url: str, scratch_name: str) -> Iterator[str]:
    """A second database on the test server, beside the worker's; dropped after the module."""
    with scratch.database(postgres_admin_url, f"{scratch_name}_import") as url:
        yield url


@pytest.fixture
def empty_postgres(second_postgres: str) -> str:
    """The second database, emptied before the test."""
    scratch.empty(second_postgres)
    return second_postgres


def root_of(services: Services) -> str:
    return merkle.root(MerkleLog(services.registry).leaves()).hex()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.postgres
def test_export_then_import_into_an_empty_postgres_gives_the_same_root(
    services: Services, empty_postgres: str, tmp_path: Path
) -> None:
    exported = tmp_path / "log.jsonl"
    result = runner.invoke(cli, ["export", str(exported), "--database-url", services.settings.database_url])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    events = [line for line in lines if "checkpoint" not in line]
    assert len(events) == services.projector.head()
    assert {"leaf", "position", "stream", "version", "topic", "state", "prev_hash", "hash"} == set(events[0])
    assert "checkpoint" in lines[0]  # every event comes after a signed checkpoint that covers it

    result = runner.invoke(cli, ["import", str(exported), "--database-url", empty_postgres])
    assert result.exit_code == 0, result.output
    imported = build(Settings(database_url=empty_postgres))
    try:
        assert root_of(imported) == root_of(services)
        assert imported.registry.candidacy(demo.PROGRAM, "HWARANG").status == "active"
        assert imported.projector.positions()["standings"] == imported.projector.head()
    finally:
        imported.close()
    again = runner.invoke(cli, ["import", str(exported), "--database-url", empty_postgres])
    assert again.exit_code == 1 and "the store already holds events" in again.output
    assert "line 0" not in again.output


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["sqlite"])
def test_into_postgres_a_refused_import_writes_nothing_and_a_good_one_counts_revocations(
    services: Services, empty_postgres: str, tmp_path: Path
) -> None:
    """PostgreSQL imports by COPY in one transaction: a refusal rolls it back, the row triggers still fire."""
    for name in ("first", "second"):
        revoke_key(services, create_key(services, name=name, role="auditor", actor="test").key_id, actor="test")
    exported = tmp_path / "log.jsonl"
    with exported.open("wb") as out:
        written = export_log(services.issuer(), out)
    lines = exported.read_text().splitlines()
    tampered = json.loads(lines[-1])
    tampered["state"]["reason"] = "Rewritten later"
    (tmp_path / "bad.jsonl").write_text("\n".join([*lines[:-1], json.dumps(tampered)]) + "\n")
    url = ["--database-url", empty_postgres]
    sequence = "SELECT last_value, is_called FROM registry_events_notification_id_seq"
    build(Settings(database_url=empty_postgres)).close()  # the tables, as any command makes them
    with psycopg.connect(empty_postgres) as conn:
        before = conn.execute(sequence).fetchone()
    refused = runner.invoke(cli, ["import", str(tmp_path / "bad.jsonl"), *url])
    assert refused.exit_code == 1 and f"line {len(lines)}" in refused.output, refused.output
    with psycopg.connect(empty_postgres) as conn:
        counts = conn.execute(
            "SELECT (SELECT COUNT(*) FROM registry_events), (SELECT COUNT(*) FROM registry_chain),"
            " (SELECT COUNT(*) FROM registry_checkpoints)"
        ).fetchone()
        assert counts == (0, 0, 0)
        assert conn.execute(sequence).fetchone() == before  # no position was taken
    assert before is not None
    first = before[0] + (1 if before[1] else 0)  # what nextval would have handed out
    imported_ = runner.invoke(cli, ["import", str(exported), *url])
    assert imported_.exit_code == 0, imported_.output
    imported = build(Settings(database_url=empty_postgres))
    try:
        assert root_of(imported) == root_of(services)
        assert imported.registry.recorder.revocations() == 2  # type: ignore[attr-defined]
        links = list(MerkleLog(imported.registry).links())
        assert [link.position for link in links] == list(range(first, first + written))
        assert [link.leaf for link in links] == list(range(written))
    finally:
        imported.close()


@ALL
def test_a_tampered_export_is_refused_at_its_first_bad_line_and_nothing_is_written(
    services: Services, tmp_path: Path
) -> None:
    exported = tmp_path / "log.jsonl"
    with exported.open("wb") as out:  # the function behind `registry export`: works on the in-memory store too
        assert export_log(services.issuer(), out) == services.projector.head()
    lines = exported.read_text().splitlines()
    tampered = json.loads(lines[41])
    tampered["state"]["reason"] = "Rewritten later"
    lines[41] = json.dumps(tampered, ensure_ascii=False)
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    result = runner.invoke(cli, ["import", str(tmp_path / "bad.jsonl"), "--database-url", target])
    assert result.exit_code == 1
    assert "line 42" in result.output
    fresh = build(Settings(database_url=target))
    try:
        assert fresh.projector.head() == 0
    finally:
        fresh.close()
    dropped = [line for i, line in enumerate(exported.read_text().splitlines()) if i != 10]
    (tmp_path / "gap.jsonl").write_text("\n".join(dropped) + "\n")
    gap = runner.invoke(cli, ["import", str(tmp_path / "gap.jsonl"), "--database-url", target])
    assert gap.exit_code == 1 and "line" in gap.output


@ALL
def test_history_exports_stream_every_filtered_event_as_csv_and_json_lines(services: Services) -> None:
    key = create_key(services, name="auditor", role="auditor", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": key.secret}) as client:
        page = client.get(f"/programs/{demo.PROGRAM}/history", params={"team": "HWARANG", "limit": 1000}).json()
        expected = [e["position"] for e in page["events"]]
        jsonl = client.get(f"/programs/{demo.PROGRAM}/history/export", params={"team": "HWARANG", "format": "jsonl"})
        assert jsonl.status_code == 200
        assert jsonl.headers["content-type"].startswith("application/x-ndjson")
        rows: list[dict[str, Any]] = [json.loads(line) for line in jsonl.text.splitlines()]
        assert [r["position"] for r in rows] == expected
        assert rows[0]["data"]["name_ko"] == "화랑 AI 연합"
        exported = client.get(f"/programs/{demo.PROGRAM}/history/export", params={"team": "HWARANG", "format": "csv"})
        table = list(csv.DictReader(io.StringIO(exported.text)))
        assert [int(r["position"]) for r in table] == expected
        assert {r["team_code"] for r in table} == {"HWARANG"}
        everything = client.get(f"/programs/{demo.PROGRAM}/history/export", params={"format": "csv"})
        all_rows = client.get(f"/programs/{demo.PROGRAM}/history", params={"limit": 1000}).json()["events"]
        assert len(list(csv.DictReader(io.StringIO(everything.text)))) == len(all_rows) == 182


@ALL
def test_a_korean_programme_code_exports_under_an_encoded_file_name(services: Services) -> None:
    from domain.registry import Context

    services.registry.open_program(
        Context(actor="test"),
        OpenProgram(
            program_code="한국-AI",
            title_ko="한국",
            title_en="Korea",
            agency="A",
            stages=[{"name": "S", "seats": 1}],
            budgets={},
            finalist_count=1,
        ),
    )
    services.projector.catch_up()
    key = create_key(services, name="auditor", role="auditor", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": key.secret}) as client:
        exported = client.get("/programs/한국-AI/history/export", params={"format": "csv"})
    assert exported.status_code == 200
    assert "filename*=UTF-8''%ED%95%9C%EA%B5%AD-AI-history.csv" in exported.headers["content-disposition"]
    assert "ProgramOpened" in exported.text


def test_import_checks_the_log_against_a_given_checkpoint_and_key(services: Services, tmp_path: Path) -> None:
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    env = {"REGISTRY_SIGNING_KEY_FILE": str(services.settings.signing_key_file)}
    exported = tmp_path / "log.jsonl"
    with exported.open("wb") as out:
        export_log(services.issuer(), out)
    kept = tmp_path / "kept.note"
    kept.write_text(services.issuer().issue().note)  # type: ignore[union-attr]
    origin = services.settings.log_origin
    forged = tmp_path / "forged.note"
    other_root = Head(origin, services.projector.head() - 3, bytes(32)).body()
    forged.write_text(services.signer().sign_note(other_root, origin))

    def into(name: str, *extra: str) -> Any:
        target = ["--database-url", f"sqlite:///{tmp_path / name}"]
        return runner.invoke(cli, ["import", str(exported), *target, *extra], env=env)

    assert into("a.sqlite3", "--checkpoint", str(kept)).exit_code == 0
    refused = into("b.sqlite3", "--checkpoint", str(forged))
    assert refused.exit_code == 1 and "differs from the --checkpoint" in refused.output
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    wrong_key = into("c.sqlite3", "--public-key", base64.b64encode(stranger).decode())
    assert wrong_key.exit_code == 1 and "line 1:" in wrong_key.output and "does not verify" in wrong_key.output
    bad_key = into("d.sqlite3", "--public-key", "abc")
    assert bad_key.exit_code == 2 and len(bad_key.output.strip().splitlines()) == 1

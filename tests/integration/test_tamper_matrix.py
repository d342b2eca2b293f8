"""Every alteration an intruder can make is caught, and the altered event named, by every check.

The alterations (rows) are made to the raw SQLite store behind the registry's
back, or to an export file; the checks (columns) are ``registry audit verify``
(the chain and every stored signed checkpoint), ``registry audit verify
--checkpoint FILE`` (with a stored checkpoint an auditor saved), and ``registry
import`` of an export. The sophisticated alterations recompute what the chain
would show (a swap moves events *and* their links, a rechained payload gets new
hashes down its stream, a deleted last event closes the leaf numbering behind
it), so only the signed checkpoints can tell where the log parts from them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api import demo
from api.bootstrap import Services
from api.cli import app as cli
from domain.commands import GrantFunding, IncreaseBudget
from domain.registry import Context
from eventstore.chain import event_hash
from eventstore.checkpoints import CheckpointTable
from tests.conftest import Clock

runner = CliRunner()


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture(autouse=True)
def story(services: Services, clock: Clock, tmp_path: Path) -> None:
    """The demo and forty grants, a signed checkpoint over all of it, and an export."""
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    ctx = Context(actor="test", reason="more events")
    services.registry.increase_budget(ctx, IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=100))
    for i in range(40):
        team = ("HANBIT", "SEOGANG")[i % 2]
        grant = GrantFunding(
            program_code=demo.PROGRAM,
            team_code=team,
            resource="krw:data",
            quantity=1,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 12, 31),
        )
        services.registry.grant_funding(ctx, grant)
        if i == 20:
            services.issuer().issue()  # two stored checkpoints: the second adds the rest
    env = {"REGISTRY_SIGNING_KEY_FILE": str(services.settings.signing_key_file)}
    url = ["--database-url", services.settings.database_url]
    assert runner.invoke(cli, ["export", str(tmp_path / "log.jsonl"), *url], env=env).exit_code == 0
    (tmp_path / "checkpoint.note").write_text(CheckpointTable(services.registry.recorder).rows()[-1].note)


# --- the store, raw --------------------------------------------------------------------------


def events(services: Services) -> list[Any]:
    return list(services.registry.recorder.select_notifications(start=1, limit=10_000))


def streams(services: Services) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for event in events(services):
        found.setdefault(str(event.originator_id), []).append(event)
    return found


def sql(services: Services, statement: str, *params: Any) -> None:
    recorder: Any = services.registry.recorder
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(statement.format(table=recorder.events_table_name), params)


def mid_stream(services: Services) -> int:
    """An event in the middle of the log with later events in its stream."""
    long = max(streams(services).values(), key=len)
    return int(long[len(long) // 2].id)


def last_of_a_stream(services: Services) -> int:
    """The last event of a stream that is not the last event of the log."""
    head = events(services)[-1].id
    return max(int(s[-1].id) for s in streams(services).values() if s[-1].id < head - 3)


def neighbours(services: Services) -> int:
    """An event whose successor in the log belongs to another stream."""
    log = events(services)
    middle = len(log) // 2
    return next(int(a.id) for a, b in pairwise(log[middle:]) if a.originator_id != b.originator_id)


def flipped(state: bytes) -> bytes:
    at = state.index(b'"actor":"') + len(b'"actor":"')
    return state[:at] + bytes([state[at] ^ 1]) + state[at + 1 :]


def close_leaves(services: Services, after: int) -> None:
    sql(services, "UPDATE registry_chain SET leaf = -leaf WHERE leaf > ?", after)
    sql(services, "UPDATE registry_chain SET leaf = -leaf - 1 WHERE leaf < 0")


def leaf_of(services: Services, position: int) -> int:
    recorder: Any = services.registry.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT leaf FROM registry_chain WHERE position = ?", (position,))
        return int(cursor.fetchone()["leaf"])


def rechain(services: Services, stream: str) -> None:
    """Recompute the stream's chain links from its (altered) events, as an intruder covering their tracks would."""
    prev = ""
    for event in streams(services)[stream]:
        digest = event_hash(event.topic, UUID(stream), event.originator_version, event.state, prev)
        sql(services, "UPDATE registry_chain SET prev_hash = ?, hash = ? WHERE position = ?", prev, digest, event.id)
        prev = digest


def db_byte(services: Services) -> int:
    p = mid_stream(services)
    state = next(e.state for e in events(services) if e.id == p)
    sql(services, "UPDATE {table} SET state = ? WHERE rowid = ?", flipped(state), p)
    return p


def db_topic(services: Services) -> int:
    p = mid_stream(services)
    sql(services, "UPDATE {table} SET topic = 'registry:ProgramOpened' WHERE rowid = ?", p)
    return p


def db_invalid(services: Services) -> int:
    p = mid_stream(services)
    sql(services, "UPDATE {table} SET state = ? WHERE rowid = ?", b'{"broken', p)
    return p


def db_delete_mid(services: Services) -> int:
    p = mid_stream(services)
    leaf = leaf_of(services, p)
    sql(services, "DELETE FROM {table} WHERE rowid = ?", p)
    sql(services, "DELETE FROM registry_chain WHERE position = ?", p)
    close_leaves(services, leaf)
    return p


def db_delete_last(services: Services) -> int:
    p = last_of_a_stream(services)
    leaf = leaf_of(services, p)
    sql(services, "DELETE FROM {table} WHERE rowid = ?", p)
    sql(services, "DELETE FROM registry_chain WHERE position = ?", p)
    close_leaves(services, leaf)
    return p


def db_swap(services: Services) -> int:
    p = neighbours(services)
    a, b = (next(e for e in events(services) if e.id == n) for n in (p, p + 1))
    sql(services, "DELETE FROM {table} WHERE rowid IN (?, ?)", p, p + 1)
    insert = "INSERT INTO {table} (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)"
    for position, event in ((p, b), (p + 1, a)):
        sql(services, insert, position, event.originator_id.hex, event.originator_version, event.topic, event.state)
    recorder: Any = services.registry.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT * FROM registry_chain WHERE position IN (?, ?) ORDER BY position", (p, p + 1))
        first, second = (dict(row) for row in cursor.fetchall())
    for row, other in ((first, second), (second, first)):
        update = "UPDATE registry_chain SET stream = ?, version = ?, prev_hash = ?, hash = ? WHERE position = ?"
        sql(services, update, other["stream"], other["version"], other["prev_hash"], other["hash"], row["position"])
    return p


def db_rechain(services: Services) -> int:
    p = db_byte(services)
    rechain(services, str(next(e.originator_id for e in events(services) if e.id == p)))
    return p


def db_gap(services: Services) -> int:
    p = mid_stream(services)
    leaf = leaf_of(services, p)
    sql(services, "UPDATE registry_chain SET leaf = -leaf - 1 WHERE leaf >= ?", leaf)
    sql(services, "UPDATE registry_chain SET leaf = -leaf WHERE leaf < 0")
    return p


# --- the export file ---------------------------------------------------------------------------

Lines = list[Any]  # parsed lines, or raw text for one that is no longer JSON


def file_lines(path: Path) -> Lines:
    return [json.loads(line) for line in path.read_text().splitlines()]


def index_of(lines: Lines, position: int) -> int:
    return next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("position") == position)


def renumber(lines: Lines, start: int, by: int) -> None:
    for line in lines[start:]:
        if "leaf" in line:
            line["leaf"] += by


def file_byte(lines: Lines, p: int) -> None:
    state = lines[index_of(lines, p)]["state"]
    state["actor"] = chr(ord(state["actor"][0]) ^ 1) + state["actor"][1:]


def file_topic(lines: Lines, p: int) -> None:
    lines[index_of(lines, p)]["topic"] = "registry:ProgramOpened"


def file_invalid(lines: Lines, p: int) -> None:
    at = index_of(lines, p)
    lines[at] = json.dumps(lines[at], ensure_ascii=False).replace('"state": {', '"state": {broken', 1)


def file_delete(lines: Lines, p: int) -> None:
    at = index_of(lines, p)
    del lines[at]
    renumber(lines, at, -1)


def file_swap(lines: Lines, p: int) -> None:
    a, b = index_of(lines, p), index_of(lines, p + 1)
    for name in ("stream", "version", "topic", "state", "prev_hash", "hash"):
        lines[a][name], lines[b][name] = lines[b][name], lines[a][name]


def file_rechain(lines: Lines, p: int) -> None:
    file_byte(lines, p)
    stream, prev = lines[index_of(lines, p)]["stream"], ""
    for line in lines:
        if isinstance(line, dict) and line.get("stream") == stream:
            state = json.dumps(line["state"], ensure_ascii=False).encode()
            line["prev_hash"], line["hash"] = (
                prev,
                event_hash(line["topic"], UUID(stream), line["version"], state, prev),
            )
            prev = line["hash"]


def file_gap(lines: Lines, p: int) -> None:
    renumber(lines, index_of(lines, p), 1)


ALTERATIONS: dict[str, tuple[Callable[[Services], int], Callable[[Lines, int], None]]] = {
    "byte changed": (db_byte, file_byte),
    "topic changed": (db_topic, file_topic),
    "payload made invalid": (db_invalid, file_invalid),
    "event deleted mid-stream": (db_delete_mid, file_delete),
    "a stream's last event deleted": (db_delete_last, file_delete),
    "cross-stream swap of events and chain": (db_swap, file_swap),
    "payload rechained": (db_rechain, file_rechain),
    "leaf gap": (db_gap, file_gap),
}


def first_problem(output: str) -> str:
    return output.strip().splitlines()[0]


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_verify_catches_and_names_the_event(services: Services, alteration: str, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["audit", "verify", *_args(services)], env=_env(services)).exit_code == 0
    position = ALTERATIONS[alteration][0](services)
    result = runner.invoke(cli, ["audit", "verify", *_args(services)], env=_env(services))
    assert result.exit_code == 1, result.output
    assert f"position {position}" in first_problem(result.output), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_verify_with_a_stored_checkpoint_catches_and_names_the_event(
    services: Services, alteration: str, tmp_path: Path
) -> None:
    saved = ["--checkpoint", str(tmp_path / "checkpoint.note")]
    assert runner.invoke(cli, ["audit", "verify", *saved, *_args(services)], env=_env(services)).exit_code == 0
    position = ALTERATIONS[alteration][0](services)
    result = runner.invoke(cli, ["audit", "verify", *saved, *_args(services)], env=_env(services))
    assert result.exit_code == 1, result.output
    assert f"position {position}" in first_problem(result.output), result.output


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_import_refuses_at_the_first_bad_line_and_names_the_event(
    services: Services, alteration: str, tmp_path: Path
) -> None:
    lines = file_lines(tmp_path / "log.jsonl")
    position = {
        "a stream's last event deleted": last_of_a_stream,
        "cross-stream swap of events and chain": neighbours,
    }.get(alteration, mid_stream)(services)
    at = index_of(lines, position)
    ALTERATIONS[alteration][1](lines, position)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines)
    )
    target = ["--database-url", f"sqlite:///{tmp_path / 'target.sqlite3'}"]
    result = runner.invoke(cli, ["import", str(tampered), *target], env=_env(services))
    assert result.exit_code == 1, result.output
    assert f"line {at + 1}:" in result.output and f"position {position}" in result.output, result.output
    assert "Nothing was imported" in result.output
    untouched = runner.invoke(cli, ["import", str(tmp_path / "log.jsonl"), *target], env=_env(services))
    assert untouched.exit_code == 0, untouched.output


def _args(services: Services) -> list[str]:
    return ["--database-url", services.settings.database_url]


def _env(services: Services) -> dict[str, str]:
    return {"REGISTRY_SIGNING_KEY_FILE": str(services.settings.signing_key_file)}

"""A checkpoint stored with the tree's right edge: the next signer goes on from it, and nobody has to trust it.

A new process (a fresh ``Issuer``) continues from the last stored checkpoint's
edge and reads only the leaves added since; its root is the root of the whole
log. A row without an edge (stored before edges were) or with an altered one is
not used: the signer reads the log from the start and still signs the true root.
And verification never reads the edges: a checkpoint signed over a wrong edge is
reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from api import demo
from api.bootstrap import Services
from audit import checkpoints, merkle
from audit.checkpoints import Head, Issuer, parse_body
from audit.log import MerkleLog
from audit.verify import verify
from domain.commands import IncreaseBudget
from domain.registry import Context
from eventstore.chain import Link
from eventstore.checkpoints import CheckpointTable, StoredCheckpoint
from tests.conftest import Clock


@pytest.fixture(autouse=True)
def story(services: Services, clock: Clock, tmp_path: Path) -> None:
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)
    services.issuer().issue()
    write(services, 5)


class CountingLog(MerkleLog):
    """The Merkle log, remembering from which leaf each read of links started."""

    starts: ClassVar[list[int]] = []

    def links(self, *, after: int = -1) -> Iterator[Link]:
        CountingLog.starts.append(after + 1)
        return super().links(after=after)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    CountingLog.starts = []
    monkeypatch.setattr(checkpoints, "MerkleLog", CountingLog)
    return CountingLog.starts


def write(services: Services, count: int) -> None:
    for _ in range(count):
        more = IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=1)
        services.registry.increase_budget(Context(actor="test"), more)


def new_process(services: Services) -> Issuer:
    """An issuer that has read nothing yet, as in a process just started."""
    return Issuer(services.registry, services.signer, services.settings.log_origin, services.clock)


def whole_log_root(services: Services) -> tuple[int, bytes]:
    leaves = MerkleLog(services.registry).leaves()
    return len(leaves), merkle.root(leaves)


def signed(row: StoredCheckpoint | None) -> Head:
    assert row is not None
    return parse_body(row.note.split("\n\n", maxsplit=1)[0] + "\n")


def alter_edges(services: Services, change: Any) -> None:
    """Replace each stored edge by ``change(edge)``; None removes it (a row of the older format)."""
    recorder: Any = services.registry.recorder
    if hasattr(recorder, "checkpoint_lock"):
        recorder.checkpoints[:] = [dataclasses.replace(r, edge=change(r.edge) or b"") for r in recorder.checkpoints]
        return
    mark = CheckpointTable(recorder).mark
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT tree_size, edge FROM registry_checkpoint_edges")
        rows = [(int(row["tree_size"]), bytes(row["edge"])) for row in cursor.fetchall()]
        assert rows, "no stored edge to alter"
        for size, edge in rows:
            new = change(edge)
            if new is None:
                cursor.execute(f"DELETE FROM registry_checkpoint_edges WHERE tree_size = {mark}", (size,))
            else:
                update = f"UPDATE registry_checkpoint_edges SET edge = {mark} WHERE tree_size = {mark}"
                cursor.execute(update, (new, size))


def flipped(edge: bytes) -> bytes:
    return bytes([edge[0] ^ 1]) + edge[1:]


def test_a_checkpoint_stores_the_right_edge_of_its_tree(services: Services) -> None:
    last = CheckpointTable(services.registry.recorder).last(edge=True)
    assert last is not None and last.edge
    tree = merkle.Frontier.from_edge(last.tree_size, last.edge)
    assert tree.root() == signed(last).root == merkle.root(MerkleLog(services.registry).leaves(last.tree_size))


def test_a_new_process_goes_on_from_the_stored_edge_reading_only_the_leaves_since(
    services: Services, reads: list[int]
) -> None:
    before = CheckpointTable(services.registry.recorder).last()
    assert before is not None
    row = new_process(services).issue()
    assert reads == [before.tree_size]  # not the log's first leaves
    assert (row is not None) and (row.tree_size, signed(row).root) == whole_log_root(services)
    assert row.previous_size == before.tree_size and len(checkpoints.unpack(row.leaves)) == 5
    assert verify(services.registry, key=services.signer().verifier(services.settings.log_origin)).ok


def test_a_log_whose_checkpoints_have_no_edge_is_read_from_the_start_and_signed_right(
    services: Services, reads: list[int]
) -> None:
    alter_edges(services, lambda edge: None)
    row = new_process(services).issue()
    assert reads == [0]
    assert row is not None and (row.tree_size, signed(row).root) == whole_log_root(services)
    write(services, 3)
    assert new_process(services).issue() is not None  # the row just stored has its edge again
    assert reads == [0, row.tree_size]
    report = verify(services.registry, key=services.signer().verifier(services.settings.log_origin))
    assert report.ok, report.problems


def test_an_altered_stored_edge_is_not_used(services: Services, reads: list[int]) -> None:
    alter_edges(services, flipped)
    row = new_process(services).issue()
    assert reads == [0]  # the edge did not hash to the signed root: the whole log was read instead
    assert row is not None and (row.tree_size, signed(row).root) == whole_log_root(services)
    report = verify(services.registry, key=services.signer().verifier(services.settings.log_origin))
    assert report.ok, report.problems


def test_an_edge_that_does_not_fit_its_size_is_not_used(services: Services, reads: list[int]) -> None:
    alter_edges(services, lambda edge: edge + edge[:32])
    row = new_process(services).issue()
    assert reads == [0]
    assert row is not None and (row.tree_size, signed(row).root) == whole_log_root(services)


def test_verify_recomputes_from_the_events_and_reports_a_checkpoint_signed_over_a_wrong_edge(
    services: Services,
) -> None:
    """As if a signer had trusted an altered edge: verify does not read edges, so it catches the signed root."""
    table = CheckpointTable(services.registry.recorder)
    last = table.last(edge=True)
    assert last is not None
    wrong = merkle.Frontier.from_edge(last.tree_size, flipped(last.edge))
    fresh = list(MerkleLog(services.registry).links(after=last.tree_size - 1))
    wrong.extend(merkle.leaf_hash(bytes.fromhex(link.hash)) for link in fresh)
    origin = services.settings.log_origin
    note = services.signer().sign_note(Head(origin, wrong.size, wrong.root()).body(), origin)
    assert table.append(
        StoredCheckpoint(wrong.size, last.tree_size, last.signed_at, note, checkpoints.pack(fresh), wrong.edge())
    )
    report = verify(services.registry, key=services.signer().verifier(origin))
    assert not report.ok
    assert any("do not hash to its signed root" in problem for problem in report.problems), report.problems


def test_a_log_that_grew_unsigned_is_signed_in_steps_of_every_leaves(services: Services) -> None:
    """After a bulk load (here: writes with signing left to later), no checkpoint covers ``2 * every`` leaves or more,
    and each step's root is the root of the log's first leaves up to its size."""
    write(services, 23)
    before = CheckpointTable(services.registry.recorder).last()
    assert before is not None
    issuer = Issuer(services.registry, services.signer, services.settings.log_origin, services.clock, every=5)
    last = issuer.issue()
    rows = list(CheckpointTable(services.registry.recorder).rows(after=before.tree_size))
    leaves = MerkleLog(services.registry).leaves()
    assert last is not None and last.tree_size == len(leaves) == rows[-1].tree_size
    steps = [row.tree_size - row.previous_size for row in rows]
    assert len(rows) >= 4 and all(5 <= step < 10 for step in steps), steps
    assert [row.previous_size for row in rows] == [before.tree_size, *(row.tree_size for row in rows[:-1])]
    for row in rows:
        assert signed(row).root == merkle.root(leaves[: row.tree_size])
        assert len(checkpoints.unpack(row.leaves)) == row.tree_size - row.previous_size

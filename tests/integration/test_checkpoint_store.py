"""The stored checkpoints: append-only, one chain ordered by tree size, however many processes sign at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api import demo
from api.bootstrap import Services, build
from audit.verify import verify
from domain.commands import IncreaseBudget
from domain.registry import Context
from eventstore.checkpoints import CheckpointTable, StoredCheckpoint
from tests.conftest import Clock

ALL = pytest.mark.parametrize("store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture(autouse=True)
def story(services: Services, clock: Clock, tmp_path: Path) -> None:
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    clock.now = datetime(2026, 11, 1, tzinfo=UTC)
    demo.load(services.registry)


@ALL
def test_signers_racing_a_writer_leave_one_chain_of_checkpoints_ordered_by_tree_size(
    services: Services, store: str, clock: Clock
) -> None:
    # Separate services on one database stand for separate API processes (the in-memory store has one).
    signers = [services] * 3 if store == "memory" else [build(services.settings, clock=clock) for _ in range(3)]
    done = threading.Event()
    failures: list[BaseException] = []
    table = CheckpointTable(services.registry.recorder)

    def signed_up_to(size: int) -> None:
        """Wait until a signer has covered ``size``: without it a fast store could finish writing first."""
        deadline = time.monotonic() + 30
        while (last := table.last()) is None or last.tree_size < size:
            assert time.monotonic() < deadline, f"no checkpoint reached {size}"
            time.sleep(0.001)

    def write() -> None:
        try:
            for n in range(30):
                more = IncreaseBudget(program_code=demo.PROGRAM, resource="krw:data", amount=1)
                services.registry.increase_budget(Context(actor="test"), more)
                if n % 10 == 9:  # the signers race these writes; every ten, a checkpoint must have caught up
                    signed_up_to(services.projector.head())
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()

    def sign(signer: Services) -> None:
        try:
            while not done.is_set():
                signer.issuer().issue()
            signer.issuer().issue()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=write), *(threading.Thread(target=sign, args=(s,)) for s in signers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for signer in signers:
            if signer is not services:
                signer.close()
    assert not failures
    rows = table.rows()
    sizes = [row.tree_size for row in rows]
    assert sizes == sorted(set(sizes)) and len(rows) >= 3
    assert [row.previous_size for row in rows] == [0, *sizes[:-1]]
    assert sizes[-1] == services.projector.head()
    report = verify(services.registry, key=services.signer().verifier(services.settings.log_origin))
    assert report.ok, report.problems
    assert report.checkpoints == len(rows)


@ALL
def test_a_checkpoint_that_does_not_extend_the_last_one_is_not_stored(services: Services) -> None:
    table = CheckpointTable(services.registry.recorder)
    first = services.issuer().issue()
    assert first is not None
    for stale in (
        StoredCheckpoint(first.tree_size + 1, 0, first.signed_at, first.note, b""),  # extends an older one
        StoredCheckpoint(first.tree_size, first.tree_size, first.signed_at, first.note, b""),  # does not grow
    ):
        assert not table.append(stale)
    assert [row.tree_size for row in table.rows()] == [first.tree_size]
    again = services.issuer().issue()  # nothing new to sign: the stored one stands
    assert again is not None and (again.tree_size, again.note) == (first.tree_size, first.note)

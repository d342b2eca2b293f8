"""Admins revoking every admin key at once, through two servers on one PostgreSQL database, leave exactly one.

Each round issues eight admin keys (and revokes the one the round before left), then
each key's holder asks, at the same moment, to revoke their own key — half of them
through one server, half through a second server over the same database, as two API
processes would. Every revocation checks that another admin key stays active; checked
all at once, every check passes. The roster of admin keys (``domain.access.AdminRoster``)
is saved with each revocation, so all but one of the racing saves are refused by the
store and decided again: exactly one request is answered 409 ``last-admin-key`` and
exactly one admin key stays active, round after round. A request that keeps losing
races is answered 409 ``concurrent-update`` and, as the problem says, sent again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services, build
from api.keys import NewKey, create_key, list_keys, revoke_key
from api.settings import Settings
from domain.registry import Registry

KEYS = 8
ROUNDS = 5
pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def second(services: Services) -> Iterator[Services]:
    """A second server's services over the same database."""
    built = build(Settings(database_url=services.settings.database_url))
    yield built
    built.close()


def count_conflicts(registry: Registry, conflicts: list[int]) -> None:
    """Note each save the store refuses because another decision saved first."""
    save = registry.save

    def counted(*aggregates: Any, **kwargs: Any) -> Any:
        try:
            return save(*aggregates, **kwargs)
        except IntegrityError:
            conflicts.append(1)
            raise

    registry.save = counted  # type: ignore[method-assign]


def active_admins(services: Services) -> set[str]:
    return {k["key_id"] for k in list_keys(services) if k["role"] == "admin" and k["revoked_at"] is None}


def race(clients: tuple[TestClient, TestClient], keys: list[NewKey]) -> tuple[Counter[str], int]:
    """Each key's holder revokes it, all at once, alternating between the servers; the answers, and how many
    requests were sent again after a 409 ``concurrent-update``."""
    start = threading.Barrier(len(keys))
    sent_again: list[str] = []

    def revoke_own(number: int, key: NewKey) -> str:
        client = clients[number % len(clients)]
        start.wait()
        for _ in range(20):
            response = client.post(f"/keys/{key.key_id}/revocation", headers={"Authorization": f"Bearer {key.secret}"})
            assert response.status_code in (204, 409), response.text
            if response.status_code == 204:
                return "revoked"
            problem = response.json()["type"].removeprefix("/problems/")
            if problem != "concurrent-update":
                return f"{problem}:{key.key_id}"
            sent_again.append(key.key_id)
        raise AssertionError(f"{key.key_id} kept losing races")

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return Counter(pool.map(revoke_own, range(len(keys)), keys)), len(sent_again)


def test_racing_revocations_of_every_admin_key_leave_exactly_one(services: Services, second: Services) -> None:
    conflicts: list[int] = []
    count_conflicts(services.registry, conflicts)
    count_conflicts(second.registry, conflicts)
    figures = []
    with TestClient(create_app(services=services)) as here, TestClient(create_app(services=second)) as there:
        for round_number in range(ROUNDS):
            before = active_admins(services)
            keys = [create_key(services, name=f"admin {i}", role="admin", actor="test") for i in range(KEYS)]
            for key_id in before:  # the last round's survivor, revoked while the new keys are active
                revoke_key(services, key_id, actor="test")
            for client in (here, there):  # warm-up: each server's first answer, outside the race
                warm = client.get("/keys", headers={"Authorization": f"Bearer {keys[0].secret}"})
                assert warm.status_code == 200, warm.text
            conflicts.clear()
            began = time.perf_counter()
            outcome, sent_again = race((here, there), keys)
            elapsed = time.perf_counter() - began
            refused = [o.partition(":")[2] for o in outcome if o.startswith("last-admin-key:")]
            assert outcome["revoked"] == KEYS - 1 and len(refused) == 1, (round_number, outcome)
            assert active_admins(services) == active_admins(second) == set(refused), round_number
            figures.append(
                f"round {round_number}: {KEYS - 1} revoked, 1 refused (last-admin-key), "
                f"{len(conflicts)} saves refused by the store, {sent_again} sent again, {elapsed:.2f} s"
            )
    print("\nadmin revocation races (PostgreSQL, two servers):", *figures, sep="\n  ")

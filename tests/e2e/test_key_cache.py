"""Verified keys are cached per process, and a revocation anywhere takes effect on the next request everywhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services, build
from api.keys import create_key, revoke_key
from api.settings import Settings
from domain.access import Principal
from tests.e2e.commands import run_registry


def reads(client: TestClient, secret: str) -> int:
    return client.get("/programs", headers={"Authorization": f"Bearer {secret}"}).status_code


def count_loads(services: Services) -> list[str]:
    """Each secret the registry verifies from the log (the cache's misses), noted as it happens."""
    loaded: list[str] = []
    verify = services.registry.authenticate

    def noted(secret: str) -> Principal | None:
        loaded.append(secret)
        return verify(secret)

    services.registry.authenticate = noted  # type: ignore[method-assign]  # an instance attribute, this test's own
    return loaded


def test_a_verified_key_is_not_loaded_again_until_a_key_is_revoked(services: Services) -> None:
    key = create_key(services, name="reader", role="auditor", actor="test")
    other = create_key(services, name="other", role="auditor", actor="test")
    loaded = count_loads(services)
    with TestClient(create_app(services=services)) as client:
        assert [reads(client, key.secret) for _ in range(3)] == [200, 200, 200]
        assert loaded == [key.secret]
        revoke_key(services, other.key_id, actor="test")  # any revocation: every cached key is checked again
        assert reads(client, key.secret) == 200
        assert loaded == [key.secret, key.secret]
        assert reads(client, other.secret) == 401


def test_a_key_revoked_in_this_process_is_refused_on_the_next_request(services: Services) -> None:
    key = create_key(services, name="reader", role="auditor", actor="test")
    with TestClient(create_app(services=services)) as client:
        assert reads(client, key.secret) == 200
        assert reads(client, key.secret) == 200  # cached now
        revoke_key(services, key.key_id, actor="test")
        assert reads(client, key.secret) == 401


def test_an_unknown_key_is_never_cached(services: Services) -> None:
    key = create_key(services, name="reader", role="auditor", actor="test")
    with TestClient(create_app(services=services)) as client:
        assert reads(client, key.secret + "x") == 401
        assert reads(client, key.secret + "x") == 401
        assert reads(client, key.secret) == 200


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_key_revoked_by_another_process_is_refused_on_the_next_request_here(services: Services) -> None:
    key = create_key(services, name="reader", role="auditor", actor="test")
    with TestClient(create_app(services=services)) as client:
        assert reads(client, key.secret) == 200
        assert reads(client, key.secret) == 200  # cached in this process
        run_registry(services.settings.database_url, "keys", "revoke", key.key_id)
        assert reads(client, key.secret) == 401


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_servers_on_one_store_each_refuse_a_key_the_other_revoked(services: Services) -> None:
    """Each reading the count per request (no watcher): strictly the next request. With watchers listening,
    the other server refuses it once the revocation's notice arrives (``tests/e2e/test_watch.py``)."""
    services.watcher = None
    key = create_key(services, name="reader", role="auditor", actor="test")
    second = build(Settings(database_url=services.settings.database_url, watch=False))
    try:
        with TestClient(create_app(services=services)) as here, TestClient(create_app(services=second)) as there:
            assert (reads(here, key.secret), reads(there, key.secret)) == (200, 200)
            revoke_key(second, key.key_id, actor="test")
            assert (reads(here, key.secret), reads(there, key.secret)) == (401, 401)
    finally:
        second.close()

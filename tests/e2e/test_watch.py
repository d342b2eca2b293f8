"""The watcher (``projections.watch``): reads answered from memory on PostgreSQL, never staler than a notice.

Each test runs a server on the PostgreSQL scratch database with its watcher listening, and changes
the state behind it from elsewhere: a second server, the CLI in another process, a dropped connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services, build
from api.keys import create_key, revoke_key
from api.settings import Settings
from projections import failures
from projections.watch import Watcher
from tests.conftest import Clock
from tests.e2e.commands import run_registry
from tests.e2e.conftest import Api, P

pytestmark = pytest.mark.postgres
STANDINGS = f"/programs/{P}/standings"


def eventually(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit} s: {what}")
        time.sleep(0.01)


@contextmanager
def server(
    url: str, clock: Clock, retry: float | None = None, **settings: Any
) -> Iterator[tuple[Services, TestClient]]:
    """A server with its own services (its own pools and watcher: one that waits ``retry`` s to reconnect)."""
    services = build(Settings(database_url=url, **settings), clock=clock)
    if retry is not None:
        services.watcher = Watcher(url, services.projector.projections, retry=retry)
    try:
        with TestClient(create_app(services=services)) as client:
            assert services.watcher is not None
            eventually(lambda: services.watcher is not None and services.watcher.healthy, "the watcher listens")
            yield services, client
    finally:
        services.close()


class Counted:
    """Counts the queries a server makes for a read: read-model transactions and revocation counts."""

    def __init__(self, services: Services) -> None:
        self.queries = 0
        transaction, revocations = services.db.transaction, services.registry.recorder.revocations  # type: ignore[attr-defined]

        def counted_transaction(**kwargs: Any) -> Any:
            self.queries += 1
            return transaction(**kwargs)

        def counted_revocations() -> int:
            self.queries += 1
            return int(revocations())

        services.db.transaction = counted_transaction  # type: ignore[method-assign]  # this test's own instance
        services.registry.recorder.revocations = counted_revocations  # type: ignore[attr-defined]


def settled(services: Services) -> None:
    """Wait until the watcher has heard every notice of the read models' last catch-up.

    A notice arrives after its commit; one that arrives after a read kept the document it announced
    makes the watcher forget that document (it cannot tell it is not newer), so a test that counts
    queries reads only after the notices are in. The positions are announced after the documents.
    """
    head = services.projector.head()
    eventually(lambda: services.watcher is not None and services.watcher.lowest_position() == head, "notices heard")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_standings_read_makes_no_query_once_the_key_and_document_are_in_memory(
    postgres_url: str, clock: Clock
) -> None:
    with server(postgres_url, clock) as (services, client):
        admin = create_key(services, name="admin", role="admin", actor="test")
        api = Api(client, services, clock, actor="test")
        client.headers.update(bearer(admin.secret))
        api.open_program()
        api.apply("A")
        settled(services)
        first = client.get(STANDINGS)  # verifies the key and loads the document: queries
        counted = Counted(services)
        answers = [client.get(STANDINGS) for _ in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        assert {a.content for a in answers} == {first.content}
        assert counted.queries == 0


def test_two_servers_with_watchers_refuse_a_key_the_other_revoked_once_its_notice_arrives(
    postgres_url: str, clock: Clock
) -> None:
    with server(postgres_url, clock) as (here, near), server(postgres_url, clock) as (there, far):
        key = create_key(here, name="reader", role="auditor", actor="test")
        assert (near.get("/programs", headers=bearer(key.secret)).status_code, 200) == (200, 200)
        assert far.get("/programs", headers=bearer(key.secret)).status_code == 200
        counted = Counted(here)
        assert near.get("/programs", headers=bearer(key.secret)).status_code == 200  # from memory
        assert here.watcher is not None
        before = here.watcher.revocations()
        revoke_key(there, key.key_id, actor="test")
        assert far.get("/programs", headers=bearer(key.secret)).status_code == 401  # the revoking process: at once
        eventually(lambda: here.watcher is not None and here.watcher.revocations() != before, "the notice arrives")
        assert near.get("/programs", headers=bearer(key.secret)).status_code == 401
        assert counted.queries == 1  # the first list itself; no key check read the revocation count


def test_a_dropped_listener_falls_back_to_queries_and_reads_the_state_again_when_back(
    postgres_url: str, clock: Clock
) -> None:
    with server(postgres_url, clock, retry=2.0) as (here, client), server(postgres_url, clock) as (there, _):
        watcher = here.watcher
        assert watcher is not None
        key = create_key(here, name="reader", role="auditor", actor="test")
        other = create_key(here, name="other", role="auditor", actor="test")
        assert client.get("/programs", headers=bearer(key.secret)).status_code == 200
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (watcher.backend_pid,))
        eventually(lambda: not watcher.healthy, "the watcher notices the connection is gone")
        assert watcher.revocations() is None and watcher.failures() is None and watcher.lowest_position() is None
        revoke_key(there, key.key_id, actor="test")  # its notice is lost: nobody here listens
        assert not watcher.healthy
        assert client.get("/programs", headers=bearer(key.secret)).status_code == 401  # the count was queried
        eventually(lambda: watcher.connections == 2, "the watcher connects again", limit=20)
        assert watcher.revocations() == 1  # read again on reconnecting, not waited for from a notice
        assert client.get("/programs", headers=bearer(other.secret)).status_code == 200
        assert client.get("/programs", headers=bearer(key.secret)).status_code == 401


def test_a_document_changed_by_a_runner_in_another_process_is_not_served_stale(postgres_url: str, clock: Clock) -> None:
    with server(postgres_url, clock, inline_projections=False) as (services, client):
        admin = create_key(services, name="admin", role="admin", actor="test")
        client.headers.update(bearer(admin.secret))
        api = Api(client, services, clock, actor="test")
        api.open_program()
        services.projector.catch_up()
        settled(services)
        before = client.get(STANDINGS)
        assert services.watcher is not None and services.watcher.document(P) is not None  # remembered
        position = int(api.apply("LATE")["position"])
        assert client.get(STANDINGS).content == before.content  # not applied yet: the document is still current
        run_registry(postgres_url, "standings", P)  # another process catches the read models up, documents included
        after = client.get(STANDINGS, params={"min_position": position})  # waits for the position's notice
        assert after.status_code == 200
        assert "LATE" in {t["team_code"] for t in after.json()["applicants"]}
        assert after.headers["ETag"] != before.headers["ETag"]


def test_a_failure_recorded_elsewhere_refuses_the_programme_s_reads(postgres_url: str, clock: Clock) -> None:
    with server(postgres_url, clock) as (services, client), server(postgres_url, clock) as (there, _):
        admin = create_key(services, name="admin", role="admin", actor="test")
        client.headers.update(bearer(admin.secret))
        Api(client, services, clock, actor="test").open_program()
        assert client.get(STANDINGS).status_code == 200
        with there.db.transaction() as cur:
            failures.record(cur, "standings", P, 1, ValueError("a test's failure"))
        assert services.watcher is not None
        eventually(lambda: bool(services.watcher and services.watcher.failures()), "the failure's notice arrives")
        refused = client.get(STANDINGS)
        assert refused.status_code == 503 and refused.json()["type"].endswith("read-model-failed")
        assert client.get("/programs").headers["Read-Model-Failed"] == P


def test_min_position_waits_on_the_watcher_and_times_out_as_before(postgres_url: str, clock: Clock) -> None:
    with server(postgres_url, clock, inline_projections=False, read_wait=0.3) as (services, client):
        admin = create_key(services, name="admin", role="admin", actor="test")
        client.headers.update(bearer(admin.secret))
        api = Api(client, services, clock, actor="test")
        position = int(api.open_program()["position"])
        behind = client.get(STANDINGS, params={"min_position": position})
        assert behind.status_code == 503 and behind.json()["type"].endswith("read-model-behind")
        beyond = client.get(STANDINGS, params={"min_position": position + 1000})
        assert beyond.status_code == 404  # as before: a position the log has not reached names nothing
        with server(postgres_url, clock) as (runner, _):
            runner.projector.catch_up()
        reached = client.get(STANDINGS, params={"min_position": position})
        assert reached.status_code == 200


def test_a_read_answered_from_memory_is_the_route_s_answer_byte_for_byte(postgres_url: str, clock: Clock) -> None:
    with server(postgres_url, clock) as (services, client):
        admin = create_key(services, name="admin", role="admin", actor="test")
        client.headers.update(bearer(admin.secret))
        api = Api(client, services, clock, actor="test")
        api.open_program()
        api.seat("A", "B")
        api.eliminate("B")
        settled(services)
        routed = client.get(STANDINGS, params={"min_position": 0})  # a query string: the route answers
        counted = Counted(services)
        remembered = client.get(STANDINGS)
        assert counted.queries == 0  # answered from memory
        assert remembered.status_code == routed.status_code == 200
        assert remembered.content == routed.content
        assert remembered.headers["ETag"] == routed.headers["ETag"]
        assert remembered.headers["X-Content-Type-Options"] == "nosniff" and remembered.headers["X-Request-ID"]
        assert client.get(f"/programs/{P}").content == routed.content
        unchanged = client.get(STANDINGS, headers={"If-None-Match": routed.headers["ETag"]})
        assert unchanged.status_code == 304 and unchanged.content == b""
        metrics = client.get("/metrics").text
        labels = 'method="GET",route="/programs/{program}/standings",status="200"'
        assert f"registry_http_requests_total{{{labels}}}" in metrics


def test_memory_never_answers_what_the_route_would_refuse(postgres_url: str, clock: Clock) -> None:
    with server(postgres_url, clock) as (services, client):
        admin = create_key(services, name="admin", role="admin", actor="test")
        reader = create_key(services, name="reader", role="auditor", actor="test")
        client.headers.update(bearer(admin.secret))
        Api(client, services, clock, actor="test").open_program()
        assert client.get(STANDINGS, headers=bearer(reader.secret)).status_code == 200  # all in memory now
        revoke_key(services, reader.key_id, actor="test")
        refused = client.get(STANDINGS, headers=bearer(reader.secret))
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert client.get(STANDINGS, headers={"Authorization": ""}).status_code == 401
        assert client.get("/programs/NOPE/standings").status_code == 404
        assert client.get("/programs/E2E%0A2026/standings").status_code == 404
        with services.db.transaction() as cur:
            failures.record(cur, "standings", P, 1, ValueError("a test's failure"))
        eventually(lambda: bool(services.watcher and services.watcher.failures()), "the failure's notice arrives")
        assert client.get(STANDINGS).status_code == 503

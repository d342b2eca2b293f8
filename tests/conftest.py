"""Shared fixtures: a controllable clock, and the registry on each of its three stores.

PostgreSQL tests run against the server named by ``REGISTRY_TEST_DATABASE_URL``
(default: the local server's ``test`` database), each xdist worker in a scratch
database of its own on that server, so parallel workers and parallel runs never
collide (``tests/scratch.py`` names them). The run fails if any scratch database
it made is still on the server at the end.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.bootstrap import Services, build
from api.settings import Settings
from tests import scratch

RUN = pytest.StashKey[str]()  # this invocation's id, shared by the controller and its workers
USED_POSTGRES = pytest.StashKey[bool]()  # whether this process (or a worker) set up a scratch database
RUN_INPUT = "registry_test_run"  # the key under which the controller hands its run id to each worker
USED_OUTPUT = "registry_test_used_postgres"  # the key under which a worker reports that it did

# The longest tests (up to a minute each on two cores), longest first. They are started before all
# others, so that a parallel run ends on short tests spread over the workers, not on one worker
# still busy with a long test it was handed last while the other has nothing left to do.
LONGEST_FIRST = (
    "tests/bench/test_bench_quick.py",
    "tests/e2e/test_races.py",
    "tests/integration/test_kill.py",
    "tests/e2e/test_idempotency.py",
    "tests/integration/test_rebuild.py",
    "tests/integration/test_as_of.py",
    "tests/unit/test_transcoder.py",
    "tests/integration/test_integrity.py",
    "tests/e2e/test_openapi.py",
)


def pytest_configure(config: pytest.Config) -> None:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    config.stash[RUN] = workerinput[RUN_INPUT] if workerinput else uuid.uuid4().hex[:8]
    config.stash[USED_POSTGRES] = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (a stable sort: everything else keeps its order)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection built out of the cyclic garbage collector's sight (``gc.freeze``).

    That is over half a million objects that live to the end (the modules, the OpenAPI test's
    generated cases, the items); a process making an app per test runs a full collection every
    few tests, and each one walked them all again. Frozen, they are never collected, as they would
    not have been; everything the tests make is collected as before.
    """
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller: every worker makes its databases under the controller's run id."""
    node.workerinput[RUN_INPUT] = node.config.stash[RUN]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist, in the controller: remember whether a finished worker used the server."""
    if getattr(node, "workeroutput", {}).get(USED_OUTPUT):
        node.config.stash[USED_POSTGRES] = True


@pytest.hookimpl(trylast=True)  # after the session fixtures' teardown, which drops the scratch databases
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the controller: fail the run if a scratch database it (or a worker) made is still there."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    url = scratch.server_url()
    try:
        left = scratch.leftovers(url, config.stash[RUN])
    except psycopg.OperationalError as error:
        if not config.stash[USED_POSTGRES]:
            return  # no PostgreSQL test ran, and there is no server to look at
        title, message = "scratch databases not checked", f"Could not look for them on {url}: {error}"
    else:
        if not left:
            return
        title, message = "scratch databases left behind", scratch.left_behind(url, left)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.line("")  # the progress line has no newline of its own yet
        reporter.write_sep("!", title, red=True)
        reporter.write_line(message, red=True)


@dataclass
class Clock:
    """The server clock, under the test's control."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def postgres_admin_url(request: pytest.FixtureRequest) -> str:
    """The test server (its ``test`` database), checked to answer: without it the tests fail, never skip."""
    url = scratch.server_url()
    try:
        scratch.check_reachable(url)
    except scratch.UnreachableError as error:
        pytest.fail(str(error), pytrace=False)
    config = request.config
    config.stash[USED_POSTGRES] = True
    if hasattr(config, "workeroutput"):
        config.workeroutput[USED_OUTPUT] = True
    return url


@pytest.fixture(scope="session")
def scratch_name(request: pytest.FixtureRequest) -> str:
    """This worker's scratch database name, ``registry_test_<run>_<worker>``; others are made beside it."""
    worker = str(getattr(request.config, "workerinput", {}).get("workerid", "main"))
    return scratch.prefix(request.config.stash[RUN]) + worker


@pytest.fixture(scope="session")
def postgres_server_url(postgres_admin_url: str, scratch_name: str) -> Iterator[str]:
    """This worker's scratch database on the test server; dropped at the end of the session."""
    with scratch.database(postgres_admin_url, scratch_name) as url:
        yield url


@pytest.fixture(scope="session")
def registry_schema(postgres_server_url: str) -> str:
    """The catalogue digest of the schema ``build`` makes in an empty database (``scratch.catalogue``)."""
    scratch.empty(postgres_server_url)
    build(Settings(database_url=postgres_server_url)).close()
    return scratch.catalogue(postgres_server_url)


@pytest.fixture
def postgres_url(postgres_server_url: str, registry_schema: str) -> str:
    """The scratch database without a row: empty, or with the tables ``build`` makes (``scratch.clear``)."""
    scratch.clear(postgres_server_url, registry_schema)
    return postgres_server_url


def database_url(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if store == "memory":
        return "memory://"
    if store == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def services(store: str, clock: Clock, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Services]:
    """The registry, its read store and projector, on each of the three stores in turn."""
    built = build(Settings(database_url=database_url(store, tmp_path, request)), clock=clock)
    yield built
    built.close()

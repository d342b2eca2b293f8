"""What operators see: /ready, /metrics and the JSON log lines, on each store.

Readiness is made to fail for real: projections are turned off inline and
decisions recorded straight through the registry, so the read models fall
behind the log; on PostgreSQL the database itself stops accepting connections.
Metrics are read back with prometheus_client's own parser, and log lines are
the ones ``configure_logging`` writes to stderr, each parsed as JSON.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.bootstrap import Services
from api.keys import create_key, revoke_key
from api.observability import configure_logging
from tests.application.story import TEAMS, open_programme, submit
from tests.conftest import Clock
from tests.e2e.conftest import Api, P, assert_problem

TEAMS_ROUTE = "/programs/{program}/teams"
TEAM_ROUTE = "/programs/{program}/teams/{team}"
POSTGRES_ONLY = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])


def application(code: str) -> dict[str, Any]:
    return {"team_code": code, "name_ko": f"{code} 팀", "name_en": f"Team {code}", "lead_organisation": "X Inc."}


def behind(services: Services, **limits: float) -> None:
    """From now on the read models move only when the test says so."""
    services.settings = services.settings.model_copy(update={"inline_projections": False, **limits})


def record_directly(services: Services, clock: Clock, teams: int, first: int = 0) -> None:
    """Applications through the application service alone: the log grows, the read models do not."""
    for code, name_ko, name_en in TEAMS[first : first + teams]:
        submit(services.registry, clock, code, name_ko, name_en)


# --- /ready ---------------------------------------------------------------------------


def test_ready_when_every_read_model_has_caught_up(client: TestClient, services: Services) -> None:
    response = client.get("/ready", headers={"Authorization": ""})  # no key needed, like /health
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert body["log_head"] == services.projector.head() > 0
    assert {row["name"] for row in body["projections"]} == set(services.projector.projections)
    assert all(row["lag_events"] == 0 for row in body["projections"])


def test_ready_is_503_naming_the_read_models_that_lag_until_they_catch_up(
    client: TestClient, services: Services, clock: Clock
) -> None:
    behind(services, ready_max_lag=2)
    open_programme(services.registry, clock)
    record_directly(services, clock, teams=3)
    response = client.get("/ready")
    body = assert_problem(response, 503, "not-ready")
    assert response.headers["Retry-After"].isdigit()
    lagging = {row["name"]: row["lag_events"] for row in body["lagging"]}
    assert lagging == dict.fromkeys(services.projector.projections, 4)
    assert all(name in body["detail"] for name in services.projector.projections)
    services.projector.catch_up()
    assert client.get("/ready").status_code == 200


def test_ready_allows_exactly_the_configured_lag_in_events(
    client: TestClient, services: Services, clock: Clock
) -> None:
    behind(services, ready_max_lag=2)
    open_programme(services.registry, clock)
    record_directly(services, clock, teams=1)
    assert client.get("/ready").status_code == 200, "two events behind is within the limit"
    record_directly(services, clock, teams=1, first=1)
    assert_problem(client.get("/ready"), 503, "not-ready")


def test_ready_is_503_when_the_oldest_unapplied_event_has_waited_too_long(
    client: TestClient, services: Services, clock: Clock
) -> None:
    behind(services, ready_max_lag_seconds=30)
    open_programme(services.registry, clock)
    assert client.get("/ready").status_code == 200, "one event behind, recorded just now"
    clock.advance(seconds=30)
    assert client.get("/ready").status_code == 200
    clock.advance(seconds=1)
    body = assert_problem(client.get("/ready"), 503, "not-ready")
    assert {row["lag_seconds"] for row in body["lagging"]} == {31.0}


@contextmanager
def refusing_connections(url: str) -> Iterator[None]:
    """The test database stops accepting connections and loses the open ones, as in a restart."""
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url.replace(f"/{database}", "/postgres"), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')


@POSTGRES_ONLY
def test_ready_is_503_and_metrics_still_answer_while_the_database_is_down(
    client: TestClient, postgres_url: str
) -> None:
    assert client.get("/ready").status_code == 200
    with refusing_connections(postgres_url):
        response = client.get("/ready")
        body = assert_problem(response, 503, "not-ready")
        assert "database" in body["detail"]
        assert body["lagging"] == []
        assert response.headers["Retry-After"].isdigit()
        families = scrape(client)
    assert value(families, "registry_database_up") == 0
    assert value(families, "registry_http_requests_total", route="/ready", method="GET", status="503") == 1
    assert ready_again(client), "/ready must follow the database back, not latch its failure"


def ready_again(client: TestClient, probes: int = 60) -> bool:
    """Probe as a load balancer would: the pools reconnect with a backoff of their own."""
    for _ in range(probes):
        if client.get("/ready").status_code == 200:
            return True
        time.sleep(0.5)
    return False


# --- /metrics -------------------------------------------------------------------------


def scrape(client: TestClient) -> dict[str, Metric]:
    response = client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def samples(families: dict[str, Metric], name: str, **labels: str) -> list[float]:
    """The values of every sample called ``name`` whose labels include ``labels``."""
    family = families[name.removesuffix("_total").removesuffix("_bucket").removesuffix("_count")]
    return [s.value for s in family.samples if s.name == name and labels.items() <= s.labels.items()]


def value(families: dict[str, Metric], name: str, **labels: str) -> float:
    found = samples(families, name, **labels)
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_metrics_count_requests_by_route_template_and_events_by_type(api: Api, services: Services) -> None:
    api.open_program()
    for team in ("A", "B", "C"):
        api.apply(team)
    retried = {"Idempotency-Key": "apply-D"}
    first, again = (api.post(f"/programs/{P}/teams", application("D"), **retried) for _ in range(2))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    api.get(f"/programs/{P}/teams/A")
    api.get(f"/programs/{P}/teams/B")
    assert api.client.get(f"/programs/{P}/teams/Z").status_code == 404

    families = scrape(api.client)
    requests = "registry_http_requests_total"
    assert value(families, requests, route=TEAMS_ROUTE, method="POST", status="201") == 5
    assert value(families, requests, route=TEAM_ROUTE, method="GET", status="200") == 2
    assert value(families, requests, route=TEAM_ROUTE, method="GET", status="404") == 1
    assert value(families, requests, route="/programs", method="POST", status="201") == 1
    routes = {s.labels["route"] for s in families["registry_http_requests"].samples}
    assert not [route for route in routes if P in route], "raw paths would make a series per programme and team"
    assert value(families, "registry_events_appended_total", type="ApplicationSubmitted") == 4, "a replay appends none"
    assert value(families, "registry_events_appended_total", type="ProgramOpened") == 1


def test_the_latency_histogram_has_cumulative_buckets_per_route(api: Api) -> None:
    api.open_program()
    for team in ("A", "B", "C"):
        api.apply(team)
    families = scrape(api.client)
    name, labels = "registry_http_request_duration_seconds", {"route": TEAMS_ROUTE, "method": "POST", "status": "201"}
    assert families[name].type == "histogram"
    buckets = sorted(
        (float(s.labels["le"]), s.value)
        for s in families[name].samples
        if s.name == f"{name}_bucket" and labels.items() <= s.labels.items()
    )
    assert len(buckets) > 5
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)
    assert buckets[-1] == (float("inf"), 3)
    assert value(families, f"{name}_count", **labels) == 3


def test_metrics_show_each_read_models_position_and_lag(client: TestClient, services: Services, clock: Clock) -> None:
    behind(services)
    open_programme(services.registry, clock)
    record_directly(services, clock, teams=2)
    services.projector.catch_up(["history"])
    head = services.projector.head()
    families = scrape(client)
    assert value(families, "registry_log_head") == head
    assert value(families, "registry_database_up") == 1
    positions = {s.labels["read_model"]: s.value for s in families["registry_projection_position"].samples}
    lags = {s.labels["read_model"]: s.value for s in families["registry_projection_lag_events"].samples}
    assert set(positions) == set(lags) == set(services.projector.projections)
    assert positions["history"] == head and lags["history"] == 0
    assert positions["standings"] == head - 3 and lags["standings"] == 3
    assert {s.labels["read_model"] for s in families["registry_projection_lag_seconds"].samples} == set(positions)


def test_database_pool_gauges_exist_only_on_postgresql(client: TestClient, services: Services, store: str) -> None:
    families = scrape(client)
    pooled = {name for name in families if name.startswith("registry_db_pool_")}
    if store != "postgres":
        assert pooled == set()
        return
    assert pooled == {f"registry_db_pool_{k}" for k in ("max", "connections", "in_use", "idle", "waiting")}
    assert value(families, "registry_db_pool_max", pool="read_models") == services.settings.pool_size
    assert value(families, "registry_db_pool_connections", pool="event_store") >= 1
    in_use = value(families, "registry_db_pool_in_use", pool="read_models")
    idle = value(families, "registry_db_pool_idle", pool="read_models")
    assert in_use + idle == value(families, "registry_db_pool_connections", pool="read_models")


@pytest.mark.parametrize("store", ["memory"])
def test_each_app_keeps_its_own_metrics(api: Api, services: Services) -> None:
    api.open_program()
    api.apply("A")
    with TestClient(create_app(services=services)) as other:
        families = scrape(other)
    assert samples(families, "registry_events_appended_total") == []
    assert samples(families, "registry_http_requests_total", method="POST") == []
    assert value(scrape(api.client), "registry_events_appended_total", type="ApplicationSubmitted") == 1


# --- JSON logs ------------------------------------------------------------------------


@contextmanager
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[list[dict[str, Any]]]:
    """``configure_logging`` as ``registry serve`` calls it; the lines it wrote, each parsed; logging restored."""
    named = logging.Logger.manager.loggerDict.values()
    known = [logging.getLogger(), *(x for x in named if isinstance(x, logging.Logger))]
    saved = [(x, x.level, x.handlers[:], x.propagate, x.disabled) for x in known]
    capsys.readouterr()
    lines: list[dict[str, Any]] = []
    configure_logging("INFO")
    try:
        yield lines
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers, logger.propagate, logger.disabled = handlers, propagate, disabled
        lines += [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def from_logger(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == name]


def test_each_request_logs_one_json_line_with_the_id_its_events_carry(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    api.open_program()
    with json_logs(capsys) as lines:
        write = api.post(f"/programs/{P}/teams", application("A"))
        read = api.client.get(f"/programs/{P}/teams/A", headers={"X-Request-ID": "trace-42"})
    assert write.status_code == 201 and read.status_code == 200
    written, was_read = from_logger(lines, "registry.requests")
    request_id = write.headers["X-Request-ID"]
    assert [event["correlation_id"] for event in write.json()["events"]] == [request_id]
    assert written["request_id"] == request_id
    assert written | {"timestamp": "", "duration_ms": 0} == {
        "timestamp": "", "level": "INFO", "logger": "registry.requests", "message": f"POST {TEAMS_ROUTE} 201",
        "method": "POST", "route": TEAMS_ROUTE, "path": f"/programs/{P}/teams", "status": 201,
        "duration_ms": 0, "request_id": request_id, "actor": api.actor,
    }  # fmt: skip
    assert datetime.fromisoformat(written["timestamp"]).utcoffset() is not None
    assert isinstance(written["duration_ms"], float) and written["duration_ms"] >= 0
    assert was_read["request_id"] == read.headers["X-Request-ID"] == "trace-42"
    assert (was_read["route"], was_read["status"], was_read["actor"]) == (TEAM_ROUTE, 200, None)


def test_application_records_are_json_lines_tagged_with_the_request_in_flight(
    client: TestClient, services: Services, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    behind(services, ready_max_lag=0)
    open_programme(services.registry, clock)
    with json_logs(capsys) as lines:
        response = client.get("/ready")
        logging.getLogger("registry.operations").warning("rotated %s keys", 2, extra={"program": P})
    assert response.status_code == 503
    (warning,) = from_logger(lines, "registry.observability")
    assert warning["level"] == "WARNING" and "lag" in warning["message"]
    assert warning["request_id"] == response.headers["X-Request-ID"]
    (outside,) = from_logger(lines, "registry.operations")
    assert (outside["message"], outside["program"], outside["level"]) == ("rotated 2 keys", P, "WARNING")
    assert "request_id" not in outside


def test_a_quiet_period_after_a_key_change_stays_ready(client: TestClient, services: Services, clock: Clock) -> None:
    behind(services, ready_max_lag=0, ready_max_lag_seconds=30)
    services.projector.catch_up()
    issued = create_key(services, name="night-shift", role="recorder", actor="test")
    revoke_key(services, issued.key_id, actor="test")
    clock.advance(minutes=10)
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert all(row["lag_events"] == 0 and row["lag_seconds"] == 0 for row in response.json()["projections"])
    open_programme(services.registry, clock)  # a decision after the keys still counts, and only it
    clock.advance(seconds=31)
    body = assert_problem(client.get("/ready"), 503, "not-ready")
    assert {row["lag_events"] for row in body["lagging"]} == {1}

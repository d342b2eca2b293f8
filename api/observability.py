"""Readiness, metrics and structured logs for operators.

``GET /ready`` answers 200 while the database answers and every read model is
within ``ready_max_lag`` events and ``ready_max_lag_seconds`` of the log's head;
otherwise 503 ``not-ready`` naming the read models that lag. A load balancer
stops sending reads that would be stale, while ``/health`` stays 200 so the
process is not restarted for a lag a restart would not cure.

``GET /metrics`` is Prometheus text from a collector registry of the app's own
(never the global one, so several apps in one process do not clash): requests
and their latency by route template, method and status; events appended by
type; and, read from the database at each scrape, every read model's position
and lag and the PostgreSQL connection pools' usage.

Counters and histograms live in the process. Under ``--workers N`` each uvicorn
worker keeps its own and a scrape reaches whichever worker accepts it, so it
shows that worker's requests and events only, and successive scrapes may look
like counter resets. prometheus_client's multiprocess mode is not set up: for
whole-service rates run one worker per container and scale by containers. The
gauges come from the database and agree in every worker.

Logs are one JSON object per line on stderr (``configure_logging``): a line per
request with its route, status, duration, request id — the ``X-Request-ID`` the
``RequestId`` middleware gave it, which is also each recorded event's
correlation id — and the actor of the decision it recorded, plus every other
record, ``registry.*`` included, tagged with the request id in flight.
"""

from __future__ import annotations

import logging
import logging.config
import sqlite3
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import psycopg
import psycopg_pool
from eventsourcing import persistence
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Services
from api.problems import FastJSONResponse, operations_of, problem, template_pattern
from api.schemas import Problem, ProjectionStatus
from api.schemas.service import ProjectionFailure
from api.settings import Settings
from domain.registry import Recorded
from projections import failures
from projections.db import PostgresDatabase
from projections.runner import status

DATABASE_ERRORS = (persistence.OperationalError, persistence.InterfaceError, psycopg.OperationalError, sqlite3.Error)
UNMATCHED = "unmatched"  # one label for every path no route serves, whatever was asked
RETRY_AFTER_SECONDS = "5"
log = logging.getLogger("registry.observability")
request_log = logging.getLogger("registry.requests")


# --- the request in flight ------------------------------------------------------------


@dataclass
class Exchange:
    """One request as its log line and the write-path hook see it."""

    scope: Scope
    metrics: Metrics
    actor: str | None = None

    @property
    def request_id(self) -> str | None:
        """Read late: the RequestId middleware, inside this one, sets it."""
        found = (self.scope.get("state") or {}).get("request_id")
        return None if found is None else str(found)


# Sync routes run in a worker thread with a copy of this context: they see the same Exchange.
_exchange: ContextVar[Exchange | None] = ContextVar("registry_exchange", default=None)


def events_recorded(outcome: Recorded) -> None:
    """Count the events a write appended and note who decided (a replayed answer appended nothing).

    An after-save hook of the registry (see ``api.bootstrap.serving``); outside a request it counts nothing.
    """
    exchange = _exchange.get()
    if exchange is None or outcome.replayed or not outcome.events:
        return
    exchange.actor = outcome.events[0].actor
    for event in outcome.events:
        exchange.metrics.events.labels(event.type_name).inc()


# --- metrics --------------------------------------------------------------------------


class Metrics:
    """The app's own collectors."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        by = ("route", "method", "status")
        self.requests = Counter("registry_http_requests", "HTTP requests answered", by, registry=self.registry)
        self.latency = Histogram(
            "registry_http_request_duration_seconds", "Time to answer an HTTP request", by, registry=self.registry
        )
        self.events = Counter(
            "registry_events_appended", "Events this process appended to the log", ("type",), registry=self.registry
        )
        self.registry.register(DatabaseCollector(app))
        self._answers: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def answered(self, route: str, method: str, status: str, seconds: float) -> None:
        """Count one answer and its time.

        Each label set's two series are looked up once, then kept: ``labels()`` checks its arguments and takes
        a lock on every call, a cost every request paid.
        """
        labels = (route, method, status)
        series = self._answers.get(labels)
        if series is None:
            series = self._answers[labels] = (self.requests.labels(*labels), self.latency.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database at each scrape: read-model positions and lag, pool usage."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to read before the app has started

    def collect(self) -> Iterable[Metric]:
        services: Services | None = getattr(self.app.state, "services", None)
        if services is None:
            return []
        return [*projection_gauges(services), *pool_gauges(services)]


def projection_gauges(services: Services) -> list[Metric]:
    up = GaugeMetricFamily("registry_database_up", "1 if the database answered this scrape, else 0")
    try:
        report = status(services.projector, services.clock())
    except DATABASE_ERRORS as error:
        log.warning("metrics: the database did not answer: %s", error)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    head = GaugeMetricFamily("registry_log_head", "Position of the latest event in the log")
    head.add_metric([], report[0]["head"])
    gauges = [
        GaugeMetricFamily(f"registry_projection_{key}", text, labels=["read_model"])
        for key, text in (
            ("position", "Log position the read model has reached"),
            ("lag_events", "Events in the log the read model has not applied"),
            ("lag_seconds", "How long the oldest event not applied has waited"),
        )
    ]
    for row in report:
        for gauge, key in zip(gauges, ("position", "lag_events", "lag_seconds"), strict=True):
            gauge.add_metric([row["name"]], row[key])
    stopped = GaugeMetricFamily(
        "registry_projection_failed_position",
        "Log position of the event a read model could not apply, per programme it stopped for",
        labels=["read_model", "program"],
    )
    for failure in failures.listed(services.db):
        stopped.add_metric([failure["name"], failure["program_code"]], failure["position"])
    return [up, head, *gauges, stopped]


POOL = {
    "max": "Connections the pool may open",
    "connections": "Connections the pool holds open",
    "in_use": "Connections lent out",
    "idle": "Connections ready to lend",
    "waiting": "Requests waiting for a connection",
}


def pools(services: Services) -> dict[str, psycopg_pool.ConnectionPool[Any]]:
    """The PostgreSQL pools in this process, by role (none on SQLite or in memory)."""
    found = {}
    if isinstance(services.db, PostgresDatabase):
        found["read_models"] = services.db._pool
    store = getattr(getattr(services.registry.recorder, "datastore", None), "pool", None)
    if isinstance(store, psycopg_pool.ConnectionPool):
        found["event_store"] = store
    return found


def pool_values(pool: psycopg_pool.ConnectionPool[Any]) -> dict[str, int]:
    stats = pool.get_stats()
    size, idle, most = stats.get("pool_size", 0), stats.get("pool_available", 0), stats.get("pool_max", 0)
    waiting = stats.get("requests_waiting", 0)
    return {"max": most, "connections": size, "in_use": size - idle, "idle": idle, "waiting": waiting}


def pool_gauges(services: Services) -> list[Metric]:
    gauges = {key: GaugeMetricFamily(f"registry_db_pool_{key}", text, labels=["pool"]) for key, text in POOL.items()}
    found = pools(services)
    for role, pool in found.items():
        for key, value in pool_values(pool).items():
            gauges[key].add_metric([role], value)
    return list(gauges.values()) if found else []


def route_template(scope: Scope, app: FastAPI) -> str:
    """The matched route's path template (``/programs/{program}``), never the raw path: label cardinality."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path_format", UNMATCHED))
    # Answered before routing (a body guard) or by no route: name the documented route the path fits, if any.
    fits = (t for t in operations_of(app) if _fits(t, scope["path"]))
    return next(fits, UNMATCHED)


def _fits(template: str, path: str) -> bool:
    return template_pattern(template).fullmatch(path) is not None


class ObserveRequests:
    """Pure ASGI middleware, outermost: times, counts and logs every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, api: FastAPI) -> None:
        self.app = app
        self.metrics = metrics
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(scope, self.metrics)
        token = _exchange.set(exchange)
        started, answered = time.perf_counter(), 500  # an error escaping the app becomes a 500 outside

        async def send_noting_status(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _exchange.reset(token)
            self._finish(exchange, answered, time.perf_counter() - started)

    def _finish(self, exchange: Exchange, answered: int, seconds: float) -> None:
        route, method = route_template(exchange.scope, self.api), exchange.scope["method"]
        self.metrics.answered(route, method, str(answered), seconds)
        if not request_log.isEnabledFor(logging.INFO):
            return
        line = {"method": method, "route": route, "path": exchange.scope["path"], "status": answered}
        line |= {"duration_ms": round(seconds * 1000, 3), "request_id": exchange.request_id, "actor": exchange.actor}
        request_log.info("%s %s %s", method, route, answered, extra=line)


# --- readiness ------------------------------------------------------------------------


class ReadinessResponse(BaseModel):
    ready: Literal[True]
    log_head: int
    projections: list[ProjectionStatus]
    failures: list[ProjectionFailure] = Field(
        default=[],
        description="Read models stopped for one programme each: that programme's reads answer 503 until a rebuild;"
        " the process stays ready, as a restart would not cure it and every other programme is served",
    )


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "The database did not answer, or read models lag the log beyond the configured limits",
        "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
    }
}
router = APIRouter(tags=["operations"])


def lags(row: dict[str, Any], settings: Settings) -> bool:
    return bool(row["lag_events"] > settings.ready_max_lag or row["lag_seconds"] > settings.ready_max_lag_seconds)


def not_ready(detail: str, path: str, lagging: list[dict[str, Any]]) -> FastJSONResponse:
    log.warning("not ready: %s", detail)
    response = problem(503, "not-ready", detail, path, lagging=lagging)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@router.get(
    "/ready", response_model=ReadinessResponse, responses=NOT_READY, summary="Whether to send this process traffic"
)
def ready(request: Request) -> FastJSONResponse:
    services: Services = request.app.state.services
    try:
        report = status(services.projector, services.clock())
    except DATABASE_ERRORS as error:
        return not_ready(f"the database did not answer: {error}", request.url.path, [])
    settings = services.settings
    lagging = [{k: row[k] for k in ("name", "lag_events", "lag_seconds")} for row in report if lags(row, settings)]
    if lagging:
        limits = f"at most {settings.ready_max_lag} events or {settings.ready_max_lag_seconds:g} s behind"
        names = ", ".join(row["name"] for row in lagging)
        return not_ready(f"read models lag the log ({limits} allowed): {names}", request.url.path, lagging)
    stopped = failures.listed(services.db)
    if stopped:
        log.error("read models stopped for some programmes: %s", stopped)
    return FastJSONResponse({"ready": True, "log_head": report[0]["head"], "projections": report, "failures": stopped})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text; scraped by operators, not part of the API's contract."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """Add readiness, metrics and request logging to the app."""
    app.state.metrics = Metrics(app)
    app.include_router(router)
    app.add_middleware(ObserveRequests, metrics=app.state.metrics, api=app)


# --- structured logs ------------------------------------------------------------------

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _RECORD_FIELDS}
        exchange = _exchange.get()
        if "request_id" not in entry and exchange is not None:
            entry["request_id"] = exchange.request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(level: str) -> dict[str, Any]:
    """A ``dictConfig`` for JSON lines on stderr; uvicorn applies it in each worker process it spawns."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "registry": {"level": level},
            "uvicorn": {"level": level},
            "uvicorn.access": {"level": "WARNING"},  # the registry.requests line replaces it
        },
    }


def configure_logging(level: str) -> None:
    """Send every log record to stderr as one JSON object per line."""
    logging.config.dictConfig(logging_config(level))

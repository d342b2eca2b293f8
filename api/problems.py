"""RFC 9457 problem details: one table from error family to HTTP status, and the handlers.

Every error answer is ``application/problem+json`` with a stable ``type``
(``/problems/<code>``, documented at that path), a title, the status and a
human-readable detail. Domain errors are mapped by family, never one by one.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
import psycopg
from eventsourcing import persistence
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from domain import errors

log = logging.getLogger("registry.api")
PROBLEM_JSON = "application/problem+json"


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson (decimals and datetimes must already be strings)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ReadModelBehindError(Exception):
    """The read models had not reached the position the caller asked for within the wait."""


class ReadModelFailedError(Exception):
    """A read model stopped for this programme on an event it could not apply (``projections.failures``)."""

    def __init__(self, detail: str, failures: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.failures = failures


STATUS_BY_FAMILY: list[tuple[type[errors.RegistryError], int]] = [
    (errors.NotFoundError, 404),
    (errors.InvalidDecisionError, 422),
    (errors.RuleViolationError, 409),
    (errors.ConcurrentUpdateError, 409),
    (errors.PreconditionFailedError, 412),
    (errors.AccessDeniedError, 403),
]


def status_for(error: errors.RegistryError) -> int:
    return next((status for family, status in STATUS_BY_FAMILY if isinstance(error, family)), 500)


def problem(status: int, code: str, detail: str, instance: str, **extra: Any) -> FastJSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return FastJSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def problem_types() -> dict[str, str]:
    """Every problem type the API can answer with, and what it means."""
    return dict(_problem_types())


@functools.cache
def problem_types_json() -> bytes:
    """``problem_types`` as the JSON ``GET /problems`` answers: the same for the life of the process, built once."""
    return orjson.dumps(_problem_types())


@functools.cache
def _problem_types() -> dict[str, str]:

    def walk(cls: type[errors.RegistryError]) -> list[type[errors.RegistryError]]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in walk(child))]

    documented = {e.code: " ".join((e.__doc__ or e.__name__).split()) for e in walk(errors.RegistryError)[1:]}
    documented["invalid-request"] = (
        "The request body, path or query did not match the schema. The detail names each field (or the line and"
        " column of malformed JSON); /docs shows what each operation takes."
    )
    documented["not-found"] = "Nothing is served at this path. /docs and /openapi.json list every path."
    documented["unauthenticated"] = (
        "No API key was given, or it is unknown or revoked. Send one as Authorization: Bearer <key>;"
        " an admin issues keys with registry keys create."
    )
    documented["method-not-allowed"] = "The resource does not accept this method; the Allow header lists those it does."
    documented["payload-too-large"] = "The request body is larger than REGISTRY_MAX_BODY_BYTES. Send a smaller body."
    documented["database-unavailable"] = (
        "The database did not answer in time. Retry; an Idempotency-Key makes the retry safe."
    )
    documented["not-ready"] = (
        "The database is unreachable or a read model lags past the readiness bound. Send traffic elsewhere"
        " and retry after Retry-After; `registry projections status` shows the lag."
    )
    documented["read-model-behind"] = "The read models have not reached the requested min_position yet. Retry."
    documented["internal-error"] = (
        "The server failed to complete the request; the error is in its log under the X-Request-ID."
        " Nothing was recorded unless a later read shows it."
    )
    return documented


Operations = Mapping[str, frozenset[str]]
"""Each documented path template (``/programs/{program}``) and the methods it answers."""


def documented_operations(routers: tuple[APIRouter, ...]) -> Operations:
    """The operations the OpenAPI document lists, read off the routers' own routes (no document is built).

    The same for every app over these routers, so ``api.app`` works it out once per process: building an
    app's OpenAPI document takes most of a second, which a refused request's ``Allow`` header should not cost.
    """
    methods: dict[str, set[str]] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                methods.setdefault(route.path_format, set()).update(route.methods or ())
    return {template: frozenset(names) for template, names in methods.items()}


def operations_of(app: Starlette) -> Operations:
    """The documented operations of an app ``api.app.create_app`` built."""
    found: Operations = app.state.operations
    return found


def _allowed_methods(request: Request) -> set[str]:
    """Every method the OpenAPI document lists for this path (Starlette names only one route's)."""
    path = request.url.path
    return {
        method
        for template, methods in operations_of(request.app).items()
        if template_pattern(template).fullmatch(path)
        for method in methods
    }


@functools.cache
def template_pattern(template: str) -> re.Pattern[str]:
    """The paths a route template (``/programs/{program}``) serves, compiled once per template."""
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)))


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.RegistryError)
    async def registry_error(request: Request, error: errors.RegistryError) -> FastJSONResponse:
        return problem(status_for(error), error.code, error.detail, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> FastJSONResponse:
        issues = [
            {"location": [str(p) for p in e.get("loc", ())], "message": e.get("msg", ""), "kind": e.get("type", "")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(i['location'])}: {i['message']}" for i in issues[:5])
        return problem(422, "invalid-request", detail, request.url.path, errors=issues)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> FastJSONResponse:
        if error.status_code == 400:  # a body that could not be parsed at all: malformed input, like any other
            return problem(422, "invalid-request", str(error.detail), request.url.path)
        code = {401: "unauthenticated", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            error.status_code, "http-error"
        )
        response = problem(error.status_code, code, str(error.detail), request.url.path)
        response.headers.update(error.headers or {})
        if error.status_code == 405:
            response.headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
        return response

    @app.exception_handler(persistence.OperationalError)
    @app.exception_handler(persistence.InterfaceError)
    @app.exception_handler(psycopg.OperationalError)
    async def database_unavailable(request: Request, error: Exception) -> FastJSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
        response = problem(
            503,
            "database-unavailable",
            "the database did not answer; the decision may not be recorded — retry with the same Idempotency-Key",
            request.url.path,
        )
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(ReadModelBehindError)
    async def read_model_behind(request: Request, error: ReadModelBehindError) -> FastJSONResponse:
        response = problem(503, "read-model-behind", str(error), request.url.path)
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(ReadModelFailedError)
    async def read_model_failed(request: Request, error: ReadModelFailedError) -> FastJSONResponse:
        return problem(503, "read-model-failed", str(error), request.url.path, failures=error.failures)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> FastJSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal-error", HTTPStatus.INTERNAL_SERVER_ERROR.phrase, request.url.path)

"""Standings reads that memory can answer whole, answered before routing (PostgreSQL, the watcher listening).

Resolving a route's dependencies (the key, the read-model check, the two times,
the services) cost FastAPI about twice what the rest of a remembered read did.
``RememberedReads`` answers ``GET /programs/{p}/standings`` (and ``/programs/{p}``)
itself when every part of the answer is in memory: no query string, a key verified
before while the watcher vouches for the revocation count (``api.auth``), no
read model stopped for the programme, and its document remembered and fresh
(``api.stored``). It answers exactly what the route would (the same functions
build it: the stored bytes, the ETag, 304), and the middleware outside it (request
id, headers, metrics, the request log) sees it as the route's own answer.

Anything else goes on to the route, unchanged: a refusal, a time or
``min_position`` asked for, a key not verified yet, a document not in memory,
any store but PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import remembered_principal
from api.deps import MIN_POSITION_HEADER, AskedMoment, answered_for, failures_of, services_of
from api.stored import remembered, stored_reply
from domain.values import CONTROL, nfc


class RememberedReads:
    """Pure ASGI middleware, innermost: a remembered standings read never reaches the router."""

    def __init__(self, app: ASGIApp, router: APIRouter, endpoint: Any) -> None:
        self.app = app
        # The routes of ``endpoint`` (``get_standings``) whose reads this answers; the app includes ``router``
        # without a prefix of its own, so their paths are the app's.
        self.routes = [r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = not scope.get("query_string") and not scope.get("root_path")
        if scope["type"] == "http" and scope["method"] == "GET" and plain:
            answer = self._answer(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> Response | None:
        found = self._route(scope)
        if found is None:
            return None
        route, program = found
        request = Request(scope)
        services = services_of(request)
        stopped = services.watcher.failures() if services.watcher is not None else None
        if stopped is None or failures_of(stopped, program) or CONTROL.search(program):
            return None
        if MIN_POSITION_HEADER.lower() in request.headers or remembered_principal(request, "auditor") is None:
            return None
        now = services.clock()
        document = remembered(services, nfc(program), now)
        if document is None:
            return None
        scope["route"], scope["path_params"] = route, {"program": program}  # as routing would: metrics, the log
        return stored_reply(request, document.etag, document.body, answered_for(AskedMoment(None, None, now=now)))

    def _route(self, scope: Scope) -> tuple[APIRoute, str] | None:
        """The route of ``endpoint`` whose path this is, and the programme it names."""
        for route in self.routes:
            match = route.path_regex.match(scope["path"])
            if match is not None:
                return route, str(match["program"])
        return None

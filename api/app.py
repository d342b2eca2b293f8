"""The FastAPI application factory. Services are built in the lifespan, after any fork."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import BaseRoute

from api import auth, docs, observability, problems, web
from api.bootstrap import Clock, Services, build, serving, utc_now
from api.guards import BodyGuard, RequestId, SecurityHeaders
from api.remembered import RememberedReads
from api.routes import audit, checkpoints, events, keys, programs, reads, reentry, resources, rounds, rules, teams
from api.settings import Settings, load_settings

DESCRIPTION = """
The system of record for competitive government funding programmes.

Every decision — an application, an evaluation, an elimination, a re-entry offer,
a grant — is an immutable event. Writes answer **201** with the events they
recorded and their position in the log (also in the `X-Log-Position` header);
a decision that changes nothing answers **200** with no events. Errors are
[RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details whose `type`
is documented under `/problems/{code}`: 404 for an unknown programme or team,
409 for a rule the decision would break, 422 for malformed input. A refused
request stores nothing.
"""

API_ROUTERS = (
    programs.router,
    reentry.router,
    rules.router,
    teams.router,
    rounds.router,
    rounds.team_router,
    resources.router,
    resources.pools_router,
    reads.router,
    keys.router,
    audit.router,
    checkpoints.router,
    events.router,
)
"""The documented API, router by router (the order its routes are tried in is ``matching_order``)."""
OPERATIONS = problems.documented_operations((*API_ROUTERS, observability.router))
API_ROUTES = frozenset(id(route) for router in API_ROUTERS for route in router.routes)  # routes are not hashable
TAGS = [{"name": tag} for tag in (
    "programmes", "teams", "evaluation rounds", "resources", "shared pools", "history", "operations", "access", "audit",
    "events",
)]  # fmt: skip
"""The OpenAPI document's groups, in the order of the API's story."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utc_now,
    services: Services | None = None,
    freeze: bool = False,
) -> FastAPI:
    """The app over ``services`` if given (tests), else over services built from ``settings`` at start-up.

    ``freeze``: a server process's, whose start-up objects (the services, routes and models, tens of
    thousands) live as long as it does. Once started, they are moved out of the garbage collector's
    generations (``gc.freeze``), so its full collections no longer walk them all. Measured in a worker under
    the write benchmark's load: six full collections in 20 s, of 75 ms each on average (92 at most), each
    holding every request of the worker; frozen, they took 3 ms at most.
    """
    config = services.settings if services else settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services or build(config, clock=clock)
        app.state.services.watch()
        if app.state.services.settings.inline_projections:
            app.state.services.projector.catch_up(wait=False)  # serve meanwhile; /health shows the lag
        if freeze:
            gc.collect()  # what start-up left over is freed, not kept for good
            gc.freeze()
        try:
            with serving(app.state.services, observability.events_recorded):
                yield
        finally:
            if services is None:
                app.state.services.close()

    app = FastAPI(
        title="Program registry",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=TAGS,
        docs_url=None,  # served from the bundled files by api.docs, not from a CDN
        redoc_url=None,
    )
    problems.install(app)
    docs.install(app)
    # Innermost: only the router is inside it, so a read it answers passes every other middleware as the route's would.
    app.add_middleware(RememberedReads, router=programs.router, endpoint=programs.get_standings)
    app.add_middleware(BodyGuard, max_bytes=config.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)
    # The routes themselves, not include_router: including builds every route's dependencies and models again
    # for each app (about 0.13 s, on its first request), and these routes are the same for every app. So they
    # are built once per process; the price is that app.dependency_overrides does not reach them (unused here).
    app.router.routes.extend(route for router in API_ROUTERS for route in router.routes)
    app.state.operations = OPERATIONS
    app.include_router(web.router)
    observability.install(app)
    auth.document_keys(app)
    app.router.routes.sort(key=matching_order)  # stable: each group keeps its order
    return app


BUSIEST = ("/programs/{program}/standings", "/programs/{program}/teams", "/programs")
"""Paths matched first, in this order: a programme's standings, a team's decisions and record, the programme's."""


def matching_order(route: BaseRoute) -> int:
    """Where a route is tried: the busiest paths first, then the rest of the API, then pages and documents.

    A request is matched against the routes one by one, about 12,000 instructions each (callgrind); a
    team's application was tried against 22 routes before its own. No path matches two routes
    (``tests/e2e/test_routing.py``), so the order changes only the cost of finding a route, never which.
    The OpenAPI document lists its operations in this order too; its groups keep the order of ``TAGS``.
    """
    path = str(getattr(route, "path", ""))
    for rank, prefix in enumerate(BUSIEST):
        if path.startswith(prefix):
            return rank
    return len(BUSIEST) + (0 if id(route) in API_ROUTES else 1)


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings come from REGISTRY_* variables, read per worker."""
    return create_app(load_settings(), freeze=True)

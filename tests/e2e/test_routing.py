"""Routes are tried in the order of their traffic (``api.app.matching_order``), which is safe only if no
path can match two of them: then the order decides what a route costs to find, never which route answers."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match, Route

from api import docs, observability, web
from api.app import API_ROUTERS, create_app
from api.settings import Settings

PARAMETER = re.compile(r"\{[^}]+\}")
INCLUDED: tuple[APIRouter, ...] = (docs.router, web.router, observability.router)  # included, so tried last


def _routes() -> list[BaseRoute]:
    return create_app(Settings(database_url="memory://")).router.routes


def _samples(paths: list[str]) -> list[str]:
    """Each parameter filled with a word, and with every literal segment of every route (so that
    ``/a/{x}/c`` meets ``/a/b/{y}`` at ``/a/b/c``)."""
    literals = {segment for path in paths for segment in path.split("/") if segment and "{" not in segment}
    return ["x-1", *sorted(literals)]


def _full_matches(routes: list[BaseRoute], path: str, method: str) -> list[str]:
    scope = {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
    return [str(getattr(r, "path", r)) for r in routes if isinstance(r, Route) and r.matches(scope)[0] == Match.FULL]


def test_no_path_matches_two_routes() -> None:
    routes = _routes()
    own = [route for route in routes if isinstance(route, Route)]
    included = [route for router in INCLUDED for route in router.routes if isinstance(route, Route)]
    values = _samples([route.path for route in [*own, *included]])
    checked = 0
    for route in [*own, *included]:
        for value in values if "{" in route.path else [""]:
            path = PARAMETER.sub(value, route.path)
            for method in route.methods or ():
                found = _full_matches(routes, path, method)
                # an API route answers only its own paths; an included one (tried last) is shadowed by none
                assert found == ([route.path] if route in own else []), (path, method, found)
                checked += 1
    assert checked > 1000


def test_the_busiest_routes_are_tried_first() -> None:
    paths = [str(getattr(r, "path", "")) for r in _routes()]
    assert paths[0] == "/programs/{program}/standings"
    assert paths.index("/programs/{program}/teams") < paths.index("/programs") < paths.index("/health")
    assert paths.index("/openapi.json") > paths.index("/events")
    first_api = {str(router.routes[0].path) for router in API_ROUTERS if router.routes}  # type: ignore[attr-defined]
    assert all(paths.index(path) < paths.index("/openapi.json") for path in first_api)

"""Routes are tried in the order of their traffic (``api.app.matching_order``), which is safe only if no
path can match two of them: then the order decides what a route costs to find, never which route answers."""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Match, Route

from api.app import create_app, matching_order
from api.settings import Settings

PARAMETER = re.compile(r"\{[^}]+\}")


def _routes() -> list[BaseRoute]:
    return create_app(Settings(database_url="memory://")).router.routes


def _full_matches(routes: list[BaseRoute], path: str, method: str) -> list[str]:
    scope = {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
    return [str(getattr(r, "path", r)) for r in routes if r.matches(scope)[0] == Match.FULL]


def test_no_path_matches_two_routes() -> None:
    routes = _routes()
    checked = 0
    for route in routes:
        if not isinstance(route, Route):
            continue
        # A sample path of the route's own shape; a word like the literal segments beside it, so a literal
        # segment of another route (``export``, ``latest``) is tried too.
        for value in ("x-1", "export", "latest", "standings", "teams", "stream"):
            path = PARAMETER.sub(value, route.path)
            for method in route.methods or ():
                found = _full_matches(routes, path, method)
                assert found == [route.path], (path, method, found)
                checked += 1
    assert checked > 100


def test_the_busiest_routes_are_tried_first() -> None:
    paths = [str(getattr(r, "path", "")) for r in _routes()]
    assert paths[0] == "/programs/{program}/standings"
    assert paths.index("/programs/{program}/teams") < paths.index("/programs") < paths.index("/health")
    assert paths.index("/openapi.json") > paths.index("/events")
    ranks = [matching_order(r) for r in _routes()]
    assert ranks == sorted(ranks)

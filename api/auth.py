"""Authentication by API key and the role each route needs.

A key arrives as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. The web view's
``registry_key`` cookie authenticates the web view's pages only (``PageReader``): an API
route never reads it, so a cookie a browser holds cannot act on the API. No key (or an unknown or revoked one) is 401;
a key whose role may not act is 403. Reads can be opened to callers without a key by
configuration (off by default).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPBearer

from api.deps import services_of
from domain import errors
from domain.access import Principal

ANONYMOUS = Principal(key_id="-", name="anonymous", role="anonymous")

# The two ways to present a key, as the OpenAPI document names them so that /docs can authorise
# (``document_keys``). The key itself is read by _presented_key, which also accepts the web view's cookie.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="Authorization: Bearer <key>")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey", description="X-API-Key: <key>")
SCHEMES = (BEARER, API_KEY)


def _presented_key(request: Request, *, cookie: bool) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if header := request.headers.get("x-api-key"):
        return header
    # Browsers of the web view (api.web) hold the key in an HttpOnly, SameSite=Strict cookie: pages only.
    return (request.cookies.get("registry_key") or None) if cookie else None


def _principal(request: Request, role: str, secret: str | None) -> Principal:
    """The key's principal, verified against the store (it may query: run it in the thread pool)."""
    services = services_of(request)
    principal = services.keys().authenticate(secret) if secret else None
    if principal is None:
        if role == "auditor" and secret is None and services.settings.open_reads:
            return ANONYMOUS
        detail = "an API key is required" if secret is None else "the API key is unknown or revoked"
        raise HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="registry"'})
    return _allowed(principal, role)


def remembered_principal(request: Request, role: str, *, cookie: bool = False) -> Principal | None:
    """The caller's principal if memory alone can tell it may act as ``role`` (no I/O); None: ask the store.

    That is a key verified before while the watcher vouches for the revocation count
    (``api.keycache``), or no key at all on a read when reads are open.
    """
    services = services_of(request)
    secret = _presented_key(request, cookie=cookie)
    if secret is None:
        return ANONYMOUS if role == "auditor" and services.settings.open_reads else None
    known = services.keys().known(secret)
    return known if known is not None and known.may(role) else None


def _allowed(principal: Principal, role: str) -> Principal:
    if not principal.may(role):
        raise errors.AccessDeniedError(f"the {principal.role} role may not do this; it needs {role}")
    return principal


def _require(role: str, *, cookie: bool = False) -> Callable[..., Awaitable[Principal]]:
    # One dependency with no sub-dependencies of its own: the schemes, as FastAPI's Security() sub-dependencies,
    # cost each request two more resolutions (about 170,000 instructions, measured with callgrind) to read
    # headers read here anyway. ``document_keys`` names them in the OpenAPI document instead.
    async def dependency(request: Request) -> Principal:
        # Answered here on the event loop when memory can tell; any other check may query the store (a key not
        # verified yet, the revocation count without a watcher, a refusal), so it goes to the thread pool.
        if (known := remembered_principal(request, role, cookie=cookie)) is not None:
            return known
        return await run_in_threadpool(_principal, request, role, _presented_key(request, cookie=cookie))

    KEYED.add(dependency)
    return dependency


KEYED: set[Callable[..., Awaitable[Principal]]] = set()
"""The dependencies that take a key: an operation using one is documented as needing it."""


def document_keys(app: FastAPI) -> None:
    """The app's OpenAPI document names the key schemes, and each operation that takes a key names both.

    FastAPI's documented way to extend the document: ``app.openapi`` replaced by a function that adds to
    the document FastAPI builds (once: it is kept in ``app.openapi_schema``). It looks at the app's own
    routes, where ``api.app`` puts the API's; a keyed route added with ``include_router`` would need to be
    looked for inside its router.
    """
    built = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = built()
        components = document.setdefault("components", {})
        components["securitySchemes"] = {
            scheme.scheme_name: scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
            for scheme in SCHEMES
        }
        either: list[dict[str, list[str]]] = [{scheme.scheme_name: []} for scheme in SCHEMES]
        for route in app.routes:
            if isinstance(route, APIRoute) and route.include_in_schema and _takes_key(route.dependant):
                for method in route.methods or ():
                    document["paths"][route.path_format][method.lower()]["security"] = either
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _takes_key(dependant: Dependant) -> bool:
    return any(d.call in KEYED for d in _flat(dependant))


def _flat(dependant: Dependant) -> Iterator[Dependant]:
    for inner in dependant.dependencies:
        yield inner
        yield from _flat(inner)


Reader = Annotated[Principal, Depends(_require("auditor"))]
Recorder = Annotated[Principal, Depends(_require("recorder"))]
Admin = Annotated[Principal, Depends(_require("admin"))]
PageReader = Annotated[Principal, Depends(_require("auditor", cookie=True))]  # the web view's pages only

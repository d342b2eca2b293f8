"""The interactive documentation, served by the registry itself: ``/docs`` (Swagger UI) and ``/redoc``.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, so on a network without internet
they are blank. The ``fastapi-offline`` package bundles both (Swagger UI 5, ReDoc 2); its files
are served here under ``/docs/static``, and nothing is fetched from elsewhere.

The two pages are module-level routes that read the app from the request: FastAPI caches every
endpoint function it has seen (up to 4,096), so a page defined inside ``install`` as a closure
over its app would keep each app made in a process (and its services) alive to the end.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"
router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs and ReDoc at /redoc from the bundled files (create the app with docs_url=None)."""
    app.mount(STATIC, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-static")
    app.include_router(router)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} — API documentation",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon.png",
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} — API reference",
        redoc_js_url=f"{root}{STATIC}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{STATIC}/favicon.png",
        with_google_fonts=False,
    )

"""How the web pages answer failures: a browser without a key is sent to the login page, and
every other refusal is an HTML page with the status the JSON API would give (not problem JSON).

Pages use ``PageReader`` (the API's reader rule, key from the view's cookie); this route class wraps their handlers, so
the API's error handlers and statuses stay exactly as they are for the JSON routes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api.problems import status_for
from api.web.render import error_page
from domain import errors

LOGIN = "/ui/login"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def login_url(request: Request) -> str:
    """The login page, remembering the page the browser asked for."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN}?next={quote(wanted, safe='')}"


def safe_next(value: str | None) -> str:
    """Only a page of this view may follow a login (never another site: no open redirect)."""
    if value and value.startswith("/ui") and "//" not in value and "\\" not in value:
        return value
    return "/ui"


class PageRoute(APIRoute):
    """A route whose failures are pages: 401 redirects to the login form, the rest render ``error.html``."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.RegistryError as error:
                return error_page(request, status_for(error), error.code.replace("-", " "), error.detail)
            except RequestValidationError as error:
                detail = "; ".join(str(e.get("msg", "")) for e in error.errors()[:3])
                return error_page(request, 422, "invalid request", detail)
            except HTTPException as error:
                if error.status_code != 401:
                    raise
                return RedirectResponse(login_url(request), status_code=303)

        return page_handler

"""Signing a browser in: the key is checked against the registry and kept in an HttpOnly cookie.

Browsers cannot easily send an ``Authorization`` header, so the pages (``PageReader``,
never the JSON API) read the key from the ``registry_key`` cookie. The cookie is
``SameSite=Strict``, so no other site can make the browser use it, and ``Secure``
whenever the page came over HTTPS. Every form also carries an anti-forgery token that
must equal the browser's ``registry_csrf`` cookie (double submit), or it is refused with 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from api.deps import ServicesDep
from api.web.access import PageRoute, safe_next
from api.web.render import csrf_matches, error_page, page

COOKIE = "registry_key"
MAX_FIELD = 500
router = APIRouter(route_class=PageRoute, include_in_schema=False)
Next = Annotated[str | None, Query(alias="next", max_length=MAX_FIELD)]


async def form_fields(request: Request) -> dict[str, str]:
    """A urlencoded form body (the login form has two fields; no multipart parser is needed)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body).items() if len(values[0]) <= MAX_FIELD}


Form = Annotated[dict[str, str], Depends(form_fields)]


def forged(request: Request) -> Response:
    """A form posted without this browser's anti-forgery token: perhaps sent by another site."""
    return error_page(request, 403, "form refused", "The form is out of date or came from another site; reload it.")


@router.get("/ui/login")
def login_form(request: Request, wanted: Next = None) -> Response:
    return page(request, "login.html", {"next": safe_next(wanted), "error": None})


@router.post("/ui/login")
def login(request: Request, services: ServicesDep, form: Form) -> Response:
    if not csrf_matches(request, form.get("csrf")):
        return forged(request)
    secret = form.get("key", "").strip()
    principal = services.registry.authenticate(secret) if secret else None
    target = safe_next(form.get("next"))
    if principal is None:
        error = "Enter an API key." if not secret else "That API key is unknown or revoked."
        return page(request, "login.html", {"next": target, "error": error}, status=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, secret, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
    return response


@router.post("/ui/logout")
def logout(request: Request, form: Form) -> Response:
    if not csrf_matches(request, form.get("csrf")):
        return forged(request)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response

"""Rendering: the Jinja2 templates (autoescaped), their helpers, and the HTML error page.

The environment is built on first use, not at import.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import Response

from api.web import times, views

HERE = Path(__file__).parent
STYLESHEET = HERE / "static" / "web.css"
FAVICON = HERE / "static" / "favicon.svg"


def number(value: Any) -> str:
    """Thousands separated: ``10,000,000,000``; a fraction of a unit (half an H100 in B200) keeps its decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}".rstrip("0")
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def lang_of(text: Any) -> str:
    """``ko`` for text with Hangul in it, else ``en`` (the page's language)."""
    return "ko" if HANGUL.search(str(text or "")) else "en"


def ko(text: Any) -> Markup:
    """Text from the log, marked ``lang="ko"`` when it is Korean, so screen readers and fonts read it as such."""
    if text is None:
        return Markup("")
    return Markup('<span lang="ko">{}</span>').format(text) if lang_of(text) == "ko" else escape(text)


def breakable(text: Any) -> Markup:
    """An identifier (``official:msit-ai-policy``) that may wrap after its colons, never inside a word."""
    return Markup(":<wbr>").join(escape(part) for part in str(text).split(":"))


@cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.filters.update(number=number, ko=ko, breakable=breakable)
    found.env.globals.update(
        plural=plural, shown=times.shown, status_class=views.status_class, query=views.query, lang_of=lang_of, utc=UTC
    )
    found.env.trim_blocks = True
    found.env.lstrip_blocks = True
    return found


CSRF_COOKIE = "registry_csrf"


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's anti-forgery token (double-submit: cookie and form field), and whether it is new."""
    given = request.cookies.get(CSRF_COOKIE, "")
    if len(given) == 43 and given.replace("-", "").replace("_", "").isalnum():
        return given, False
    return secrets.token_urlsafe(32), True


def csrf_matches(request: Request, form_value: str | None) -> bool:
    """Whether a posted form carries the token of the browser's cookie (another site can read neither)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and form_value is not None and hmac.compare_digest(cookie, form_value)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A rendered page. Pages show who may have seen them, so no shared cache keeps them.

    Every page's forms carry the anti-forgery token (``csrf``), set in a SameSite=Strict cookie on first sight.
    """
    token, new = csrf_token(request)
    response = templates().TemplateResponse(request, name, {**context, "csrf": token}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if new:
        secure = request.url.scheme == "https"
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/ui")
    return response


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", {"status": status, "title": title, "detail": detail}, status)

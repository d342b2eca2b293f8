"""Rendering: the Jinja2 templates (autoescaped), their helpers, and the HTML error page.

The environment is built on first use, not at import.
"""

from __future__ import annotations

import re
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


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A rendered page. Pages show who may have seen them, so no shared cache keeps them."""
    response = templates().TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", {"status": status, "title": title, "detail": detail}, status)

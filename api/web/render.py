"""Rendering: the Jinja2 templates (autoescaped), their helpers, and the HTML error page.

The environment is built on first use, not at import.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from api.web import times, views

HERE = Path(__file__).parent
STYLESHEET = HERE / "static" / "web.css"


def number(value: Any) -> str:
    """Thousands separated: ``10,000,000,000``."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.filters["number"] = number
    found.env.globals.update(plural=plural, shown=times.shown, status_class=views.status_class, query=views.query)
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

"""The read-only pages: the programme list and one programme's standings, timeline, funding and checkpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from api.auth import PageReader
from api.deps import ServicesDep, code_in_path
from api.web import times, views
from api.web.access import PageRoute
from api.web.render import FAVICON, STYLESHEET, error_page, page
from audit.signing import signature_valid
from audit.verify import Report, verify
from projections import standings
from projections.as_of import read_store
from projections.encoding import iso

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Picked = Annotated[str | None, Query(max_length=40, description="A datetime-local value, or ISO 8601 with offset")]


@router.get("/ui/web.css")
def stylesheet() -> Response:
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=300"})


@router.get("/ui/favicon.svg")
@router.get("/favicon.ico")
def favicon() -> Response:
    """The registry's icon (browsers ask for /favicon.ico whatever the page says)."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/ui")
def programmes(request: Request, services: ServicesDep, who: PageReader) -> Response:
    return page(request, "programs.html", {"programs": standings.list_programs(services.db), "who": who})


@router.get("/ui/programs/{program}")
def programme(
    request: Request,
    program: str,
    services: ServicesDep,
    who: PageReader,
    as_of: Picked = None,
    known_at: Picked = None,
    tz: Annotated[str, Query(max_length=64)] = "+00:00",
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> Response:
    code = code_in_path(program)
    zone = times.zone(tz)
    view = views.View(times.parse(as_of, known_at, zone), zone, times.form_value(zone), after)
    head = services.projector.head()  # the log the page answers from, shown with its checkpoint
    with read_store(services.registry, services.db, view.moment, code) as source:
        context = views.programme(source, services.db, head, code, view, services.clock())
    if context is None:
        return error_page(request, 404, "programme not found", _missing(code, view))
    return page(
        request, "program.html", {**context, "who": who, "zones": times.zones(), "checkpoint": _checkpoint(services)}
    )


_verified: dict[tuple[int, int], Report] = {}


def _checkpoint(services: ServicesDep) -> dict[str, object]:
    """A rehash of every event from the raw store, and the signed tree head of what it verified.

    The rehash reads the whole log, so it is done once per log head; a tampered log gets no signature.
    """
    key = (id(services.registry), services.projector.head())
    if key not in _verified:
        _verified.clear()
        _verified[key] = verify(services.registry, key=services.signer().verifier(services.settings.log_origin))
    report = _verified[key]
    signer = services.signer()
    signed = signer.sign(report.events, report.root_hash, iso(services.clock())) if report.ok else None
    return {
        "signed": signed,
        "public_key": signer.public_key,
        "signature_valid": signed is not None and signature_valid(signed, signer.public_key),
        "report": report,
    }


def _missing(code: str, view: views.View) -> str:
    if view.moment.latest:
        return f"No programme is named {code!r}."
    return f"No programme named {code!r} had been opened at the chosen times."

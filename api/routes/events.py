"""``GET /events`` (paged, long poll) and ``GET /events/stream`` (Server-Sent Events): the live event feed.

Both answer programme events after a log position as CloudEvents 1.0 (``api.feed``), for an
auditor's key or above. The stream resumes after ``Last-Event-ID`` (what an EventSource sends
when it reconnects) or ``after``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api import feed
from api.auth import Reader
from api.deps import ServicesDep
from api.schemas import API_PROBLEMS
from domain import errors

router = APIRouter(tags=["events"], responses=API_PROBLEMS)
After = Annotated[int, Query(ge=0, le=2**62, description="The last log position already seen (0: from the start)")]


@router.get("/events", summary="Programme events after a log position, as CloudEvents (paged; long poll)")
async def events(
    services: ServicesDep,
    _: Reader,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float, Query(ge=0, le=feed.MAX_WAIT_SECONDS, description="Seconds to wait for a first event if none is there")
    ] = 0,
) -> dict[str, Any]:
    """The events after ``after`` in log order; ``next_after`` is the ``after`` of the next call."""
    found = await feed.events_after(services.db, after, limit, wait)
    return {"events": found, "next_after": int(found[-1]["id"]) if found else after}


@router.get(
    "/events/stream",
    summary="Programme events as Server-Sent Events, each a CloudEvent; resumable with Last-Event-ID",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def event_stream(
    services: ServicesDep,
    _: Reader,
    after: After = 0,
    last_event_id: Annotated[str | None, Header(description="The id of the last event received")] = None,
    idle_timeout: Annotated[
        float | None, Query(gt=0, le=3600, description="End the stream after this many seconds without an event")
    ] = None,
) -> StreamingResponse:
    start = after
    if last_event_id is not None:
        if not last_event_id.strip().isdigit():
            raise errors.InvalidValueError(f"Last-Event-ID {last_event_id!r} is not a log position")
        start = int(last_event_id.strip())
    return StreamingResponse(
        feed.stream(services.db, start, idle_timeout),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

"""Request-scoped dependencies: the services built at start-up, and each decision's context."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.bootstrap import Services
from api.problems import FastJSONResponse
from api.schemas import Decision, RecordedEvent, RecordedResponse
from domain.registry import Context, Recorded
from projections.engine import iso, json_ready

POSITION_HEADER = "X-Log-Position"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given[:200] if given else uuid.uuid4().hex


def actor(x_actor: Annotated[str, Header(max_length=200)] = "anonymous") -> str:
    """Who records the decision. Until API keys arrive this is the caller's own word."""
    return x_actor or "anonymous"


ActorDep = Annotated[str, Depends(actor)]


def context(request: Request, who: str, body: Decision) -> Context:
    return Context(actor=who, effective_at=body.effective_at, reason=body.reason, correlation_id=request_id(request))


def fields(body: Decision) -> dict[str, Any]:
    """The decision's own fields, without the common effective_at and reason."""
    return {name: getattr(body, name) for name in type(body).model_fields if name not in ("effective_at", "reason")}


def recorded(services: Services, outcome: Recorded, result: dict[str, Any] | None = None) -> FastJSONResponse:
    """201 with the new events and the log position; 200 when the decision changed nothing."""
    if services.settings.inline_projections and outcome.events:
        services.projector.catch_up()
    body = RecordedResponse(
        position=outcome.position,
        events=[
            RecordedEvent(
                position=position,
                type=event.type_name,
                stream_id=event.originator_id.hex,
                version=event.originator_version,
                effective_at=iso(event.effective_at),
                recorded_at=iso(event.recorded_at),
                actor=event.actor,
                reason=event.reason,
                correlation_id=event.correlation_id,
                data=json_ready(event.payload()),
            )
            for position, event in zip(outcome.positions, outcome.events, strict=True)
        ],
        result=result or {},
    )
    headers = {} if outcome.position is None else {POSITION_HEADER: str(outcome.position)}
    return FastJSONResponse(body.model_dump(mode="json"), status_code=201 if outcome.events else 200, headers=headers)

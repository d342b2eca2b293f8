"""Problem details (RFC 9457) and the service's own state: health and read-model status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="/problems/{code}: stable per kind of error")
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = Field(None, description="For invalid requests: each field's issue")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    meaning = {
        401: "No API key, or an unknown or revoked one",
        403: "The key's role may not do this",
        404: "Unknown programme, team, evaluation, round or offer",
        409: "A programme rule forbids the decision",
        412: "If-Match names a version that is no longer current",
        413: "Request body too large",
        422: "Malformed input",
        503: "The database did not answer in time",
    }
    return {
        status: {
            "description": meaning[status],
            "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


API_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 413, 422, 503)
"""The problems any route of the API may answer with, documented on every operation."""


class ProjectionStatus(BaseModel):
    name: str
    position: int = Field(description="Log position the read model has reached")
    head: int = Field(description="Log position of the latest event")
    lag_events: int
    lag_seconds: float = Field(description="How long the oldest event not yet applied has waited")
    state: str = Field(description="live, retrying or stopped (a runner), or inline (kept by the API process)")
    last_error: str | None


class ProjectionFailure(BaseModel):
    """A read model stopped for one programme on an event it could not apply; its reads answer 503 until a rebuild."""

    name: str
    program_code: str
    position: int
    error: str
    failed_at: str


class Health(BaseModel):
    status: Literal["ok"]
    log_head: int
    projections: list[ProjectionStatus]
    failures: list[ProjectionFailure] = []


def cross_field_rules(*rules: str) -> dict[str, Any]:
    """``openapi_extra`` of an operation whose request must obey rules across fields, which JSON Schema cannot state.

    Each rule is the detail of its 422 ``/problems/invalid-value`` answer, ``…`` standing for the values it names.
    They are listed in the 422 response's description and, for tools, in ``x-cross-field-rules``.
    """
    listed = "; ".join(rules)
    return {
        "responses": {
            "422": {
                "description": f"Malformed input, or a request that breaks a rule across its fields: {listed}",
                "x-cross-field-rules": list(rules),
            }
        }
    }

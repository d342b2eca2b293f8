"""API key management (admin only). A key's secret is shown once, in the answer that creates it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from api import keys
from api.auth import Admin
from api.deps import ServicesDep, request_id
from api.schemas import API_PROBLEMS, Strict
from api.schemas.values import STATED_TEXT_PATTERN
from domain import errors

router = APIRouter(prefix="/keys", tags=["access"], responses=API_PROBLEMS)


class CreateKeyRequest(Strict):
    # Free text, not blank (domain.access: text(name, "key name", limit=100)); also the reason of the record.
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=100), Field(json_schema_extra={"pattern": STATED_TEXT_PATTERN})
    ]
    role: Literal["admin", "recorder", "auditor"]


class CreatedKey(BaseModel):
    key_id: str
    name: str
    role: str
    secret: str | None = Field(
        description="The key itself, shown only in the answer that issued it; null when a retry with the same"
        " Idempotency-Key is answered (the first answer held it, and only its SHA-256 is stored)"
    )


class KeyView(BaseModel):
    key_id: str
    name: str
    role: str
    issued_at: str
    issued_by: str
    revoked_at: str | None


@router.post(
    "",
    response_model=CreatedKey,
    status_code=201,
    summary="Issue an API key (shown once)",
    responses={200: {"model": CreatedKey, "description": "A retry with the same Idempotency-Key: nothing issued"}},
)
def create_key(body: CreateKeyRequest, request: Request, who: Admin, services: ServicesDep) -> JSONResponse:
    idempotency_key = request.headers.get("idempotency-key", "")
    if len(idempotency_key) > 200:
        raise errors.InvalidValueError("Idempotency-Key is longer than 200 characters")
    issued = keys.create_key(
        services,
        name=body.name,
        role=body.role,
        actor=who.label,
        correlation_id=request_id(request),
        idempotency_key=idempotency_key,
    )
    answer = CreatedKey(key_id=issued.key_id, name=issued.name, role=issued.role, secret=issued.secret or None)
    if issued.replayed:
        return JSONResponse(answer.model_dump(), status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(answer.model_dump(), status_code=201)


@router.get("", response_model=list[KeyView], summary="Every key issued, and whether it is revoked")
def list_keys(who: Admin, services: ServicesDep) -> list[dict[str, Any]]:
    return keys.list_keys(services)


@router.post(
    "/{key_id}/revocation",
    status_code=204,
    summary="Revoke an API key (never the last active admin key: 409)",
)
def revoke_key(key_id: str, request: Request, who: Admin, services: ServicesDep) -> Response:
    if not key_id.isalnum() or len(key_id) > 32:
        raise errors.NotFoundError(f"no API key {key_id!r}")
    keys.revoke_key(services, key_id, actor=who.label, correlation_id=request_id(request))
    return Response(status_code=204)

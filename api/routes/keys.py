"""API key management (admin only). A key's secret is shown once, in the answer that creates it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, StringConstraints

from api import keys
from api.auth import Admin
from api.deps import ServicesDep, request_id
from api.schemas import Strict
from domain import errors

router = APIRouter(prefix="/keys", tags=["access"])


class CreateKeyRequest(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    role: Literal["admin", "recorder", "auditor"]


class CreatedKey(BaseModel):
    key_id: str
    name: str
    role: str
    secret: str


class KeyView(BaseModel):
    key_id: str
    name: str
    role: str
    issued_at: str
    issued_by: str
    revoked_at: str | None


@router.post("", response_model=CreatedKey, status_code=201, summary="Issue an API key (shown once)")
def create_key(body: CreateKeyRequest, request: Request, who: Admin, services: ServicesDep) -> keys.NewKey:
    return keys.create_key(
        services, name=body.name, role=body.role, actor=who.label, correlation_id=request_id(request)
    )


@router.get("", response_model=list[KeyView], summary="Every key issued, and whether it is revoked")
def list_keys(who: Admin, services: ServicesDep) -> list[dict[str, Any]]:
    return keys.list_keys(services)


@router.post("/{key_id}/revocation", status_code=204, summary="Revoke an API key")
def revoke_key(key_id: str, request: Request, who: Admin, services: ServicesDep) -> Response:
    if not key_id.isalnum() or len(key_id) > 32:
        raise errors.NotFoundError(f"no API key {key_id!r}")
    keys.revoke_key(services, key_id, actor=who.label, correlation_id=request_id(request))
    return Response(status_code=204)

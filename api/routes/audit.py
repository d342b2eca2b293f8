"""Auditors' proofs: signed tree heads, inclusion proofs for one event, consistency between two sizes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import Reader
from api.deps import ServicesDep
from api.schemas import API_PROBLEMS
from api.schemas.service import cross_field_rules
from audit import merkle
from audit.log import MerkleLog
from domain import errors
from projections.encoding import iso

router = APIRouter(prefix="/audit", tags=["audit"], responses=API_PROBLEMS)
Size = Annotated[int | None, Query(ge=1, le=2**62, description="Tree size (default: the whole log)")]


class CheckpointResponse(BaseModel):
    tree_size: int
    root_hash: str = Field(description="RFC 9162 Merkle tree head, hex")
    timestamp: str
    key_id: str
    signature: str = Field(
        description="Ed25519 over 'program-registry checkpoint v1\\n{size}\\n{root}\\n{timestamp}\\n', base64"
    )
    public_key: str = Field(description="Ed25519 public key, base64 of the raw 32 bytes")


class InclusionProof(BaseModel):
    position: int
    leaf_index: int
    tree_size: int
    event_hash: str = Field(description="Hex SHA-256 of the event's canonical encoding (the Merkle leaf data)")
    audit_path: list[str]


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str]


def _leaves(services: ServicesDep, size: int | None) -> list[bytes]:
    leaves = MerkleLog(services.registry).leaves()
    if size is not None and size > len(leaves):
        raise errors.PositionNotFoundError(f"tree size {size} exceeds the log's {len(leaves)} events")
    return leaves if size is None else leaves[:size]


@router.get("/checkpoint", response_model=CheckpointResponse, summary="The signed tree head of the whole log")
def checkpoint(services: ServicesDep, _: Reader) -> dict[str, Any]:
    leaves = _leaves(services, None)
    signer = services.signer()
    signed = signer.sign(len(leaves), merkle.root(leaves).hex(), iso(services.clock()))
    return {**signed.as_dict(), "public_key": signer.public_key}


@router.get("/events/{position}/proof", response_model=InclusionProof, summary="Inclusion proof for one event")
def inclusion(position: int, services: ServicesDep, _: Reader, tree_size: Size = None) -> dict[str, Any]:
    links = list(MerkleLog(services.registry).links())  # one read of the chain serves the lookup and the proof
    size = len(links) if tree_size is None else tree_size
    if size > len(links):
        raise errors.PositionNotFoundError(f"tree size {size} exceeds the log's {len(links)} events")
    link = next((item for item in links[:size] if item.position == position), None)
    if link is None:
        raise errors.NotFoundError(f"no event at position {position} in the first {size} leaves")
    leaves = [merkle.leaf_hash(bytes.fromhex(item.hash)) for item in links[:size]]
    return {
        "position": position,
        "leaf_index": link.leaf,
        "tree_size": size,
        "event_hash": link.hash,
        "audit_path": [node.hex() for node in merkle.inclusion_proof(link.leaf, leaves)],
    }


@router.get(
    "/consistency",
    response_model=ConsistencyProof,
    summary="Consistency proof between two tree sizes",
    openapi_extra=cross_field_rules("first must not exceed second"),
)
def consistency(
    services: ServicesDep,
    _: Reader,
    first: Annotated[int, Query(ge=1, le=2**62)],
    second: Annotated[int, Query(ge=1, le=2**62)],
) -> dict[str, Any]:
    if first > second:
        raise errors.InvalidValueError("first must not exceed second")
    leaves = _leaves(services, second)
    return {"first": first, "second": second, "proof": [n.hex() for n in merkle.consistency_proof(first, leaves)]}


@router.get("/public-key", summary="The key that signs checkpoints")
def public_key(services: ServicesDep, _: Reader) -> dict[str, str]:
    signer = services.signer()
    return {"public_key": signer.public_key, "key_id": signer.key_id}

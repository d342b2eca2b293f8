"""The registry's stored signed checkpoints, witness cosignatures, each event's hashed bytes and its receipt."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.auth import Reader
from api.deps import ServicesDep
from api.schemas import API_PROBLEMS
from audit import receipts
from audit.note import NoteError, Verifier, cosignature_valid, split
from domain import errors
from eventstore.checkpoints import CheckpointTable, StoredCheckpoint
from projections.history import HistoryFilter, page

router = APIRouter(prefix="/audit", tags=["audit"], responses=API_PROBLEMS)
Position = Annotated[int, Path(ge=1, le=2**62)]


class StoredCheckpointResponse(BaseModel):
    tree_size: int
    signed_at: str
    note: str = Field(description="C2SP tlog-checkpoint body signed as a C2SP signed note (Ed25519)")
    cosignatures: list[str] = Field(description="Witness cosignature lines (C2SP tlog-cosignature)")
    cosigned_note: str = Field(description="The note with every cosignature line appended")


class CheckpointsPage(BaseModel):
    checkpoints: list[StoredCheckpointResponse]
    next_after: int | None = Field(description="Pass as `after` for the next page (null at the end)")
    verifier_key: str = Field(description="The signed-note verifier key of the registry (name+hash+key)")


class CosignatureRequest(BaseModel):
    cosignature: str = Field(max_length=500, description="One C2SP tlog-cosignature line: '— name base64'")


class LeafResponse(BaseModel):
    position: int
    leaf_index: int
    stream: str
    version: int
    canonical: str = Field(description="The exact bytes the event hash covers, base64")
    canonical_text: str = Field(description="The same bytes as UTF-8 text")
    event_hash: str = Field(description="Hex SHA-256 of the canonical bytes (the Merkle leaf data)")
    prev_hash: str = Field(description="The event hash of the previous event of its stream ('' for the first)")
    history: dict[str, Any] | None = Field(description="The event as history shows it (null if history omits it)")


class ReceiptResponse(BaseModel):
    format: str
    position: int
    leaf_index: int
    canonical: str
    event_hash: str
    tree_size: int
    inclusion_proof: list[str]
    checkpoint: str


def _shown(rows: list[StoredCheckpoint], table: CheckpointTable) -> list[dict[str, Any]]:
    lines = table.cosignatures([row.tree_size for row in rows])
    return [
        {
            "tree_size": row.tree_size,
            "signed_at": row.signed_at,
            "note": row.note,
            "cosignatures": lines[row.tree_size],
            "cosigned_note": row.note + "".join(lines[row.tree_size]),
        }
        for row in rows
    ]


@router.get("/checkpoints", response_model=CheckpointsPage, summary="The stored signed checkpoints, oldest first")
def checkpoints(
    services: ServicesDep,
    _: Reader,
    after: Annotated[int, Query(ge=0, le=2**62, description="Only checkpoints of a larger tree size")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    table = CheckpointTable(services.registry.recorder)
    rows = table.rows(after=after, limit=limit + 1, leaves=False)
    more = len(rows) > limit
    rows = rows[:limit]
    key = services.signer().verifier(services.settings.log_origin).encoded()
    return {"checkpoints": _shown(rows, table), "next_after": rows[-1].tree_size if more else None, "verifier_key": key}


@router.get("/checkpoints/latest", response_model=StoredCheckpointResponse, summary="The last stored checkpoint")
def latest(services: ServicesDep, _: Reader) -> dict[str, Any]:
    table = CheckpointTable(services.registry.recorder)
    row = table.last()
    if row is None:
        raise errors.NotFoundError("no checkpoint has been signed yet")
    return _shown([row], table)[0]


@router.put(
    "/checkpoints/{tree_size}/cosignatures",
    response_model=StoredCheckpointResponse,
    summary="Add a configured witness's cosignature to a stored checkpoint (idempotent)",
    description="A cosignature is accepted for its signature by a key in REGISTRY_WITNESS_KEYS, not for the caller's"
    " role: any reader may deliver one, and a repeat changes nothing.",
)
def cosign(tree_size: Position, body: CosignatureRequest, services: ServicesDep, _: Reader) -> dict[str, Any]:
    table = CheckpointTable(services.registry.recorder)
    row = next(iter(table.rows(after=tree_size - 1, limit=1, leaves=False)), None)
    if row is None or row.tree_size != tree_size:
        raise errors.NotFoundError(f"no stored checkpoint of size {tree_size}")
    text = split(row.note)[0]
    line = body.cosignature.rstrip("\n") + "\n"
    for encoded in services.settings.witness_keys:
        try:
            witness = Verifier.parse(encoded)
        except NoteError:
            continue
        if cosignature_valid(text, line, witness):
            table.add_cosignature(tree_size, witness.encoded(), line)
            return _shown([row], table)[0]
    raise errors.InvalidValueError("the cosignature is not a valid one by a configured witness key")


@router.get("/events/{position}", response_model=LeafResponse, summary="The exact bytes one event's hash covers")
def event_leaf(position: Position, services: ServicesDep, _: Reader) -> dict[str, Any]:
    found = receipts.leaf(services.registry, position)
    if found is None:
        raise errors.NotFoundError(f"no event at position {position}")
    rows = page(services.db, HistoryFilter(), after=position - 1, limit=1)[0]
    shown = rows[0] if rows and rows[0]["position"] == position else None
    return {
        "position": position,
        "leaf_index": found.leaf_index,
        "stream": found.stream,
        "version": found.version,
        "canonical": base64.b64encode(found.canonical).decode(),
        "canonical_text": found.canonical.decode(),
        "event_hash": found.event_hash,
        "prev_hash": found.prev_hash,
        "history": shown,
    }


@router.get(
    "/receipts/{position}",
    response_model=ReceiptResponse,
    summary="A self-contained receipt of one event",
    description="The proof leads to the first stored checkpoint that holds the event; if none does yet, one is"
    " signed and stored first.",
)
def receipt(position: Position, services: ServicesDep, _: Reader) -> dict[str, Any]:
    found = receipts.receipt(services.issuer(), position)
    if found is None:
        raise errors.NotFoundError(f"no event at position {position}")
    return found

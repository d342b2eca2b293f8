"""Issuing, listing and revoking API keys — shared by the HTTP routes and the CLI."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from api.bootstrap import Services
from domain.access import ApiKey
from domain.commands import IssueKey, RevokeKey
from domain.registry import Context
from projections.encoding import iso

KEY_TOPICS = [ApiKey.Issued.TOPIC, ApiKey.Revoked.TOPIC]


@dataclass(frozen=True)
class NewKey:
    key_id: str
    name: str
    role: str
    secret: str  # shown once; only its SHA-256 is stored, so a replayed answer (a retry) carries ""
    replayed: bool = False


def create_key(
    services: Services, *, name: str, role: str, actor: str, correlation_id: str = "", idempotency_key: str = ""
) -> NewKey:
    """Issue a key. With an idempotency key, a retry issues nothing and names the key the first request issued."""
    key_id = secrets.token_hex(6)
    secret = f"rk_{key_id}_{secrets.token_urlsafe(32)}"
    fingerprint = hashlib.sha256(f"POST /keys\n{name}\n{role}".encode()).hexdigest()
    ctx = Context(
        actor=actor,
        reason=f"API key for {name}",
        correlation_id=correlation_id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )
    outcome = services.registry.issue_key(ctx, IssueKey(key_id=key_id, name=name, role=role, secret=secret))
    if outcome.replayed:
        return NewKey(outcome.result, name, role, "", replayed=True)
    return NewKey(key_id, name, role, secret)


def revoke_key(services: Services, key_id: str, *, actor: str, correlation_id: str = "") -> None:
    ctx = Context(actor=actor, reason="API key revoked", correlation_id=correlation_id)
    services.registry.revoke_key(ctx, RevokeKey(key_id=key_id))
    services.keys().forget()  # here at once; other processes when the revocation's notice or count reaches them


def list_keys(services: Services) -> list[dict[str, Any]]:
    """Every key ever issued, read from the log itself (keys are few; no read model lags behind)."""
    recorder = services.registry.recorder
    keys: dict[str, dict[str, Any]] = {}
    position = 0
    while page := recorder.select_notifications(start=position + 1, limit=1000, topics=KEY_TOPICS):
        for notification in page:
            event: Any = services.registry.mapper.to_domain_event(notification)
            if isinstance(event, ApiKey.Issued):
                keys[event.key_id] = {
                    "key_id": event.key_id,
                    "name": event.name,
                    "role": event.role,
                    "issued_at": iso(event.recorded_at),
                    "issued_by": event.actor,
                    "revoked_at": None,
                }
            else:
                revoked = next(k for k in keys.values() if ApiKey.id_for(k["key_id"]) == event.originator_id)
                revoked["revoked_at"] = iso(event.recorded_at)
        position = page[-1].id
    return list(keys.values())

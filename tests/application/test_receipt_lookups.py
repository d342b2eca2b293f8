"""An idempotency key's receipt is read only when a request collides or is refused, never on a first request.

The receipt saved with the decision is what makes a retry safe (its save collides
on it); reading it first on every keyed request would cost each one a round trip.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import Services
from domain.commands import SubmitApplication
from domain.receipts import Receipt
from domain.registry import Context, Registry
from tests.application.story import PROGRAM, open_programme
from tests.conftest import Clock


def receipt_reads(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    read: list[UUID] = []
    get = registry.repository.get

    def counting_get(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        try:
            found = get(aggregate_id, *args, **kwargs)
        finally:
            if aggregate_id == Receipt.id_for("official", "k-1"):
                read.append(aggregate_id)
        return found

    monkeypatch.setattr(registry.repository, "get", counting_get)
    return read


def apply(registry: Registry, team: str) -> Any:
    ctx = Context(actor="official", idempotency_key="k-1", fingerprint=team)
    return registry.submit_application(
        ctx, SubmitApplication(program_code=PROGRAM, team_code=team, name_ko=team, name_en=team, lead_organisation=team)
    )


def test_a_first_keyed_request_reads_no_receipt_and_its_retry_reads_it_once(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_programme(services.registry, clock)
    reads = receipt_reads(services.registry, monkeypatch)
    first = apply(services.registry, "nuri")
    assert reads == [] and not first.replayed
    again = apply(services.registry, "nuri")
    assert again.replayed and again.positions == first.positions
    assert len(reads) == 1

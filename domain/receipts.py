"""Receipts make a retried request safe: the same idempotency key never records twice.

A receipt is saved in the same transaction as the decision it answers, under a
stream id derived from the caller and the key, so two identical requests racing
each other cannot both succeed: the second save collides on the receipt's
stream. The receipt keeps a fingerprint of the request (to refuse the same key
with a different body) and the ids of the events the decision wrote, from which
the original answer is rebuilt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.events import DecisionEvent
from domain.values import Stamp

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/receipt")


class Receipt(Aggregate):
    TOPIC = "registry:Receipt"

    class Event(DecisionEvent):
        pass

    class Issued(Event, Aggregate.Created):
        TOPIC = "registry:RequestReceipted"
        fingerprint: str
        events: list[list[Any]]  # [stream id hex, version] of each event the decision wrote
        result: Any

        def apply(self, receipt: Receipt) -> None:
            receipt.fingerprint = self.fingerprint
            receipt.events = [(UUID(stream), version) for stream, version in self.events]
            receipt.result = self.result

    Created = Issued  # the library looks for a creation event under this name

    if TYPE_CHECKING:
        fingerprint: str
        events: list[tuple[UUID, int]]
        result: Any

    @staticmethod
    def id_for(actor: str, key: str) -> UUID:
        return uuid5(NAMESPACE, f"{actor}\x00{key}")

    @classmethod
    def issue(cls, stamp: Stamp, *, fingerprint: str, events: list[tuple[UUID, int]], result: Any) -> Receipt:
        return cls._create(
            cls.Issued,
            id=cls.id_for(stamp.actor, stamp.idempotency_key),
            fingerprint=fingerprint,
            events=[[stream.hex, version] for stream, version in events],
            result=result,
            **stamp.event_fields(),
        )

    def check(self, fingerprint: str) -> None:
        if fingerprint != self.fingerprint:
            msg = "this Idempotency-Key was already used for a different request"
            raise errors.IdempotencyKeyReusedError(msg)

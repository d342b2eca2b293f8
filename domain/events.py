"""What every stored decision carries, and the stable topics events are stored under.

A stored event names its class by topic. Python's default topic is
``module:QualName``, which would turn a harmless refactor into lost history, so
every aggregate and event declares ``TOPIC = "registry:<Name>"``; the library
registers explicit topics when the aggregate class is defined and refuses to
store an event without one. Renaming a class keeps its topic; changing a topic
needs an upcaster.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

TOPIC_PREFIX = "registry:"


class DecisionEvent(Aggregate.Event):
    """Metadata common to every event. ``timestamp`` is when it was recorded."""

    actor: str
    effective_at: datetime
    reason: str
    correlation_id: str
    idempotency_key: str
    # Fields added after the first events were stored. Keyword-only with immutable defaults, so subclasses may
    # declare their own fields without defaults after them, and an event stored before a field existed decodes
    # with the class attribute (its ``__dict__`` is the stored state, which lacks the field).
    _: dataclasses.KW_ONLY
    rules_version: int = 0
    """The programme's rules version the decision was judged under (0: recorded before versions were kept)."""
    sources: tuple[dict[str, str], ...] = ()
    """The records behind the decision: each ``{"url" or "document", "title"}``."""

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

    @property
    def type_name(self) -> str:
        """The event's public name, e.g. ``TeamAdvanced``."""
        return str(getattr(type(self), "TOPIC", "")).removeprefix(TOPIC_PREFIX)

    def payload(self) -> dict[str, Any]:
        """The decision's own fields, without the envelope."""
        return {k: v for k, v in vars(self).items() if k not in _ENVELOPE}


_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", *DecisionEvent.__annotations__} - {"_"}
)  # computed once: the history writes a payload for every event a rebuild reads

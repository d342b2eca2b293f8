"""In memory: the library's recorder keeping the chain links, log positions and checkpoints in lists and maps."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from eventstore import revocations
from eventstore.chain import Link, link


class ChainedPOPORecorder(POPOApplicationRecorder):
    """Events and their chain links under the store's one lock; ``chain`` holds the links in leaf order."""

    def __init__(self) -> None:
        super().__init__()
        self.chain: list[Link] = []
        self._heads: dict[str, str] = {}
        self._positions: dict[tuple[str, int], int] = {}
        self.checkpoints: list[Any] = []  # eventstore.checkpoints.StoredCheckpoint, in tree size order
        self.cosignatures: dict[tuple[int, str], str] = {}
        self.checkpoint_lock = threading.Lock()
        self.revoked = 0  # keys revoked (``eventstore.revocations``), counted as their events are stored

    def _update_table(
        self, stored_events: Sequence[StoredEvent], *, unchanged: Sequence[tuple[UUID, int]] = (), **kwargs: Any
    ) -> Any:
        # The library's hook inside its lock, after the uniqueness check (its process recorder writes tracking here).
        # ``unchanged``: records the decision read and does not append to, each still at its version or no save.
        for stream, version in unchanged:
            if (str(stream), version) not in self._positions or (str(stream), version + 1) in self._positions:
                raise IntegrityError(f"record {stream} is no longer at version {version}")
        ids = super()._update_table(stored_events, **kwargs)
        links = link(stored_events, list(ids or []), len(self.chain), lambda s: self._heads.get(s, ""))
        self.chain += links
        self._heads.update((item.stream, item.hash) for item in links)
        self._positions.update(((item.stream, item.version), item.position) for item in links)
        self.revoked += sum(event.topic == revocations.REVOKED for event in stored_events)
        return ids

    def revocations(self) -> int:
        return self.revoked

    def positions(self, refs: Sequence[tuple[UUID, int]]) -> list[int]:
        """The log positions of stored (stream, version) pairs, in the order given."""
        return [self._positions[str(stream), version] for stream, version in refs]


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPORecorder()

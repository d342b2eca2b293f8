"""The Merkle log over the event store: leaves in log order, tree heads and proofs.

Reads the chain links straight from the event store (``registry_chain`` on SQLite
and PostgreSQL, the recorder's list in memory), never from a read model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.sqlite import SQLiteApplicationRecorder

from audit import merkle
from domain.registry import Registry
from eventstore.chain import Link, appended
from eventstore.scan import ChainRow, chain_rows


class MerkleLog:
    def __init__(self, registry: Registry) -> None:
        self.recorder: Any = registry.recorder

    def links(self, *, after: int = -1) -> Iterator[Link]:
        """Every chain link past leaf ``after``, in leaf order (``rows``: plain tuples, for a whole-log pass)."""
        for row in chain_rows(self.recorder, whole=False, after=after):
            yield Link(*row)

    def rows(self) -> Iterator[ChainRow]:
        """Every chain link as (leaf, position, stream, version, prev_hash, hash), in leaf order, read in bulk."""
        return chain_rows(self.recorder)

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql.replace("?", self.mark), params)
            return list(cursor.fetchall())

    @property
    def mark(self) -> str:
        return "?" if isinstance(self.recorder, SQLiteApplicationRecorder) else "%s"

    def size(self) -> int:
        """How many leaves the log holds (one past the last leaf index)."""
        if hasattr(self.recorder, "chain"):
            return len(self.recorder.chain)
        return int(self._query("SELECT COALESCE(MAX(leaf), -1) + 1 AS size FROM registry_chain", ())[0]["size"])

    def at(self, positions: list[int]) -> dict[int, Link]:
        """The chain links of events at these log positions (those that have one).

        When this context's last append wrote them all (a decision's reply), they are known without a query.
        """
        known = appended(self.recorder, positions)
        if known is not None:
            return known
        if hasattr(self.recorder, "chain"):
            wanted = set(positions)
            return {item.position: item for item in list(self.recorder.chain) if item.position in wanted}
        if not positions:
            return {}
        marks = ", ".join("?" * len(positions))
        rows = self._query(
            f"SELECT leaf, position, stream, version, prev_hash, hash FROM registry_chain WHERE position IN ({marks})",
            tuple(positions),
        )
        return {
            row["position"]: Link(
                row["leaf"], row["position"], row["stream"], row["version"], row["prev_hash"], row["hash"]
            )
            for row in rows
        }

    def leaves(self, size: int | None = None) -> list[bytes]:
        found: list[bytes] = []
        for item in self.links():
            if size is not None and len(found) >= size:
                break
            found.append(merkle.leaf_hash(bytes.fromhex(item.hash)))
        return found

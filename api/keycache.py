"""A per-process cache of verified API keys that no revocation can outlive.

Verifying a key loads its aggregate from the log (a query and a replay per
request). The cache keeps the principals of keys verified before, by the
SHA-256 of the secret, together with the store's count of revocations
(``eventstore.revocations``) seen when they were verified. When that count
moves (a key was revoked, by this process or any other) every cached key is
forgotten, so the revoked key is refused on the next request everywhere.

Where the count comes from: on PostgreSQL, while the process's watcher
listens (``projections.watch``), from memory, kept current by the notice each
revocation sends at its commit — a cached key is then answered with no query
and no thread (``known``). Otherwise (SQLite, the watcher not connected) each
check reads the count first, one tiny query (``authenticate``). The process
that revokes forgets its keys at once (``forget``), before any notice arrives.

Each forgetting starts a new generation; a key verified during an older one
is not kept, so a verification that raced a revocation cannot bring back the
key it revoked. Unknown and revoked keys are never cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from domain.access import Principal
from domain.registry import Registry

MAX_KEYS = 10_000  # more distinct keys than this in one process: start again rather than grow
Count = Callable[[], int | None]


class KeyCache:
    def __init__(self, registry: Registry, revocations: Callable[[], int], remembered: Count | None = None) -> None:
        """``revocations`` reads the count from the store; ``remembered`` is the watcher's (None: not known)."""
        self._registry = registry
        self._revocations = revocations
        self._remembered: Count = remembered or (lambda: None)
        self._known: dict[bytes, Principal] = {}
        self._seen: int | None = None
        self._generation = 0
        self._lock = threading.Lock()

    def known(self, secret: str) -> Principal | None:
        """The principal of a key verified before, from memory only; None if that needs the store."""
        revoked = self._remembered()
        if revoked is None:
            return None
        with self._lock:
            self._note(revoked)
            return self._known.get(_digest(secret))

    def authenticate(self, secret: str) -> Principal | None:
        """The principal the secret belongs to, or None if it is unknown, malformed or revoked."""
        remembered = self._remembered()
        revoked = remembered if remembered is not None else self._revocations()
        digest = _digest(secret)
        with self._lock:
            self._note(revoked)
            found, generation = self._known.get(digest), self._generation
        if found is not None:
            return found
        principal = self._registry.authenticate(secret)
        if principal is not None:
            with self._lock:
                if self._generation == generation:  # not forgotten meanwhile
                    if len(self._known) >= MAX_KEYS:
                        self._known.clear()
                    self._known[digest] = principal
        return principal

    def forget(self) -> None:
        """This process revoked a key: check every key against the store again, starting now."""
        with self._lock:
            self._known.clear()
            self._generation += 1

    def _note(self, revoked: int) -> None:
        """Under the lock: forget every key when the count has moved since last seen."""
        if revoked != self._seen:
            self._known.clear()
            self._seen = revoked
            self._generation += 1


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def revocation_counter(registry: Registry) -> Callable[[], int]:
    """The store's count of revoked keys (every recorder of ``eventstore`` keeps one)."""
    count: Callable[[], int] = getattr(registry.recorder, "revocations")  # noqa: B009 - not on the library's type
    return count

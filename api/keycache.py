"""A per-process cache of verified API keys that no revocation can outlive.

Verifying a key loads its aggregate from the log (a query and a replay per
request). The cache keeps the principals of keys verified before, by the
SHA-256 of the secret, together with the store's count of revocations
(``eventstore.revocations``) read when they were verified. Each request reads
that count first — one tiny query — and when it has moved (a key was revoked,
by this process or any other) forgets every cached key, so the revoked key is
refused on the very next request everywhere. The count is read before the key
is loaded, so a revocation that lands in between is seen by the next request.
Unknown and revoked keys are never cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from domain.access import Principal
from domain.registry import Registry

MAX_KEYS = 10_000  # more distinct keys than this in one process: start again rather than grow


class KeyCache:
    def __init__(self, registry: Registry, revocations: Callable[[], int]) -> None:
        self._registry = registry
        self._revocations = revocations
        self._known: dict[bytes, Principal] = {}
        self._seen: int | None = None
        self._lock = threading.Lock()

    def authenticate(self, secret: str) -> Principal | None:
        """The principal the secret belongs to, or None if it is unknown, malformed or revoked."""
        revoked = self._revocations()
        digest = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            if revoked != self._seen:
                self._known.clear()
                self._seen = revoked
            found = self._known.get(digest)
        if found is not None:
            return found
        principal = self._registry.authenticate(secret)
        if principal is not None:
            with self._lock:
                if self._seen == revoked:  # not forgotten meanwhile by a newer count
                    if len(self._known) >= MAX_KEYS:
                        self._known.clear()
                    self._known[digest] = principal
        return principal


def revocation_counter(registry: Registry) -> Callable[[], int]:
    """The store's count of revoked keys (every recorder of ``eventstore`` keeps one)."""
    count: Callable[[], int] = getattr(registry.recorder, "revocations")  # noqa: B009 - not on the library's type
    return count

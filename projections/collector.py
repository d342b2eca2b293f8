"""The cyclic garbage collector, made to run less often while bulk builds run.

A bulk build allocates millions of short-lived objects (events, their fields,
rows) and makes almost no reference cycles. With the default threshold (a
young collection every 700 allocations, and now and then one of every object
alive, the rows a build holds in memory included) the collector took about a
fifth of a rebuild's CPU time here. While any build runs in this process, young
collections come every ``THRESHOLD`` allocations instead; nothing is left
uncollected, and the default is back when the last build ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLD = 100_000  # allocations between young collections while a build runs


class _Builds:
    """How many builds run in this process, and the threshold to go back to when none does."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.default = gc.get_threshold()


_builds = _Builds()


@contextmanager
def collecting_less() -> Iterator[None]:
    """Collect every ``THRESHOLD`` allocations until the block ends (and every build in other threads has too)."""
    with _builds.lock:
        if _builds.running == 0:
            _builds.default = gc.get_threshold()
            gc.set_threshold(THRESHOLD, *_builds.default[1:])
        _builds.running += 1
    try:
        yield
    finally:
        with _builds.lock:
            _builds.running -= 1
            if _builds.running == 0:
                gc.set_threshold(*_builds.default)

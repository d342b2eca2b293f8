"""How far the property, fuzz and race tests search: everyday (``make test``) or long (``make test-long``).

Both depths run the same tests with the same checks; only how many cases each one
generates differs. The everyday depth keeps the whole suite near six minutes on two
cores; ``REGISTRY_TEST_DEPTH=long`` (what ``make test-long`` sets) searches two to
five times further, for a change to the rules, the projections or the store.
"""

from __future__ import annotations

import os

LONG = os.environ.get("REGISTRY_TEST_DEPTH", "") == "long"


def examples(everyday: int, long: int) -> int:
    """How many cases to generate: ``everyday`` in ``make test``, ``long`` in ``make test-long``."""
    return long if LONG else everyday

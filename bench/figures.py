"""Small statistics over measured samples, shared by the scenarios and the load generator."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.99 for p99) of a sample; NaN for an empty one."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def median(values: Sequence[float]) -> float:
    """The median of a sample; NaN for an empty one."""
    return statistics.median(values) if values else float("nan")

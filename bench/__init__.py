"""Benchmarks: speed measured as a ratio against a raw baseline taken in the same run (``python -m bench.run``)."""

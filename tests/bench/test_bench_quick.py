"""The benchmarks run end to end: ``python -m bench.run --quick`` on a small log runs and reports every scenario.

It runs against the PostgreSQL server the other tests use
(``REGISTRY_TEST_DATABASE_URL``), in scratch databases of its own,
``registry_test_<run>_<worker>_bench…`` (see ``tests/scratch.py``): they cannot
clash with the suite's, another worker's or a ``make bench`` beside it, and the
end-of-run check finds any it leaves. It writes its results and child logs
under ``tmp_path``, never over the committed ``bench/RESULTS.md``. Timings are
not judged here: machines are noisy, and a missed target is a finding for
``bench/RESULTS.md``, not a failed test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import database
from bench.scenarios import SCENARIOS

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 1_000  # enough for every scenario to have something to measure (b reads on both sides of its switch)
TIMEOUT = 600  # seconds against a hang; the run takes about a minute on two idle cores, over five on loaded ones
SIBLINGS = ("", "_import", "_copy")  # the scratch database and those scenarios make beside it


def drop_scratch(server_url: str, name: str) -> None:
    """Drop what an interrupted run may have left (a finished run drops its own)."""
    for suffix in SIBLINGS:
        database.drop(database.url(name + suffix, server_url))


def test_quick_run_reports_every_scenario(postgres_admin_url: str, scratch_name: str, tmp_path: Path) -> None:
    server_url, name = postgres_admin_url, f"{scratch_name}_bench"
    results = tmp_path / "RESULTS.md"
    command = [
        *(sys.executable, "-m", "bench.run", "--quick", "--events", str(EVENTS)),
        *("--database", name, "--results", str(results), "--logs", str(tmp_path / "logs")),
    ]
    env = {**os.environ, "BENCH_SERVER_URL": server_url}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    finally:
        drop_scratch(server_url, name)
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed
    assert "did not run" not in printed
    written = results.read_text()
    for scenario in SCENARIOS:
        assert scenario.label in done.stdout, f"{scenario.label!r} is not in the printed table:\n{printed}"
        assert f"| {scenario.label} |" in written, f"{scenario.label!r} has no row in {results}:\n{written}"

"""The benchmarks run end to end: ``python -m bench.run --quick`` on a small log runs and reports every scenario.

It runs against the PostgreSQL server the other tests use
(``REGISTRY_TEST_DATABASE_URL``), in scratch databases of its own whose names
cannot clash with the suite's or with a ``make bench`` running beside it, and
writes its results and child logs under ``tmp_path``, never over the committed
``bench/RESULTS.md``. Timings are not judged here: machines are noisy, and a
missed target is a finding for ``bench/RESULTS.md``, not a failed test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from bench import database
from bench.scenarios import SCENARIOS
from tests.conftest import DEFAULT_TEST_DATABASE_URL, NO_DATABASE

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 3_000
TIMEOUT = 300  # seconds; the run takes well under a minute on two cores
SIBLINGS = ("", "_import", "_copy")  # the scratch database and those scenarios make beside it


@pytest.fixture
def server_url() -> str:
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(NO_DATABASE.format(url=url, error=str(error).strip()), pytrace=False)
    return url


def drop_scratch(server_url: str, name: str) -> None:
    """Drop what an interrupted run may have left (a finished run drops its own)."""
    for suffix in SIBLINGS:
        database.drop(database.url(name + suffix, server_url))


def test_quick_run_reports_every_scenario(server_url: str, tmp_path: Path) -> None:
    name = f"registry_bench_test_{uuid.uuid4().hex[:10]}"
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

"""``python -m bench.instructions`` drives all three apps to the end: every request answered 201.

Without valgrind (``--no-valgrind``, which CI machines need not have) it reports CPU time instead of
instructions; the figures are not judged here, only that each app was driven and answered.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import database

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def test_each_app_answers_every_request(postgres_admin_url: str, scratch_name: str) -> None:
    url = database.url(f"{scratch_name}_instructions", postgres_admin_url)
    command = [sys.executable, "-m", "bench.instructions", "--no-valgrind", "--requests", "24", "--database-url", url]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    finally:
        database.drop(url)
    assert done.returncode == 0, done.stdout + done.stderr
    for app in ("ours", "decision", "raw"):
        assert re.search(rf"^{app}\s+\d+\.\d{{3}} ms of CPU per request", done.stdout, re.MULTILINE), done.stdout

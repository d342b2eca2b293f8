"""``registry ARGS`` as a process of its own on a given store: what another process on the same database does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_registry(url: str, *args: str) -> None:
    """Run the command to its end on the store at ``url``; it must succeed."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

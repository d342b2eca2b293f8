"""The ``registry`` command run for its peak memory: its output as it prints it, and its own ``VmHWM``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.processes import measured_registry


def test_the_command_reports_its_output_and_its_peak_memory(tmp_path: Path) -> None:
    output, seconds, peak = measured_registry(["--help"], f"sqlite:///{tmp_path / 'registry.db'}")
    assert "Usage" in output
    assert '"peak_rss_mb"' not in output  # the report line is taken off the command's output
    assert seconds > 0
    assert 10 < peak < 1_000  # an interpreter with the registry imported, in MB


def test_a_failing_command_fails_loudly_with_its_output(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no-such-command"):
        measured_registry(["no-such-command"], f"sqlite:///{tmp_path / 'registry.db'}")

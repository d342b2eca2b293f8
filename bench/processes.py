"""Child processes the benchmarks measure: the ``registry`` command, the HTTP server, timed rebuilds.

Children run from the project root with the interpreter running the benchmark,
so they import the same code. A child's peak memory is its ``VmHWM`` in
``/proc/PID/status``: the rusage ``ru_maxrss`` of a child (``wait4``, or
``RUSAGE_SELF`` inside it) also counts the parent's resident set at the moment
of the fork/exec — with a parent holding 300 MB, a 10 MB child reports 311 MB.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = [sys.executable, "-c", "from api.cli import main; main()"]
MEASURED_REGISTRY = [sys.executable, "-m", "bench.child", "registry"]  # the same command, reporting its peak memory


@dataclass(frozen=True)
class Exit:
    code: int
    seconds: float


class Child:
    """A started child process, reaped by pid so its exit can be polled without blocking."""

    def __init__(
        self,
        args: list[str],
        database_url: str,
        log: IO[bytes] | int = subprocess.DEVNULL,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, **(extra_env or {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def peak_rss_mb(self) -> float | None:
        """The child's peak resident set so far, or None once it has exited."""
        return peak_rss_mb(f"/proc/{self.process.pid}/status")

    def poll(self) -> Exit | None:
        return self._wait(os.WNOHANG)

    def wait(self) -> Exit:
        done = self._wait(0)
        if done is None:  # pragma: no cover - a blocking wait always returns the child
            raise RuntimeError("wait4 returned without the child")
        return done

    def stop(self) -> Exit:
        self.process.terminate()
        return self.wait()

    def _wait(self, flags: int) -> Exit | None:
        if self.process.returncode is not None:  # already reaped (``Popen.terminate`` polls first)
            return Exit(self.process.returncode, time.perf_counter() - self.started)
        try:
            pid, status = os.waitpid(self.process.pid, flags)
        except ChildProcessError:  # reaped by subprocess meanwhile; it kept the exit code
            return Exit(self.process.wait(), time.perf_counter() - self.started)
        if pid == 0:
            return None
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return Exit(self.process.returncode, time.perf_counter() - self.started)


def peak_rss_mb(status_file: str = "/proc/self/status") -> float | None:
    try:
        lines = Path(status_file).read_text().splitlines()
    except OSError:
        return None
    found = [line.split()[1] for line in lines if line.startswith("VmHWM:")]
    return int(found[0]) / 1024 if found else None  # reported in KiB


def registry(args: list[str], database_url: str) -> str:
    """Run ``registry ARGS`` to completion and return its output; fail loudly if it fails."""
    return timed_registry(args, database_url)[0]


def timed_registry(args: list[str], database_url: str, command: list[str] = REGISTRY) -> tuple[str, float]:
    """Run ``registry ARGS`` to completion; its output and wall-clock seconds (interpreter start-up included)."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    started = time.perf_counter()
    done = subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"registry {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout, seconds


def measured_registry(args: list[str], database_url: str) -> tuple[str, float, float]:
    """``timed_registry``, and the command's peak resident set in MB (its ``VmHWM`` as it finished)."""
    output, seconds = timed_registry(args, database_url, MEASURED_REGISTRY)
    *said, last = output.rstrip("\n").splitlines() or [""]
    try:
        peak = float(json.loads(last)["peak_rss_mb"])
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"registry {' '.join(args)} did not report its peak memory: {last[-200:]!r}") from error
    return "\n".join(said), seconds, peak


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port

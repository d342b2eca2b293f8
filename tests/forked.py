"""Registry commands as real processes, forked from a server that has imported the registry once.

Starting a fresh interpreter for each command costs about two seconds of imports on
two cores; a test that starts dozens of commands (to kill them) forks them instead
from ``multiprocessing``'s fork server, which imports ``api.cli`` once, before any
thread or connection exists. Each command is still a process of its own, with its own
environment, output and exit status, running the CLI's ``main`` as ``registry ARGS``
does, and ``SIGKILL`` ends it as abruptly as any other.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

from api.cli import main

_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload([__name__])  # and so api.cli


class Command:
    """``registry ARGS`` running in a forked process; its stderr goes to a file."""

    def __init__(self, args: list[str], env: dict[str, str], stderr: Path) -> None:
        self._stderr = stderr
        self._process = _FORKS.Process(target=_main, args=(args, env, str(stderr)), daemon=True)
        self._process.start()

    def poll(self) -> int | None:
        """The exit status (negative: the signal that ended it), or None while it runs."""
        return self._process.exitcode

    def kill(self) -> None:
        """SIGKILL, then wait for it to be gone."""
        self._process.kill()
        self._process.join()

    def wait(self, timeout: float) -> int | None:
        """The exit status once it has ended, or None if it still runs after ``timeout`` seconds."""
        self._process.join(timeout)
        return self._process.exitcode

    def errors(self) -> str:
        return self._stderr.read_text(errors="replace") if self._stderr.exists() else ""


def _main(args: list[str], env: dict[str, str], stderr: str) -> None:
    """In the child: the given environment and stderr, stdout discarded, then the CLI."""
    os.environ.update(env)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    sys.argv = ["registry", *args]
    main()

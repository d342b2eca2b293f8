"""CPU by process role (``bench.cpu``): a worker's time is its server's, and every role is counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from bench import cpu

BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
SERVER = (  # burns, starts a worker that burns, says so, then waits to be stopped
    "import subprocess, sys, time\n"
    f"{BURN}"
    f"worker = subprocess.Popen([sys.executable, '-c', {BURN + 'print(1, flush=True); time.sleep(60)'!r}],"
    " stdout=subprocess.PIPE)\n"
    "worker.stdout.readline()\n"
    "print('burned', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_servers_worker_counts_as_the_server_and_the_rest_of_the_machine_as_other() -> None:
    before = cpu.snapshot()
    with subprocess.Popen([sys.executable, "-c", SERVER, "serve", "--port", "0"], stdout=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == b"burned"
            after = cpu.snapshot()
        finally:
            for pid, process in cpu.snapshot().items():
                if process.parent == server.pid:
                    os.kill(pid, signal.SIGKILL)  # the worker
            server.kill()
    used = cpu.spent(before, after)
    assert used["server"] >= 0.55  # the server's 0.3 s and its worker's 0.3 s, less the clock's rounding
    assert cpu.role_of(server.pid, after) == "server"
    workers = [pid for pid, process in after.items() if process.parent == server.pid]
    assert workers and all(cpu.role_of(pid, after) == "server" for pid in workers)
    assert cpu.role_of(0, after) == cpu.OTHER


def test_milliseconds_per_request_and_their_description() -> None:
    ms = cpu.per_request({"server": 2.0, "PostgreSQL": 1.0, "other": 0.0}, 1000)
    assert ms == {"server": 2.0, "PostgreSQL": 1.0, "other": 0.0}
    assert cpu.described(ms) == "server 2.00, PostgreSQL 1.00 (total 3.00) ms"
    assert cpu.per_request({"server": 1.0}, 0) == {}

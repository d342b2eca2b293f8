"""The benchmark's servers: one that cannot start is retried once, then the failure shows its log."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from bench.base import START_ATTEMPTS, Bench, ServerDidNotStartError, serving


def crashing(port: int) -> list[str]:
    return [sys.executable, "-c", f"print('cannot bind port {port}: address in use'); raise SystemExit(3)"]


def test_a_server_that_cannot_start_is_retried_once_and_its_log_is_shown(tmp_path: Path) -> None:
    bench = Bench("postgresql://nowhere/none", 0, quick=True, logs=tmp_path)
    with pytest.raises(ServerDidNotStartError) as raised, serving(bench, crashing, "crash.log"):
        pytest.fail("the body ran without a server")
    message = str(raised.value)
    assert f"after {START_ATTEMPTS} attempts" in message
    assert message.count("exited with code 3 during start-up") == START_ATTEMPTS
    assert message.count("address in use") == START_ATTEMPTS  # each start's log, shown
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crash.log", "crash.retry1.log"]


def sleeper(port: int) -> list[str]:
    """Answers /health on its port, then exits while it is being measured."""
    serve = (
        "import http.server, threading, os\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
        "        print('served; now crashing', flush=True); threading.Timer(0.05, lambda: os._exit(9)).start()\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    return [sys.executable, "-c", serve]


def test_a_server_that_dies_while_measured_fails_the_scenario_with_its_log(tmp_path: Path) -> None:
    bench = Bench("postgresql://nowhere/none", 0, quick=True, logs=tmp_path)
    with pytest.raises(ServerDidNotStartError) as raised, serving(bench, sleeper, "dies.log"):
        time.sleep(0.5)
    assert "exited with code 9 while it was being measured" in str(raised.value)
    assert "now crashing" in str(raised.value)

"""Run in a measured child process: rebuild every read model blue/green, print what it took as JSON.

The database comes from ``REGISTRY_DATABASE_URL``, as for the ``registry`` command.
Timing covers ``Projector.rebuild`` only, not interpreter start-up and imports;
the peak memory is the whole process's (``VmHWM``, see ``bench.processes``).
"""

from __future__ import annotations

import json
import time

from api.bootstrap import build
from api.settings import Settings
from bench.processes import peak_rss_mb


def main() -> None:
    services = build(Settings())
    try:
        started = time.perf_counter()
        events = services.projector.rebuild()
        seconds = time.perf_counter() - started
    finally:
        services.close()
    print(json.dumps({"events": events, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()

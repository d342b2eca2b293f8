"""Run in a measured child process: rebuild every read model blue/green (or, with ``catch-up``, empty
them and catch them up from the start of the log), print what it took as JSON. With ``registry ARGS…``
it runs that ``registry`` command instead, as the script would, and prints its exit status and peak
memory as JSON after the command's own output (``bench.processes.measured_registry``).

The database comes from ``REGISTRY_DATABASE_URL``, as for the ``registry`` command.
Timing covers ``projections.rebuild.rebuild`` only, not interpreter start-up and imports;
the peak memory is the whole process's (``VmHWM``, see ``bench.processes``).
"""

from __future__ import annotations

import json
import sys
import time

from api.bootstrap import Services, build
from api.cli import app
from api.cli.failures import run
from api.settings import Settings
from bench.processes import peak_rss_mb
from projections.rebuild import rebuild


def main() -> None:
    if sys.argv[1:2] == ["registry"]:
        code = run(app, sys.argv[2:])
        print(json.dumps({"code": code, "peak_rss_mb": peak_rss_mb()}))
        sys.exit(code)
    services = build(Settings())
    try:
        if sys.argv[1:] == ["catch-up"]:
            empty(services)
            started = time.perf_counter()
            events = services.projector.catch_up()
        else:
            started = time.perf_counter()
            events = rebuild(services.projector)
        seconds = time.perf_counter() - started
    finally:
        services.close()
    print(json.dumps({"events": events, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def empty(services: Services) -> None:
    """Empty every read model and set its position to the start, as a new database's are."""
    with services.db.transaction() as cur:
        for projection in services.projector.projections.values():
            for table in projection.tables:
                cur.execute(f"DELETE FROM {table}")
        cur.execute("UPDATE projection_tracking SET position = 0")


if __name__ == "__main__":
    main()

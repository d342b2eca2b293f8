"""Run the benchmarks and record the results: ``python -m bench.run [--quick] [--events N] [--keep]``.

Creates the scratch database ``registry_bench`` on the benchmark server (see
``bench.database``), fills it with a generated log (``bench.generate``), runs
every scenario in ``bench.scenarios.SCENARIOS``, prints the table, writes
``bench/RESULTS.md`` and drops the database (unless ``--keep``). Children's
output goes to ``bench/.logs/``. Exits 1 if a scenario could not run; a missed
target is a finding, not a crash, and exits 0.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from rich.console import Console

from bench import database, report
from bench.generate import generate
from bench.scenarios import SCENARIOS, Bench, Result, skipped

QUICK_EVENTS = 20_000
LOGS = Path(__file__).resolve().parent / ".logs"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="Run the benchmark scenarios.")
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS:,} events")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    console = Console() if sys.stdout.isatty() else Console(width=140)  # logs and pipes get the whole table
    events = QUICK_EVENTS if args.quick else args.events
    url = database.url(database.BENCH_DATABASE)
    command = shlex.join(["python", "-m", "bench.run", *sys.argv[1:]])
    LOGS.mkdir(exist_ok=True)
    database.recreate(url)
    try:
        host = report.machine(url)
        console.print(f"Generating {events:,} events into {url} …")
        made = generate(url, events)
        preamble = [
            f"- {made.events:,} events from {made.programmes:,} generated programmes (`bench/story.py`),"
            f" generated in {made.seconds:.1f} s ({made.rate:,.0f} events/s: deciding on the in-memory store"
            " in worker processes, copied with `insert_events` in batches of 5,000)",
        ]
        console.print(preamble[0].removeprefix("- "))
        results = run_all(Bench(url, made.events, args.quick, LOGS), console)
    finally:
        if not args.keep:
            database.drop(url)
    report.show(results, console)
    console.print(f"Written to {report.write(results, host, command, preamble)}")
    if any(r.notes.startswith("did not run") for r in results):
        sys.exit(1)


def run_all(bench: Bench, console: Console) -> list[Result]:
    results: list[Result] = []
    for scenario in SCENARIOS:
        console.print(f"Running {scenario.__name__} …")
        try:
            results += scenario(bench)
        except Exception as error:  # one broken scenario must not hide the others' figures
            console.print(f"[red]{scenario.__name__} did not run: {error}[/red]")
            results.append(skipped(scenario, error))
    return results


if __name__ == "__main__":
    main()

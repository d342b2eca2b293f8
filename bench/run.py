"""Run the benchmarks and record the results: ``python -m bench.run [--quick] [--events N] [--keep] …``.

Creates the scratch database (``registry_bench``, or ``--database`` /
``BENCH_DATABASE``) on the benchmark server (see ``bench.database``), fills it
with a generated log (``bench.generate``), runs every scenario in
``bench.scenarios.SCENARIOS``, prints the table, writes ``bench/RESULTS.md``
(or ``--results``) and drops the database (unless ``--keep``). Children's
output goes to ``bench/.logs/`` (or ``--logs``). ``--quick`` runs every scenario
small and short, on 10,000 events unless ``--events`` says otherwise; ``--only g,h``
runs only the scenarios whose labels start with those letters. Exits 1
if a scenario could not run; a missed target is a finding, not a crash, and
exits 0.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from rich.console import Console

from bench import database, report
from bench.base import Bench, Result, skipped
from bench.generate import generate
from bench.scenarios import SCENARIOS

FULL_EVENTS = 1_000_000
QUICK_EVENTS = 10_000
LOGS = Path(__file__).resolve().parent / ".logs"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="Run the benchmark scenarios.")
    parser.add_argument(
        "--events", type=int, help=f"events to generate (default {FULL_EVENTS:,}; {QUICK_EVENTS:,} with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="every scenario small and short")
    parser.add_argument(
        "--only",
        type=letters,
        default=None,
        help="run only these scenarios, by the letter their label starts with, comma-separated (e.g. g,h)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument(
        "--database",
        default=database.bench_database(),
        help="name of the scratch database to create, fill and drop (default: $BENCH_DATABASE or registry_bench)",
    )
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where to write the results (Markdown)")
    parser.add_argument("--logs", type=Path, default=LOGS, help="directory for the child processes' output")
    return parser.parse_args()


def letters(text: str) -> set[str]:
    """The scenario letters of ``--only``; every one must name a scenario."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    known = {scenario.label.split(".")[0] for scenario in SCENARIOS}
    if not wanted or not wanted <= known:
        raise argparse.ArgumentTypeError(f"expected letters among {', '.join(sorted(known))}, got {text!r}")
    return wanted


def main() -> None:
    args = arguments()
    console = Console() if sys.stdout.isatty() else Console(width=200)  # logs and pipes get the whole table
    events = args.events or (QUICK_EVENTS if args.quick else FULL_EVENTS)
    url = database.url(args.database)
    command = shlex.join(["python", "-m", "bench.run", *sys.argv[1:]])
    args.logs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
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
        results = run_all(Bench(url, made.events, args.quick, args.logs), console, args.only)
    finally:
        if not args.keep:
            database.drop(url)
    took = time.perf_counter() - started
    preamble.append(f"- The whole run took {took / 60:.1f} min")
    report.show(results, console)
    console.print(f"Took {took:.0f} s. Written to {report.write(results, host, command, preamble, args.results)}")
    if any(r.notes.startswith("did not run") for r in results):
        sys.exit(1)


def run_all(bench: Bench, console: Console, only: set[str] | None = None) -> list[Result]:
    """Every scenario in list order (or those ``only`` names), each one's failure kept to its own row."""
    results: list[Result] = []
    for scenario in SCENARIOS:
        if only is not None and scenario.label.split(".")[0] not in only:
            continue
        console.print(f"Running {scenario.label} …")
        started = time.perf_counter()
        try:
            results += scenario.run(bench)
        except Exception as error:  # one broken scenario must not hide the others' figures
            console.print(f"[red]{scenario.label} did not run: {error}[/red]")
            results.append(skipped(scenario, error))
        console.print(f"  {time.perf_counter() - started:.1f} s")
    return results


if __name__ == "__main__":
    main()

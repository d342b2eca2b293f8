"""The results: a rich table on the terminal, and ``bench/RESULTS.md`` with the machine and the exact command."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.base import Result
from bench.database import server_version
from bench.processes import ROOT

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
COLUMNS = ("Scenario", "Measure", "Ours", "Raw", "Ratio", "Target", "Pass", "Notes")


@dataclass(frozen=True)
class Machine:
    cores: int
    memory: str
    cpu: str
    postgres: str
    python: str
    revision: str
    load: str

    def lines(self) -> list[str]:
        return [
            f"- CPU: {self.cpu}, {self.cores} cores (`nproc`)",
            f"- Memory: {self.memory}",
            f"- PostgreSQL {self.postgres} on loopback; Python {self.python}",
            f"- Code: {self.revision}",
            f"- Load average (1, 5, 15 min) when the run started: {self.load} — the machine is shared",
        ]


def machine(database_url: str) -> Machine:
    return Machine(
        cores=len(os.sched_getaffinity(0)),
        memory=_memory(),
        cpu=_proc_field("/proc/cpuinfo", "model name"),
        postgres=server_version(database_url),
        python=platform.python_version(),
        revision=_revision(),
        load=", ".join(f"{n:.2f}" for n in os.getloadavg()),
    )


def _memory() -> str:
    kib = _proc_field("/proc/meminfo", "MemTotal").removesuffix(" kB")
    return f"{int(kib) / 2**20:.1f} GiB" if kib.isdigit() else "unknown"


def _proc_field(path: str, name: str) -> str:
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return "unknown"


def _revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--", "api", "domain", "projections")
    return f"commit {commit}" + (" with uncommitted changes in api/, domain/ or projections/" if dirty else "")


def cells(result: Result) -> list[str]:
    ratio = "—" if result.ratio is None else f"{result.ratio:.3f}×"
    verdict = "—" if result.passed is None else "pass" if result.passed else "FAIL"
    return [result.scenario, result.measure, result.ours, result.raw, ratio, result.target, verdict, result.notes]


def show(results: Sequence[Result], console: Console) -> None:
    """The table without its notes column (too wide for a terminal); the notes follow it, numbered.

    Scenario names are never wrapped, so each row starts with its scenario's whole label.
    """
    table = Table("#", title="Benchmarks", title_justify="left")
    table.add_column(COLUMNS[0], no_wrap=True)
    for column in COLUMNS[1:-1]:
        table.add_column(column)
    for number, result in enumerate(results, 1):
        row = cells(result)
        colour = {"pass": "green", "FAIL": "red"}.get(row[6], "")
        table.add_row(str(number), *row[:6], f"[{colour}]{row[6]}[/{colour}]" if colour else row[6])
    console.print(table)
    for number, result in enumerate(results, 1):
        console.print(f"{number}. {result.notes}")


def write(
    results: Sequence[Result], host: Machine, command: str, preamble: Sequence[str], path: Path = RESULTS
) -> Path:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    rows += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |" for r in results]
    text = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` on {when}. Written by `bench/run.py`; rerun to refresh.",
        "Speed is judged only as a ratio to the raw figure measured in the same run.",
        "",
        "## Machine",
        "",
        *host.lines(),
        "",
        "## Data",
        "",
        *preamble,
        "",
        "## Results",
        "",
        *rows,
        "",
    ]
    path.write_text("\n".join(text))
    return path

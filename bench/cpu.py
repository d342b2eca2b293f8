"""Where a scenario's CPU went, by the role of each process on the machine (read from ``/proc``).

A throughput ratio says how far ours is from the raw baseline; on a machine
whose cores the server, PostgreSQL, the projection runner and the load
generator share, it does not say which of them took the time. ``snapshot``
reads every process's CPU time (user + system) and gives it a role by its
command line or, failing that, by its nearest ancestor's: a uvicorn worker is
its server's. ``spent`` is what each role used between two snapshots; a process
that exited in between is missed, so the load generator reports its own
(``bench.load``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
ROLES = (  # the first whose words appear in a process's command line
    ("runner", "projections run"),
    ("server", " serve "),
    ("server", "bench.raw_server"),
    ("load generator", "bench.load"),
)
POSTGRES = "PostgreSQL"
OTHER = "other"


@dataclass(frozen=True)
class Process:
    parent: int
    role: str | None  # None: the parent's
    seconds: float


def snapshot() -> dict[int, Process]:
    """Every process readable now: its parent, its own role if its command line tells one, its CPU seconds."""
    found: dict[int, Process] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        role = POSTGRES if name == "postgres" else next((r for r, words in ROLES if words in f" {command} "), None)
        found[int(entry.name)] = Process(int(fields[1]), role, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def spent(before: dict[int, Process], after: dict[int, Process]) -> dict[str, float]:
    """CPU seconds each role used between the snapshots (processes alive at ``after``)."""
    used: dict[str, float] = {}
    for pid, process in after.items():
        earlier, role = before.get(pid), role_of(pid, after)
        used[role] = used.get(role, 0.0) + process.seconds - (earlier.seconds if earlier else 0.0)
    return used


def shares(before: dict[int, Process], after: dict[int, Process], role: str = "server") -> list[float]:
    """How the CPU of ``role``'s processes split between them (fractions, largest first).

    Uvicorn's workers share one listening socket: each keep-alive connection stays
    with the worker that accepted it, and a few connections opened at once may
    all go to one. This says how evenly a run's work was spread.
    """
    used = [
        process.seconds - (before[pid].seconds if pid in before else 0.0)
        for pid, process in after.items()
        if role_of(pid, after) == role
    ]
    total = sum(used)
    return sorted((u / total for u in used), reverse=True) if total else []


def split(fractions: list[float]) -> str:
    """``71% / 28% / 1%`` (shares under half a percent left out)."""
    return " / ".join(f"{f:.0%}" for f in fractions if f >= 0.005) or "—"


def role_of(pid: int, processes: dict[int, Process]) -> str:
    seen: set[int] = set()
    while pid in processes and pid not in seen:
        seen.add(pid)
        if processes[pid].role is not None:
            return processes[pid].role or OTHER
        pid = processes[pid].parent
    return OTHER


def per_request(used: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by role."""
    return {role: seconds / requests * 1000 for role, seconds in used.items()} if requests else {}


def described(ms: dict[str, float]) -> str:
    """``server 2.90, runner 1.10, … ms``, biggest first, with the total."""
    parts = [f"{role} {value:.2f}" for role, value in sorted(ms.items(), key=lambda item: -item[1]) if value >= 0.005]
    return f"{', '.join(parts)} (total {sum(ms.values()):.2f}) ms"

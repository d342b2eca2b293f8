"""kill -9, ten times each, in the middle of a rebuild and of a live runner: both resume, nothing differs.

The commands run as real processes (`registry projections rebuild` and
`registry projections run`, one event per transaction so there are many points
to die at), forked from an interpreter that has imported the registry once
(``tests.forked``: two seconds of imports per command would be most of the
test's time). Each is killed with SIGKILL once it has made a randomly chosen
amount of progress, never at a clean boundary of its own choosing. At the end
the rebuild and the runner are allowed to finish, and `verify` compares every
row with a clean rebuild.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from api.bootstrap import Services
from domain.commands import AdvanceTeam, GrantFunding, OpenProgram, SubmitApplication
from domain.registry import Context
from projections.rebuild import verify
from tests.forked import Command

pytestmark = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
KILLS = 10
CTX = Context(actor="test", reason="kill test")
P = "KILL-2026"
COUNT = itertools.count(1)  # names each command's stderr file


def spawn(services: Services, logs: Path, *args: str) -> Command:
    env = {
        "REGISTRY_DATABASE_URL": services.settings.database_url,
        "REGISTRY_PROJECTION_BATCH": "1",
        "REGISTRY_REBUILD_CHECKPOINT": "1",
    }
    return Command(["projections", *args], env, logs / f"{next(COUNT)}-{args[0]}.stderr")


def kill_when(process: Command, reached: Callable[[], bool], limit: float = 60.0) -> bool:
    """SIGKILL the process once ``reached()``; False if it finished (or died) first."""
    deadline = time.monotonic() + limit
    while process.poll() is None:
        if reached():
            process.kill()
            return True
        assert time.monotonic() < deadline, "the command made no progress"
        time.sleep(0.002)
    assert process.poll() == 0, process.errors()
    return False


def rebuilt_to(services: Services, target: int) -> Callable[[], bool]:
    """Whether the rebuild's tables (``__next``) have reached ``target``."""
    return lambda: services.projector.positions("__next")["history"] >= target


def followed_to(services: Services, target: int) -> Callable[[], bool]:
    """Whether every live read model has reached ``target``."""
    return lambda: min(services.projector.positions().values()) >= target


def grants(services: Services, team: str, count: int) -> None:
    for _ in range(count):
        services.registry.grant_funding(
            CTX,
            GrantFunding(
                program_code=P,
                team_code=team,
                resource="gpu:B200",
                quantity=1,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 6, 30),
            ),
        )


def test_rebuilds_and_runners_killed_mid_flight_resume_without_a_difference(services: Services, tmp_path: Path) -> None:
    rng = random.Random(20261127)
    projector = services.projector
    services.registry.open_program(
        CTX,
        OpenProgram(
            program_code=P,
            title_ko="중단",
            title_en="Kill",
            agency="MSIT",
            stages=[{"name": "Only", "seats": 100}],
            budgets={"gpu:B200": 10**9},
            finalist_count=1,
        ),
    )
    for i in range(20):
        services.registry.submit_application(
            CTX, SubmitApplication(program_code=P, team_code=f"T{i}", name_ko="팀", name_en="T", lead_organisation="L")
        )
        services.registry.advance_team(CTX, AdvanceTeam(program_code=P, team_code=f"T{i}", to_stage=0))
        grants(services, f"T{i}", 20)
    projector.catch_up()

    mid_rebuild = mid_run = 0
    for _ in range(KILLS):
        head, resumed_from = projector.head(), projector.positions("__next")["history"]
        target = rng.randint(min(resumed_from + 1, head - 10), head - 10)
        rebuild = spawn(services, tmp_path, "rebuild")
        mid_rebuild += kill_when(rebuild, rebuilt_to(services, target))

        grants(services, f"T{rng.randrange(20)}", 30)  # new events for the runner to follow
        live = min(projector.positions().values())
        target = rng.randint(live + 1, projector.head() - 1)
        runner = spawn(services, tmp_path, "run", "--interval", "0.05")
        mid_run += kill_when(runner, followed_to(services, target))

    assert mid_rebuild >= KILLS - 2 and mid_run >= KILLS - 2, (mid_rebuild, mid_run)
    finish = spawn(services, tmp_path, "rebuild")
    assert finish.wait(timeout=300) == 0, finish.errors()
    projector.catch_up()
    assert set(projector.positions().values()) == {projector.head()}
    assert verify(projector, list(projector.projections)) == []

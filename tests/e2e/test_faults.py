"""The database goes away under load and comes back: fail fast, lose nothing, recover alone.

The outage is made on the server itself: the test database stops accepting
connections and every open connection to it is terminated, as in a restart;
three seconds later it accepts connections again. Throughout, every request
must end within five seconds with an answer (a success, a 4xx, or a 503
problem with Retry-After), every acknowledged write must be in the log, and the
same process must serve normally afterwards.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest

from api.bootstrap import Services
from tests.e2e.conftest import Api, P

pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
WRITERS = 3
OUTAGE_SECONDS = 3.0


def outage(url: str, stop: threading.Event) -> None:
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url.replace(f"/{database}", "/postgres"), autocommit=True) as admin:
        time.sleep(1.0)
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        time.sleep(OUTAGE_SECONDS)
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        time.sleep(1.5)
    stop.set()


def test_an_outage_under_load_fails_fast_loses_no_acknowledged_write_and_recovers(api: Api, services: Services) -> None:
    api.open_program(budgets={"gpu:B200": 10**9})
    api.apply("A")
    api.team("A", "advancements", {"to_stage": 0})
    stop = threading.Event()
    acknowledged: list[int] = []  # log positions of the grants the API confirmed
    answers: list[tuple[int, float]] = []
    grant = {"resource": "gpu:B200", "quantity": 1, "period_start": "2026-01-01", "period_end": "2026-06-30"}

    def writer(number: int) -> None:
        while not stop.is_set():
            started = time.monotonic()
            response = api.client.post(f"/programs/{P}/teams/A/grants", json=grant)
            answers.append((response.status_code, time.monotonic() - started))
            if response.status_code == 201:
                acknowledged.append(response.json()["events"][0]["position"])
            elif response.status_code == 503:
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["Retry-After"] == "1"
                time.sleep(0.2)

    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        failures = pool.submit(outage, services.settings.database_url, stop)
        for future in [pool.submit(writer, n) for n in range(WRITERS)]:
            future.result()
        failures.result()

    statuses = {status for status, _ in answers}
    assert 503 in statuses, "the outage was not observed; the test proved nothing"
    assert statuses <= {201, 409, 503}, statuses
    slowest = max(seconds for _, seconds in answers)
    print(f"{len(answers)} answers, slowest {slowest:.2f} s")
    assert slowest < 5.0
    assert acknowledged
    recorder = services.registry.recorder
    for position in acknowledged:
        (stored,) = recorder.select_notifications(start=position, limit=1)
        assert (stored.id, stored.topic) == (position, "registry:FundingGranted")
    assert services.registry.candidacy(P, "A").holdings["gpu:B200"] >= len(acknowledged)
    after = api.client.post(f"/programs/{P}/teams/A/consortium-changes", json={"joined": ["After the outage"]})
    assert after.status_code == 201, after.text
    assert api.client.get(f"/programs/{P}/teams/A").json()["members"] == ["After the outage"]

"""A large programme's standings document is written by its first reader after a change, not after every batch.

On PostgreSQL a programme of more than ``WRITTEN_WHEN_READ_ABOVE`` teams (lowered to two here) gets a
``STALE`` row at its position from each batch about it; the next reader builds the standings from the rows,
answers with them and stores them in that row, which later readers are served. A fill never stores
standings older than the rows: not over a row a batch changed or removed since the reader's snapshot, and
not over one a batch is writing (it does not wait for it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import psycopg
import pytest

from api.bootstrap import Services
from projections import documents
from projections.standings import queries
from tests.conftest import Clock as ServerClock
from tests.e2e.conftest import Api, P

pytestmark = pytest.mark.postgres
STANDINGS = f"/programs/{P}/standings"


@pytest.fixture
def store() -> str:
    return "postgres"


@pytest.fixture(autouse=True)
def large_from_three_teams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "WRITTEN_WHEN_READ_ABOVE", 2)


def kept(services: Services, code: str = P) -> dict[str, Any] | None:
    with services.db.transaction(write=False) as cur:
        cur.execute(f"SELECT position, body FROM {documents.TABLE} WHERE program_code = %s", (code,))
        row = cur.fetchone()
        return None if row is None else dict(row)


def large_programme(api: Api) -> None:
    api.open_program()
    api.seat("A", "B", "C")


def without_times(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in ("as_of", "known_at")}


def test_a_batch_marks_a_large_programme_stale_and_its_first_reader_stores_the_standings(
    api: Api, services: Services
) -> None:
    api.open_program()
    api.seat("A", "B")
    small = kept(services)
    assert small is not None and small["body"] != documents.STALE  # two teams: written by the batch
    api.apply("C")
    head = services.projector.head()
    assert kept(services) == {"position": head, "body": documents.STALE}
    first = api.client.get(STANDINGS)
    assert first.status_code == 200
    stored = kept(services)
    assert stored is not None and stored["position"] == head and stored["body"] != documents.STALE
    document = documents.current(services.db, P)
    assert document is not None and document.etag == first.headers["ETag"]
    assert without_times(first.json()) == orjson.loads(document.body)
    again = api.client.get(STANDINGS, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_rebuild_leaves_large_programmes_stale_and_readers_answer_as_the_rows_do(
    api: Api, services: Services
) -> None:
    from projections.rebuild import rebuild

    large_programme(api)
    before = api.client.get(STANDINGS).json()
    rebuild(services.projector, ["standings"])
    assert kept(services) == {"position": services.projector.head(), "body": documents.STALE}
    assert without_times(api.client.get(STANDINGS).json()) == without_times(before)
    stored = kept(services)
    assert stored is not None and stored["body"] != documents.STALE


def test_a_removed_document_is_not_written_back_by_a_reader(api: Api, services: Services) -> None:
    large_programme(api)
    with services.db.transaction() as cur:
        cur.execute(f"DELETE FROM {documents.TABLE} WHERE program_code = %s", (P,))
    assert api.client.get(STANDINGS).status_code == 200
    assert kept(services) is None  # answered from the rows, as before any document


def test_a_fill_never_stores_standings_a_batch_committed_since_has_replaced(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_programme(api)
    read_at = services.projector.head()

    def meanwhile() -> None:  # after the reader's snapshot: a decision, applied and committed
        api.apply("D")

    during_read(monkeypatch, meanwhile)
    answer = api.client.get(STANDINGS).json()
    assert "D" not in teams_of(answer)  # the reader's snapshot, from before D
    assert services.projector.head() > read_at
    assert kept(services) == {"position": services.projector.head(), "body": documents.STALE}
    assert "D" in teams_of(api.client.get(STANDINGS).json())
    stored = kept(services)
    assert stored is not None and stored["body"] != documents.STALE


def test_a_fill_does_not_wait_for_a_batch_writing_the_same_row(
    api: Api, services: Services, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_programme(api)
    locked, release = threading.Event(), threading.Event()

    def batch() -> None:  # holds the programme's row as a batch writing its document does
        with psycopg.connect(postgres_url) as conn:
            conn.execute(f"SELECT 1 FROM {documents.TABLE} WHERE program_code = %s FOR UPDATE", (P,))
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=batch)
    holder.start()
    try:
        assert locked.wait(10)
        answer = api.client.get(STANDINGS)  # waiting for the row would hold it until the release (30 s)
        assert answer.status_code == 200 and set(teams_of(answer.json())) == {"A", "B", "C"}
        stored = kept(services)
        assert stored is not None and stored["body"] == documents.STALE  # left to a later reader
    finally:
        release.set()
        holder.join()


def during_read(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> None:
    """Run ``meanwhile`` once, inside the next reader's snapshot, after the standings are read from the rows
    (from the route's worker thread: the decision it records is a request of its own)."""
    original, done = queries.standings_in, list[bool]()

    def reading(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        if not done:
            done.append(True)
            meanwhile()
        return found

    monkeypatch.setattr(documents, "standings_in", reading)


def teams_of(answer: dict[str, Any]) -> list[str]:
    return [t["team_code"] for s in answer["stages"] for t in s["teams"]] + [
        t["team_code"] for t in answer["applicants"]
    ]


def test_concurrent_readers_of_a_stale_programme_build_its_standings_once(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_programme(api)
    built: list[bool] = []
    original = documents.computed

    def slowly(*args: Any, **kwargs: Any) -> Any:
        built.append(True)
        time.sleep(0.3)  # long enough for the other readers to arrive and wait
        return original(*args, **kwargs)

    monkeypatch.setattr(documents, "computed", slowly)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: api.client.get(STANDINGS), range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.headers["ETag"] for a in answers}) == 1
    assert len({orjson.dumps(without_times(a.json())) for a in answers}) == 1
    assert built == [True]  # the others were answered from the document the first stored


def test_a_stale_row_is_no_fresh_document_to_a_reader_that_knows_no_stale_rows(api: Api, services: Services) -> None:
    large_programme(api)
    with services.db.transaction(write=False) as cur:
        cur.execute(f"SELECT boundaries, judged FROM {documents.TABLE} WHERE program_code = %s", (P,))
        row = cur.fetchone()
    assert row is not None
    before, not_after = orjson.loads(row["judged"])
    as_read = documents.Judged(before, not_after)  # what a process of the version before reads there
    assert documents.Judged.at(orjson.loads(row["boundaries"]), services.clock()) != as_read


def test_a_document_the_clock_has_overtaken_is_stored_again_by_its_next_reader(
    api: Api, services: Services, clock: ServerClock
) -> None:
    api.open_program()
    api.seat("A", "B")  # two teams: written after each batch
    api.eliminate("B")  # its objection deadline is 2026-01-15; the clock says 2026-01-05
    written = documents.current(services.db, P)
    assert written is not None and written.fresh(clock())
    clock.advance(days=20)
    assert not written.fresh(clock())  # read from the rows once
    answer = api.client.get(STANDINGS)
    elimination = next(
        t for t in answer.json()["applicants"] + answer.json()["stages"][0]["teams"] if t["team_code"] == "B"
    )
    assert elimination["elimination"]["final"] is True
    again = documents.current(services.db, P)
    assert again is not None and again.position == written.position and again.fresh(clock())
    assert again.etag == answer.headers["ETag"] != written.etag

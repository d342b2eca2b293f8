"""The one-round-trip PostgreSQL save: same guarantees as the library's path, checked on the real server.

``ChainedPostgresRecorder`` stores events, chain links and the NOTIFY in one
database function under the events table's lock, hashing in the database. These
tests check what the behavioural suites would not notice: the database's hashes
are byte for byte ``eventstore.chain``'s, positions come back in the order given, a
version conflict stores nothing and raises the library's IntegrityError, the
table lock is taken, a follower tailing the log under eight writers skips
nothing, a connection the server closed is replaced rather than used, one it did
not is handed out without a ping, and the pool reuses the connection returned
last. No timings are asserted.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.bootstrap import Services
from audit.log import MerkleLog
from audit.verify import verify
from eventstore.chain import Link, appended, chain_tail, link
from eventstore.postgres import ChainedPostgresRecorder

pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
WRITERS = 8
APPENDS_PER_WRITER = 30


def recorder_of(services: Services) -> ChainedPostgresRecorder:
    recorder = services.registry.recorder
    assert isinstance(recorder, ChainedPostgresRecorder)
    return recorder


def event(stream: uuid.UUID, version: int, text: str = "") -> StoredEvent:
    state = json.dumps({"text": text or f"v{version}", "결정": "심사 통과 ✓", "n": version}, ensure_ascii=False)
    return StoredEvent(stream, version, "registry:Tested", state.encode())


def append(recorder: ChainedPostgresRecorder, events: list[StoredEvent]) -> list[int]:
    return list(recorder.insert_events(events) or [])


def eventually(condition: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for: {what}"
        time.sleep(0.01)


def admin(services: Services) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(services.settings.database_url, autocommit=True)


def test_links_are_audit_chains_hashes_and_positions_come_back_in_the_order_given(services: Services) -> None:
    recorder = recorder_of(services)
    a, b = uuid.uuid4(), uuid.uuid4()
    first = [event(a, 1), event(b, 1, 'ünïcödé \u2028 \\ "quoted"')]
    second = [event(a, 2), event(b, 2), event(a, 3)]  # a stream twice in one save
    positions = append(recorder, first) + append(recorder, second)
    assert positions == sorted(positions)
    stored = {(n.originator_id, n.originator_version): n.id for n in recorder.select_notifications(start=1, limit=10)}
    assert [stored[(e.originator_id, e.originator_version)] for e in first + second] == positions

    heads: dict[str, str] = {}
    expected = link(first, positions[:2], 0, lambda s: heads.get(s, ""))
    heads.update((item.stream, item.hash) for item in expected)
    expected += link(second, positions[2:], 2, lambda s: heads.get(s, ""))
    assert list(MerkleLog(services.registry).links()) == expected
    assert verify(services.registry).ok


def test_a_one_event_save_links_and_refuses_as_a_save_of_several_does(services: Services) -> None:
    """Most decisions save one event, which the function stores on a path of its own."""
    recorder = recorder_of(services)
    a, b = uuid.uuid4(), uuid.uuid4()
    saves = [[event(a, 1)], [event(a, 2), event(b, 1)], [event(b, 2, "ünïcödé \u2028")], [event(a, 3)]]
    positions = [position for save in saves for position in append(recorder, save)]
    heads: dict[str, str] = {}
    expected: list[Link] = []
    done = 0
    for save in saves:
        links = link(save, positions[done : done + len(save)], done, lambda s: heads.get(s, ""))
        heads.update((item.stream, item.hash) for item in links)
        expected, done = expected + links, done + len(save)
    stored = list(MerkleLog(services.registry).links())
    assert stored == expected
    assert appended(recorder, positions[-1:]) == {positions[-1]: stored[-1]}
    assert stored[-1].prev_hash == stored[1].hash  # a's third event follows its second
    with pytest.raises(IntegrityError):
        append(recorder, [event(b, 2, "a competing version")])
    with pytest.raises(IntegrityError):  # a record it read moved on since
        recorder.insert_events([event(uuid.uuid4(), 1)], unchanged=[(a, 2)])
    assert len(list(MerkleLog(services.registry).links())) == len(expected)
    later = append(recorder, [event(b, 3)])  # the store carries on after the refusals
    assert later[0] > positions[-1]
    assert list(MerkleLog(services.registry).links())[-1].prev_hash == stored[3].hash  # b3 follows b2
    assert verify(services.registry).ok


def test_one_event_through_the_array_function_is_stored_as_the_plain_function_stores_it(services: Services) -> None:
    """A process of the previous version saves one event with ``registry_append_links`` (arrays of one);
    the function hands it to ``registry_append_one``: the same link, the same refusals."""
    recorder = recorder_of(services)
    a = uuid.uuid4()
    first = append(recorder, [event(a, 1)])  # this version: the plain function
    older = event(a, 2)
    arrays = ([a], [2], [older.topic], [older.state], [chain_tail(older)])

    def call(heads: list[uuid.UUID], versions: list[int]) -> dict[str, list[object]]:
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(recorder.append_statement, (*arrays, heads, versions))
            row = cursor.fetchone()
        assert row is not None
        return dict(row)

    other = uuid.uuid4()
    append(recorder, [event(other, 1)])
    with pytest.raises(IntegrityError):  # a record it read moved on
        call([other], [0])
    row = call([other], [1])
    stored = list(MerkleLog(services.registry).links())
    assert row == {
        "appended": [stored[-1].position],
        "leaves": [stored[-1].leaf],
        "prev_hashes": [stored[-1].prev_hash],
        "hashes": [stored[-1].hash],
    }
    assert stored[-1].prev_hash == stored[0].hash and stored[-1].position > first[0]
    assert link([older], [stored[-1].position], 2, lambda s: stored[0].hash)[0] == stored[-1]
    assert verify(services.registry).ok


def test_the_links_an_append_returns_are_the_stored_ones_and_name_only_what_it_wrote(services: Services) -> None:
    recorder = recorder_of(services)
    a, b = uuid.uuid4(), uuid.uuid4()
    earlier = append(recorder, [event(a, 1), event(b, 1)])
    saved = [event(b, 2), event(a, 2), event(b, 3)]  # given out of position order, a stream twice
    positions = append(recorder, saved)
    returned = appended(recorder, positions)
    assert returned is not None
    stored = {item.position: item for item in MerkleLog(services.registry).links()}
    assert returned == {position: stored[position] for position in positions}
    assert [returned[p].leaf for p in positions] == [2, 3, 4]
    written = [(str(e.originator_id), e.originator_version) for e in saved]
    assert [(returned[p].stream, returned[p].version) for p in positions] == written
    assert appended(recorder, earlier) is None  # an earlier append's: read from the store
    assert appended(recorder_of(services), [*positions, positions[-1] + 1]) is None
    with pytest.raises(IntegrityError):
        append(recorder, [event(a, 3), event(a, 2, "a competing version")])
    assert appended(recorder, positions) == returned  # a refused append leaves the last committed one's


def test_an_append_in_another_thread_is_not_seen_here(services: Services) -> None:
    recorder = recorder_of(services)
    with ThreadPoolExecutor(1) as pool:
        positions = pool.submit(append, recorder, [event(uuid.uuid4(), 1)]).result()
    assert appended(recorder, positions) is None


def test_a_version_conflict_raises_integrity_error_and_stores_nothing(services: Services) -> None:
    recorder = recorder_of(services)
    stream, other = uuid.uuid4(), uuid.uuid4()
    recorder.insert_events([event(stream, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(other, 1), event(stream, 1, "a competing first version")])
    assert [(n.originator_id, n.originator_version) for n in recorder.select_notifications(1, 10)] == [(stream, 1)]
    assert len(list(MerkleLog(services.registry).links())) == 1
    recorder.insert_events([event(other, 1), event(stream, 2)])  # the store carries on after the refusal
    assert verify(services.registry).ok


def test_an_empty_save_stores_nothing(services: Services) -> None:
    assert append(recorder_of(services), []) == []
    assert recorder_of(services).max_notification_id() is None


def test_a_save_notifies_the_channel_followers_listen_on(services: Services) -> None:
    recorder = recorder_of(services)
    with admin(services) as listener:
        listener.execute(f'LISTEN "{recorder.channel_name}"')
        recorder.insert_events([event(uuid.uuid4(), 1)])
        notices = list(listener.notifies(timeout=10, stop_after=1))
    assert [n.channel for n in notices] == [recorder.channel_name]


def test_a_save_waits_for_the_events_table_lock(services: Services) -> None:
    """Commits stay in position order because every save takes the table's EXCLUSIVE lock first."""
    recorder = recorder_of(services)
    table = recorder.events_table_name
    saved = threading.Event()

    def save() -> None:
        recorder.insert_events([event(uuid.uuid4(), 1)])
        saved.set()

    with admin(services) as holder, admin(services) as watcher:
        with holder.transaction():
            holder.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
            thread = threading.Thread(target=save)
            thread.start()
            waiting = "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted"
            eventually(lambda: watcher.execute(waiting, (table,)).fetchone() == (1,), "the save to wait for the lock")
            assert not saved.is_set()
        thread.join(timeout=30)
    assert saved.is_set()


def test_eight_writers_racing_keep_the_chain_whole_and_a_follower_skips_nothing(services: Services) -> None:
    recorder = recorder_of(services)
    shared = uuid.uuid4()
    recorder.insert_events([event(shared, 1)])
    conflicts: list[int] = []
    stop = threading.Event()
    followed: list[int] = []

    def follow() -> None:
        last = 0
        while not stop.is_set() or last < (recorder.max_notification_id() or 0):
            page = recorder.select_notifications(start=last + 1, limit=50)
            followed.extend(n.id for n in page)
            last = page[-1].id if page else last
            time.sleep(0.001)

    def shared_version() -> int:
        return int(
            max(n.originator_version for n in recorder.select_notifications(1, 10**6) if n.originator_id == shared)
        )

    def write(number: int) -> None:
        own = uuid.uuid4()
        rng = random.Random(number)
        for version in range(1, APPENDS_PER_WRITER + 1):
            batch = [event(own, version, f"writer {number}")]
            while rng.random() < 0.3:  # sometimes also the shared stream, which writers race for
                try:
                    recorder.insert_events([*batch, event(shared, shared_version() + 1, f"writer {number}")])
                    break
                except IntegrityError:
                    conflicts.append(number)
            else:
                recorder.insert_events(batch)

    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        follower = pool.submit(follow)
        for future in [pool.submit(write, n) for n in range(WRITERS)]:
            future.result()
        stop.set()
        follower.result(timeout=60)

    logged = [n.id for n in recorder.select_notifications(1, 10**6)]
    assert len(logged) == 1 + WRITERS * APPENDS_PER_WRITER + shared_version() - 1
    assert followed == logged, "the follower skipped or repeated a position"
    links = list(MerkleLog(services.registry).links())
    assert [item.leaf for item in links] == list(range(len(logged)))
    assert [item.position for item in links] == logged
    report = verify(services.registry)
    assert report.ok, report.problems
    print(f"{len(logged)} events, {len(conflicts)} lost races retried")


def test_a_connection_the_server_closed_is_replaced_not_used(services: Services) -> None:
    """The pool pings only connections the server spoke on; one it closed is discarded, not handed out."""
    recorder = recorder_of(services)
    pool = recorder.datastore.pool
    with recorder.datastore.get_connection() as conn:
        closed = conn.info.backend_pid  # back in the pool after this block, idle
    with admin(services) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", (closed,))
    eventually(lambda: killer_sees_gone(services, closed), "the backend to end")
    for _ in range(pool.max_size + 1):  # every pooled connection is handed out at least once
        with recorder.datastore.get_connection() as conn:
            assert conn.info.backend_pid != closed
        recorder.insert_events([event(uuid.uuid4(), 1)])
    assert len(recorder.select_notifications(1, 100)) == pool.max_size + 1


def test_an_idle_healthy_connection_is_handed_out_without_a_round_trip(services: Services) -> None:
    """The pre-ping is passive: a connection the server has not spoken on is not pinged before use."""
    datastore = recorder_of(services).datastore
    with datastore.get_connection() as conn:
        pid = conn.info.backend_pid
    with admin(services) as watcher:
        before = last_activity(watcher, pid)
        with datastore.get_connection() as conn:
            assert conn.info.backend_pid == pid  # the connection returned last (see the test below)
        assert last_activity(watcher, pid) == before, "the connection was pinged on checkout"


def last_activity(watcher: psycopg.Connection[tuple[object, ...]], pid: int) -> object:
    """When the server process last changed state (a ping makes it active, then idle, again)."""
    row = watcher.execute("SELECT state_change FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    assert row is not None
    return row[0]


def test_the_pool_hands_out_the_connection_returned_last(services: Services) -> None:
    datastore = recorder_of(services).datastore
    with datastore.get_connection() as first, datastore.get_connection() as second:
        pids = (first.info.backend_pid, second.info.backend_pid)
    with datastore.get_connection() as again:
        assert again.info.backend_pid == pids[0]  # returned last: the outer block's connection


def killer_sees_gone(services: Services, pid: int) -> bool:
    with admin(services) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,)

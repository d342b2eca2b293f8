"""A per-process watcher of the log's state, told of every change by PostgreSQL (LISTEN/NOTIFY).

A read asks four things of the database before it is answered: how many keys
have been revoked (``eventstore.revocations``), which read models stopped for
which programmes (``projections.failures``), how far the read models have got
(``projections.tracking``) and the programme's stored document
(``projections.documents``). Each of these is written in a transaction that
also sends a notice (``projections.notices``), delivered when it commits,
whichever process wrote it: the API applying events inline, ``registry
projections run``, a rebuild, the CLI.

``Watcher`` keeps one connection per process listening to that channel, in a
thread of its own, and holds the answers in memory: the counts and lists as
read, the documents readers loaded, forgotten when a notice says they changed.
It answers only while that connection is up. It starts listening *before* it
reads the state, so nothing committed after the read goes unheard; until that
read is done, and from the moment the connection fails until it is back and
the state is read again, every answer is ``None``: the caller asks the
database, as without a watcher. A document loaded while a notice about it
arrives is not kept (``token``/``keep``), so memory never holds what a
notice has already overtaken.

A notice travels in well under a millisecond on one host; a read that races it
in another process is answered as if it had come just before the change.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eventstore.revocations import SELECT
from projections import failures, tracking
from projections.db import Database
from projections.documents import Document
from projections.notices import ALL_DOCUMENTS, DOCUMENT, NOTICE_CHANNEL, POSITION, REVOKED_NOTICE

log = logging.getLogger("registry.watch")
IDLE_SECONDS = 0.02  # how often the listening thread looks up from the connection: how long a stop waits for it
RETRY_SECONDS = 1.0  # between attempts to connect again
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # documents kept in memory; past this, start again rather than grow


@dataclass(frozen=True)
class State:
    """What the watcher read or heard last; replaced whole, so a reader never sees half of a change."""

    revoked: int
    failures: tuple[dict[str, Any], ...]
    positions: dict[str, int]


@dataclass(frozen=True)
class Token:
    """What the watcher knew of a programme's document before a reader loaded it (``keep`` compares)."""

    epoch: int
    changes: int


class Watcher:
    """The log's state in memory while a connection listens for its changes; None from every answer otherwise."""

    def __init__(
        self, conninfo: str, names: Iterable[str], *, connect_timeout: float = 5.0, retry: float = RETRY_SECONDS
    ) -> None:
        self._conninfo = conninfo
        self._retry = retry
        self._names = list(names)
        self._connect_timeout = max(1, int(connect_timeout))
        self._state: State | None = None
        self._epoch = 0  # grows each time the connection is lost or made: tokens of before are void
        self._changes: dict[str, int] = {}  # notices heard per programme's document
        self._documents: dict[str, Document] = {}
        self._document_bytes = 0
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[bool | None]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reads = self._adopted = 0  # reads of the state started, and the latest whose failures were taken
        self.connections = 0  # connections made and read from so far (a test waits for a reconnection)
        self.backend_pid: int | None = None  # the server process of the listening connection (operators, tests)

    # --- what readers ask (memory only) --------------------------------------------------

    @property
    def healthy(self) -> bool:
        return self._state is not None

    def revocations(self) -> int | None:
        state = self._state
        return None if state is None else state.revoked

    def failures(self) -> list[dict[str, Any]] | None:
        state = self._state
        return None if state is None else list(state.failures)

    def lowest_position(self) -> int | None:
        state = self._state
        return None if state is None else min(state.positions.values(), default=0)

    def document(self, code: str) -> Document | None:
        """The programme's document as last loaded, if no notice has changed it since (None: ask the database)."""
        return self._documents.get(code) if self._state is not None else None

    def token(self, code: str) -> Token | None:
        """Taken before loading a document from the database; None while nothing can be kept."""
        with self._lock:
            return None if self._state is None else Token(self._epoch, self._changes.get(code, 0))

    def keep(self, token: Token, document: Document) -> None:
        """Keep a document loaded after ``token`` was taken, unless a notice about it came meanwhile."""
        with self._lock:
            code = document.program_code
            if self._state is None or token != Token(self._epoch, self._changes.get(code, 0)):
                return
            if self._document_bytes + len(document.body) > MAX_DOCUMENT_BYTES:
                self._documents.clear()
                self._document_bytes = 0
            old = self._documents.get(code)
            self._document_bytes += len(document.body) - (len(old.body) if old else 0)
            self._documents[code] = document

    async def reached(self, position: int, timeout: float) -> bool | None:
        """Wait on the event loop until every read model has reached ``position``: True, or False after
        ``timeout`` seconds; None if the watcher cannot tell (the caller asks the database)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool | None] = loop.create_future()
        with self._lock:
            lowest = self.lowest_position()
            if lowest is None or lowest >= position:
                return None if lowest is None else True
            self._waiters.append((position, loop, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters = [w for w in self._waiters if w[2] is not future]

    # --- the listening thread ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="registry-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, IDLE_SECONDS * 10))
            self._thread = None

    def _run(self) -> None:
        import psycopg
        from psycopg.rows import dict_row

        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=dict_row,
                    connect_timeout=self._connect_timeout,
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                    application_name="registry-watch",
                ) as conn:
                    self.backend_pid = conn.info.backend_pid
                    conn.execute(f"LISTEN {NOTICE_CHANNEL}")  # first: a change committed after the read is heard
                    self._trust(self._read(conn)[1])
                    while not self._stop.is_set():
                        if self._listen(conn):
                            self._adopt(self._read(conn))
            except Exception as error:  # a lost connection, a failed read: distrust, then connect again
                if not self._stop.is_set():
                    log.warning("watcher: not listening (%s); reads ask the database until it is back", error)
            finally:
                self._distrust()
            self._stop.wait(self._retry)

    def _read(self, conn: Any) -> tuple[int, State]:
        """The state as the database holds it now, and the number of this read (``_adopt``)."""
        started = self._started()
        with conn.cursor() as cur:
            cur.execute(SELECT)
            row = cur.fetchone()
            found = failures.listed_in(cur)
            positions = tracking.positions_in(cur, self._names)
        return started, State(int(row["revoked"]) if row else 0, tuple(found), positions)

    def _started(self) -> int:
        with self._lock:
            self._reads += 1
            return self._reads

    def _adopt(self, read: tuple[int, State]) -> None:
        """Take a state read again; its failures only if no read started after it was taken first (``refresh``)."""
        number, state = read
        with self._lock:
            current = self._state
            if current is None:
                return
            found = state.failures if number > self._adopted else current.failures
            self._adopted = max(self._adopted, number)
            self._state = State(state.revoked, found, state.positions)
        self._wake()

    def refresh(self, db: Database) -> None:
        """This process has just changed the read models (events applied inline): its next read must see it.

        Its documents are forgotten and its failures read again at once (one query), before the
        notices of the change arrive. Positions are left to the notices: a read that waits for one
        (``reached``) waits on them.
        """
        if self._state is None:
            return
        self._forget(None)
        number = self._started()
        found = tuple(failures.listed(db))
        with self._lock:
            current = self._state
            if current is not None and number > self._adopted:
                self._adopted = number
                self._state = State(current.revoked, found, current.positions)

    def _trust(self, state: State) -> None:
        with self._lock:
            self._adopted = self._reads
            self._epoch += 1
            self._documents.clear()
            self._document_bytes = 0
            self._state = state
            self.connections += 1
        self._wake()
        log.info("watcher: listening; reads are answered from memory")

    def _distrust(self) -> None:
        with self._lock:
            self._epoch += 1
            self._state = None
            self._documents.clear()
            self._document_bytes = 0
            waiters, self._waiters = self._waiters, []
        for _, loop, future in waiters:
            loop.call_soon_threadsafe(_settle, future, None)  # the waiter asks the database instead

    def _listen(self, conn: Any) -> bool:
        """Apply the notices that arrive for a moment; True when one asks for the state to be read again.

        The connection is busy while its generator of notices runs: it is closed before any query (notices
        that arrive meanwhile wait in the connection's backlog for the next call).
        """
        notices = conn.notifies(timeout=IDLE_SECONDS)
        try:
            return any(self._heard(notice.payload) for notice in notices)
        finally:
            notices.close()

    def _heard(self, payload: str) -> bool:
        """Apply one notice; True if it names state to read again (failures, positions deleted: rare)."""
        kind, _, rest = payload.partition(" ")
        state = self._state
        if state is None:
            return False
        if kind == DOCUMENT:
            self._forget(rest)
        elif kind == ALL_DOCUMENTS:
            self._forget(None)
        elif kind == REVOKED_NOTICE and rest.isdigit():
            with self._lock:  # counts only grow; notices come in commit order, but a read may have been newer
                current = self._state or state
                self._state = State(max(current.revoked, int(rest)), current.failures, current.positions)
        elif kind == POSITION:
            position, _, name = rest.partition(" ")
            if name in state.positions:
                with self._lock:
                    current = self._state or state
                    self._state = State(current.revoked, current.failures, {**current.positions, name: int(position)})
                self._wake()
        else:
            return True
        return False

    def _forget(self, code: str | None) -> None:
        with self._lock:
            if code is None:
                self._epoch += 1
                self._documents.clear()
                self._document_bytes = 0
                return
            self._changes[code] = self._changes.get(code, 0) + 1
            old = self._documents.pop(code, None)
            if old is not None:
                self._document_bytes -= len(old.body)

    def _wake(self) -> None:
        lowest = self.lowest_position()
        if lowest is None:
            return
        with self._lock:
            ready = [w for w in self._waiters if w[0] <= lowest]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_settle, future, True)


def _settle(future: asyncio.Future[bool | None], value: bool | None) -> None:
    if not future.done():
        future.set_result(value)

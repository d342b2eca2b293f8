"""The HTTP load generator: a fixed number of keep-alive clients send one request after another for a fixed time.

It runs in a process of its own (``run`` starts ``python -m bench.load SPEC``),
so it never shares a GIL with the server it measures, and the very same code
drives our server and the raw one. Each client is a raw asyncio stream on
uvloop with a minimal HTTP/1.1 codec (Content-Length or chunked bodies,
keep-alive, reconnect when the server closes): a fraction of the CPU an HTTP
client library would take, which matters when the generator, two server
workers and PostgreSQL share two cores.

A request's body may hold the token ``@N@``; each request replaces it with a
number unique within the run (``<client>x<sequence>``), so every write is a new
decision. Requests answered during the warm-up count towards the statuses but
not towards the rate or latencies; after it, a request counts if its answer
arrives within the measured window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from bench.figures import percentile
from bench.processes import ROOT

TOKEN = "@N@"
SAMPLE_BYTES = 300


@dataclass(frozen=True)
class Load:
    url: str  # http://host:port/path?query
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # JSON; TOKEN is replaced per request
    clients: int = 8
    warmup: float = 1.0
    seconds: float = 10.0
    timeout: float = 30.0  # a request unanswered this long counts as status 0 and its connection is replaced


@dataclass(frozen=True)
class Outcome:
    requests: int  # answered within the measured window, whatever the status
    seconds: float  # the measured window
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]  # every answer, warm-up included; "0" is no answer (timeout or broken connection)
    sample: str  # the first answer that was not 2xx, abridged
    cpu_seconds: float = 0.0  # the load generator's own, start-up included (``bench.cpu`` cannot see it exit)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        """Answers that were not 2xx, and requests that got none."""
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    def summary(self) -> str:
        """The statuses as ``201: 5,000, 409: 2``, for notes."""
        return ", ".join(f"{status}: {n:,}" for status, n in sorted(self.statuses.items()))


def run(load: Load) -> Outcome:
    """Run ``load`` in a child process and return what it measured."""
    limit = load.warmup + load.seconds + load.timeout + 60
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", json.dumps(asdict(load))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=limit,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return Outcome(**json.loads(done.stdout.strip().splitlines()[-1]))


# --- the child ------------------------------------------------------------------------------


@dataclass
class Tally:
    start: float  # the measured window
    end: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    sample: str = ""

    def add(self, status: int, started: float, ended: float, body: bytes) -> None:
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if self.start <= ended <= self.end:
            self.latencies.append(ended - started)
        if not 200 <= status < 300 and not self.sample:
            self.sample = f"{status} {body[:SAMPLE_BYTES].decode(errors='replace')}"

    def outcome(self) -> Outcome:
        ms = [s * 1000 for s in self.latencies]
        return Outcome(
            requests=len(self.latencies),
            seconds=self.end - self.start,
            p50_ms=percentile(ms, 0.50),
            p99_ms=percentile(ms, 0.99),
            max_ms=percentile(ms, 1.0),
            statuses=self.statuses,
            sample=self.sample,
        )


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened on demand."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await self._body(headers)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    async def _body(self, headers: dict[str, str]) -> bytes:
        assert self.reader is not None
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() != "chunked":
            return await self.reader.read()  # the body runs to the end of the connection
        chunks = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # no trailers are sent to us
        return b"".join(chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def encode(load: Load, target: str, host: str, number: str) -> bytes:
    body = load.body.replace(TOKEN, number).encode()
    lines = [f"{load.method} {target} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in load.headers.items())]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def client(number: int, load: Load, tally: Tally) -> None:
    parts = urlsplit(load.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
    sequence = 0
    while time.perf_counter() < tally.end:
        sequence += 1
        raw = encode(load, target, parts.netloc, f"{number}x{sequence}")
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(connection.request(raw), load.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            connection.close()
            status, body = 0, b""
        tally.add(status, started, time.perf_counter(), body)
    connection.close()


async def drive(load: Load) -> Outcome:
    start = time.perf_counter() + load.warmup
    tally = Tally(start, start + load.seconds)
    await asyncio.gather(*(client(n, load, tally) for n in range(load.clients)))
    return tally.outcome()


def main() -> None:
    import uvloop

    load = Load(**json.loads(sys.argv[1]))
    outcome = dataclasses.replace(uvloop.run(drive(load)), cpu_seconds=time.process_time())
    print(json.dumps(asdict(outcome)))


if __name__ == "__main__":
    main()

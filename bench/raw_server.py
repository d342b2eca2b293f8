"""The raw HTTP baselines: bare FastAPI endpoints served by uvicorn with the registry's own server settings.

``python -m bench.raw_server --port P --workers N`` runs uvicorn exactly as
``registry serve`` does (httptools, uvloop, N worker processes, no access log),
over an app with nothing but:

- ``POST /rows``: parse the JSON body, INSERT one row of the event store's
  shape (a new stream id, version 1, a topic, the body as state) into
  ``RAW_TABLE`` with psycopg from a pool of connections, COMMIT, answer 201
  with the row's position. Synchronous, like the registry's routes (FastAPI
  runs both in its thread pool); the pool is as large as ``REGISTRY_POOL_SIZE``'s
  default. The database is ``BENCH_RAW_DATABASE_URL``.
- ``GET /document``: answer the bytes of the file ``BENCH_RAW_DOCUMENT``, read
  once at start-up, as JSON — no authentication, no query, no serialisation.
- ``GET /health``: 200.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

RAW_TABLE = "bench_raw_http"
RAW_TOPIC = "bench:RawRow"
POOL_SIZE = 8  # REGISTRY_POOL_SIZE's default: the registry's connections per process
INSERT = f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s)"


def create_app() -> FastAPI:
    """The app; the pool and the document are opened per worker, after uvicorn forks."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from psycopg_pool import ConnectionPool

        url = os.environ.get("BENCH_RAW_DATABASE_URL")
        document = os.environ.get("BENCH_RAW_DOCUMENT")
        app.state.document = Path(document).read_bytes() if document else b"{}"
        app.state.pool = ConnectionPool(url, min_size=POOL_SIZE, max_size=POOL_SIZE, open=True) if url else None
        try:
            yield
        finally:
            if app.state.pool is not None:
                app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/rows", status_code=201)
    def insert_row(body: dict[str, Any], request: Request) -> dict[str, int]:
        with request.app.state.pool.connection() as conn:  # commits when the block ends
            row = conn.execute(INSERT + " RETURNING notification_id", (uuid.uuid4(), RAW_TOPIC, orjson.dumps(body)))
            position = row.fetchone()
        return {"position": int(position[0])}

    @app.get("/document")
    async def document(request: Request) -> Response:
        return Response(request.app.state.document, media_type="application/json")

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.raw_server:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
        timeout_worker_healthcheck=60,  # as registry serve: on a loaded machine a slow start is not a dead worker
    )


if __name__ == "__main__":
    main()

"""Answers served from a stored document: the bytes as written by the projection, an ETag, and 304s.

A reply answers for two times (``as_of``, ``known_at``) that are the request's
own, so they are added to the stored bytes rather than stored with them.

On PostgreSQL the documents a process loaded stay in its memory while its
watcher listens (``projections.watch``), until a notice says the programme's
document changed; a remembered document is still served only while it is
fresh (``Document.fresh``: the clock has crossed none of its boundaries).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import orjson
from fastapi import Request, Response

from api.bootstrap import Services
from projections import documents
from projections.documents import Document

NOT_MODIFIED = 304


def matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, RFC 9110 §13.1.2) or is ``*``."""
    given = request.headers.get("if-none-match", "")
    if not given:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in given.split(",")]
    return "*" in tags or etag in tags


def stored_reply(request: Request, etag: str, body: bytes, times: dict[str, str | None]) -> Response:
    """200 with the document and ``times`` added, or 304 if the caller holds this version already."""
    headers = {"ETag": etag}
    if matches(request, etag):
        return Response(status_code=NOT_MODIFIED, headers=headers)
    content = body[:-1] + b"," + orjson.dumps(times)[1:]  # {"…":…} + {"as_of":…} → {"…":…,"as_of":…}
    return Response(content, media_type="application/json", headers=headers)


def remembered(services: Services, code: str, now: datetime) -> Document | None:
    """The programme's document from memory, if the watcher holds it and it is fresh at ``now`` (no I/O)."""
    document = services.watcher.document(code) if services.watcher is not None else None
    return document if document is not None and document.fresh(now) else None


def loaded(services: Services, code: str, now: datetime) -> Document | None:
    """The programme's document from the database (one row), kept in memory for the next read if it is fresh."""
    token = services.watcher.token(code) if services.watcher is not None else None
    document = documents.current(services.db, code)
    if document is None or not document.fresh(now):
        return None
    if token is not None and services.watcher is not None:
        services.watcher.keep(token, document)
    return document


_building: dict[str, threading.Lock] = {}
_building_guard = threading.Lock()


@contextmanager
def building(code: str, dialect: str) -> Iterator[None]:
    """Held by the one reader of this process building a programme's present standings from the rows.

    The others wait for it, then look for the document it stored (``documents.computed`` with ``fill``): a
    large programme's standings are built once for a crowd of readers, not once per reader. Only PostgreSQL's
    readers store what they build; elsewhere waiting would gain nothing, so nobody waits.
    """
    if dialect != "postgres":
        yield
        return
    with _building_guard:
        lock = _building.setdefault(code, threading.Lock())
    with lock:
        yield

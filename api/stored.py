"""Answers served from a stored document: the bytes as written by the projection, an ETag, and 304s.

A reply answers for two times (``as_of``, ``known_at``) that are the request's
own, so they are added to the stored bytes rather than stored with them.
"""

from __future__ import annotations

import orjson
from fastapi import Request, Response

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

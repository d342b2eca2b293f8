"""Guards on request bodies, before any route sees them.

A body over the configured size is refused with 413, whether it declares its
length or streams. A JSON object that names the same key twice is refused with
422: parsers disagree on which value wins, and a system of record must not
record a decision that two readers would read differently. Malformed JSON is
refused with 422 naming the line and column where parsing stopped, and arrays or
objects nested deeper than ``MAX_DEPTH`` are refused with 422 before any parser
recurses into them.

These checks apply to every body the framework would read as JSON: one without a
content type, and every media type whose parsed type is ``application/json`` or
``application/*+json``, however it is spelt (``Application/JSON``, parameters such
as ``charset``). Media types are compared parsed, never as raw bytes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem

MAX_DEPTH = 32  # no request schema nests deeper than 4; 32 leaves room and bounds every parser's recursion


class DuplicateKeyError(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise DuplicateKeyError(repeated)
    return dict(pairs)


def duplicate_keys(body: bytes) -> list[str] | None:
    """The keys named twice in some object of this JSON text ([] if none); None if it cannot be parsed."""
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as error:
        repeated: list[str] = error.args[0]
        return repeated
    except (ValueError, RecursionError):
        return None
    return []


def malformed(body: bytes) -> dict[str, Any] | None:
    """Where and why this JSON text cannot be parsed (line and column from 1), or None if it parses."""
    try:
        json.loads(body)
    except json.JSONDecodeError as error:
        return {"message": error.msg, "line": error.lineno, "column": error.colno}
    except UnicodeDecodeError as error:
        return {"message": "the body is not UTF-8", "line": body[: error.start].count(b"\n") + 1, "column": None}
    except RecursionError:
        return {"message": "arrays or objects are nested too deeply", "line": None, "column": None}
    return None


def is_json(content_type: bytes | None) -> bool:
    """Whether a body of this media type is read as JSON: none given, ``application/json`` or ``application/*+json``."""
    if not content_type or not content_type.strip():
        return True
    media = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def nesting_depth(body: bytes, limit: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in this (possibly malformed) JSON text, counted up to ``limit + 1``.

    Iterative, so no text can make it recurse; brackets inside strings do not count.
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _malformed_refusal(where: dict[str, Any], path: str) -> ASGIApp:
    at = f" at line {where['line']}, column {where['column']}" if where["column"] else ""
    issue = {"location": ["body"], "kind": "json_invalid", **where}
    return problem(422, "invalid-request", f"the JSON body is malformed{at}: {where['message']}", path, errors=[issue])


def refused(body: bytes) -> Callable[[str], ASGIApp] | None:
    """The refusal of this JSON text, given the path asked; None if the text is accepted.

    A body is refused if it nests too deeply, else if it is malformed, else if it names a key twice. It cannot
    nest deeper than it has brackets, so few are scanned for depth; and the one parse that finds no key
    named twice also shows it is not malformed, so an accepted body is parsed once.
    """
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and nesting_depth(body) > MAX_DEPTH:
        return partial(
            problem, 422, "invalid-request", f"the JSON body nests arrays or objects deeper than {MAX_DEPTH} levels"
        )
    repeated = duplicate_keys(body)
    if repeated == []:
        return None  # it parses, and names no key twice
    where = malformed(body)  # asked even when a key is named twice: that parse stopped there, not at the end
    if where is not None:
        return partial(_malformed_refusal, where)
    if repeated:
        named = ", ".join(key if key.isidentifier() else json.dumps(key, ensure_ascii=False) for key in repeated)
        return partial(problem, 422, "invalid-request", f"the JSON body names a key more than once: {named}")
    return None


class BodyGuard:
    """Pure ASGI middleware: reads the body once (bounded), checks it, then hands it on."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        if is_json(headers.get(b"content-type")) and body.strip() and (refusal := refused(body)):
            await refusal(scope.get("path", ""))(scope, receive, send)
            return
        await self.app(scope, _replay(body), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body is larger than {self.max_bytes} bytes"
        await problem(413, "payload-too-large", detail, scope.get("path", ""))(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class RequestId:
    """Give every request an id (the caller's X-Request-ID, or a new one) and return it in the answer.

    Events record it as their correlation id, so an answer can be traced to the events it wrote.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:200]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's outermost error middleware would answer this 500 without our header: answer it here,
            # with the id, then let the error travel on to be logged (that middleware sees the answer started).
            if not started:
                failure = problem(500, "internal-error", "Internal Server Error", scope.get("path", ""))
                await failure(scope, receive, send_with_id)
            raise


# The web view runs no script at all and loads its stylesheet and icon from itself.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),)
PAGE_HEADERS = (
    *EVERY_ANSWER,
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Every answer: ``X-Content-Type-Options: nosniff``. The web view's pages (``/ui``) also: a
    Content-Security-Policy with no script allowed, and no framing by any site (clickjacking).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = PAGE_HEADERS if scope.get("path", "").startswith("/ui") else EVERY_ANSWER

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

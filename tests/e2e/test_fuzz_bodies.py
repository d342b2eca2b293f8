"""Arbitrary bodies and headers thrown at every write route: no answer is a server error.

Hypothesis draws a body (raw bytes, JSON text nested up to thousands of levels deep,
objects naming a key twice, or objects made of the request schemas' own field names
with arbitrary values), a spelling of the content type, an idempotency key and a
request id, and sends it to eight write routes of the demo registry, each twice: once
without a key and once with an admin key. Every answer must be below 500, carry an
X-Request-ID, and (for refusals) be a problem document. At least 10,000 requests are
sent; the count is printed (``-s`` shows it).
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import ASGITransport, AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import demo
from api.app import create_app
from api.bootstrap import build
from api.keys import create_key
from api.settings import Settings

services = build(Settings(database_url="memory://"))
demo.load(services.registry)
services.projector.catch_up()
ADMIN = create_key(services, name="fuzzer", role="admin", actor="test")
app = create_app(services=services)
SPEC = app.openapi()
VALUES = {"program": demo.PROGRAM, "team": "NURI", "stage": "0", "evaluation": "1", "offer": "1", "number": "1"}
VALUES |= {"key_id": "00000000-0000-0000-0000-000000000000", "tree_size": "1", "exclusion": "1", "pool": "GPU-POOL"}
WRITES = sorted(
    (method.upper(), path.format(**VALUES))
    for path, operations in SPEC["paths"].items()
    for method in operations
    if method in ("post", "put", "patch", "delete")
)
FIELDS = sorted({name for schema in SPEC["components"]["schemas"].values() for name in schema.get("properties", {})})
ROUTES_PER_BODY = 8  # each drawn body goes to 8 routes, without a key and with one
EXAMPLES = 650  # 650 × 8 × 2 = 10,400 requests
SENT: list[int] = []

CONTENT_TYPES = st.sampled_from(
    [None, "", "application/json", "Application/JSON", "APPLICATION/JSON; charset=utf-8",
     "application/json;charset=latin-1", "application/merge-patch+json", "application/vnd.registry+JSON",
     "text/plain", "text/json", "multipart/form-data", "application/x-www-form-urlencoded",
     "application/json; boundary=\"x\"", "\x00", "*/*", "application/"]
)  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=120))
    if kind == 1:  # deep nesting, the shape that once made the duplicate-key check recurse until it crashed
        depth, opener = draw(st.integers(1, 5_000)), draw(st.sampled_from(["[", '{"a":', '{"stages":[']))
        return (opener * depth).encode() + (b"]" if opener == "[" else b"}") * depth * draw(st.integers(0, 1))
    if kind == 2:  # a key named twice, somewhere
        key = draw(st.sampled_from(FIELDS))
        return f'{{"{key}": {json.dumps(draw(json_values))}, "{key}": {json.dumps(draw(json_values))}}}'.encode()
    if kind == 3:
        return json.dumps(draw(json_values)).encode()
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
    text = json.dumps(fields, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    chosen: dict[str, str] = {}
    if (content_type := draw(CONTENT_TYPES)) is not None:
        chosen["content-type"] = content_type
    printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
    for name in ("idempotency-key", "x-request-id", "if-match"):
        if draw(st.booleans()):
            chosen[name] = draw(printable)
    return chosen


Case = tuple[list[tuple[str, str]], bytes, dict[str, str]]


def draw_cases() -> list[Case]:
    """Hypothesis draws the cases first (cheap); they are then sent in one event loop, not one request per draw."""
    cases: list[Case] = []

    @given(st.permutations(WRITES), bodies(), headers())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def draw(routes: list[tuple[str, str]], body: bytes, sent_headers: dict[str, str]) -> None:
        cases.append((routes[:ROUTES_PER_BODY], body, sent_headers))

    draw()
    return cases


async def send_all(cases: list[Case]) -> list[tuple[int, str]]:
    """Each case to each of its routes, without a key and with one; every answer that breaks a rule, described."""
    app.state.services = services  # the in-process transport does not run the lifespan
    wrong: list[tuple[int, str]] = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://registry") as client:
        for routes, body, sent_headers in cases:
            keyed = sent_headers | {"authorization": f"Bearer {ADMIN.secret}"}
            for (method, path), given_headers in product(routes, (sent_headers, keyed)):
                response = await client.request(method, path, content=body, headers=given_headers)
                SENT.append(response.status_code)
                refused = response.status_code >= 400
                if (
                    response.status_code >= 500
                    or not response.headers.get("x-request-id")
                    or (refused and response.headers["content-type"] != "application/problem+json")
                ):
                    wrong.append((response.status_code, f"{method} {path} {body[:200]!r} {given_headers}"))
    return wrong


def test_no_body_or_header_makes_a_write_route_answer_500() -> None:
    # In a thread of its own: a browser test before it on this worker may have left an event loop running here.
    with ThreadPoolExecutor(max_workers=1) as thread:
        wrong = thread.submit(asyncio.run, send_all(draw_cases())).result()
    server_errors = sum(status >= 500 for status in SENT)
    print(f"\nfuzz: {len(SENT)} requests to {len(WRITES)} write routes, {server_errors} answers of 500 or more")
    assert len(SENT) >= 10_000
    assert wrong == []
    assert server_errors == 0


def test_a_500_carries_the_request_id() -> None:
    failing = create_app(services=services)

    def broken() -> dict[str, Any]:
        raise RuntimeError("a defect")

    failing.add_api_route("/broken", broken, methods=["POST"])
    with TestClient(failing, raise_server_exceptions=False) as client:
        response = client.post("/broken", json={}, headers={"x-request-id": "trace-me"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "trace-me"
    assert response.json()["type"] == "/problems/internal-error"

"""A small witness: fetch a registry's latest checkpoint, check it extends what was seen last, cosign it.

An independent party runs it (``registry audit witness``) with its own Ed25519
key and the registry's verifier key. It keeps, in a state file, the last
checkpoint it cosigned (size and root). A new checkpoint must verify with the
registry's key, and either be the same one, or be larger with an RFC 9162
consistency proof from the last one (fetched from ``/audit/consistency``) that
checks. A smaller tree, or the same size with another root (a forked log), is
refused and nothing is signed. The cosignature (c2sp.org/tlog-cosignature) is
posted back, where the registry serves it beside the checkpoint.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import merkle
from audit.checkpoints import CheckpointError, Head, parse_body
from audit.note import COSIGNATURE, NoteError, Verifier, cosign, raw_public, verified


class WitnessRefusedError(Exception):
    """The registry showed a checkpoint the witness will not cosign; the message says why."""


class Client(Protocol):
    """What the witness needs of an HTTP client (``httpx.Client`` and FastAPI's test client have it)."""

    def get(self, url: str, *, params: Any = ...) -> Any: ...

    def put(self, url: str, *, json: Any = ...) -> Any: ...


@dataclass(frozen=True)
class Witness:
    name: str
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, raw_public(self.private.public_key()), COSIGNATURE)


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class UrlClient:
    """A registry over HTTP with the standard library: what ``registry audit witness`` talks to."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 30) -> None:
        self.base_url, self.headers, self.timeout = base_url.rstrip("/"), headers, timeout

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(errors="replace"))

    def get(self, url: str, *, params: Any = None) -> Answer:
        query = "" if not params else "?" + urllib.parse.urlencode(params)
        return self._send(urllib.request.Request(self.base_url + url + query, headers=self.headers))

    def put(self, url: str, *, json: Any = None) -> Answer:
        body = orjson.dumps(json)
        headers = {**self.headers, "Content-Type": "application/json"}
        return self._send(urllib.request.Request(self.base_url + url, data=body, headers=headers, method="PUT"))


def load_state(path: Path) -> Head | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Head(data["origin"], int(data["tree_size"]), base64.b64decode(data["root"]))


def save_state(path: Path, head: Head) -> None:
    spare = path.with_name(f".{path.name}.new")
    spare.write_text(
        json.dumps({"origin": head.origin, "tree_size": head.tree_size, "root": base64.b64encode(head.root).decode()})
    )
    spare.replace(path)


def _json(response: Any, what: str) -> Any:
    if response.status_code != 200:
        raise WitnessRefusedError(f"{what}: the registry answered {response.status_code}")
    return response.json()


def check_extends(seen: Head | None, head: Head, proof: Callable[[int, int], list[bytes]]) -> None:
    """Refuse ``head`` unless it extends ``seen`` (fetching a consistency proof when it grew)."""
    if seen is None:
        return
    if head.origin != seen.origin:
        raise WitnessRefusedError(f"the checkpoint is of log {head.origin!r}, not {seen.origin!r}")
    if head.tree_size < seen.tree_size:
        raise WitnessRefusedError(f"the log shrank from {seen.tree_size} to {head.tree_size} leaves")
    if head.tree_size == seen.tree_size:
        if head.root != seen.root:
            raise WitnessRefusedError(f"a forked log: another root for the same {head.tree_size} leaves")
        return
    if not merkle.consistent(
        seen.tree_size, head.tree_size, seen.root, head.root, proof(seen.tree_size, head.tree_size)
    ):
        raise WitnessRefusedError(f"the consistency proof from {seen.tree_size} to {head.tree_size} does not check")


def witness(client: Client, log_key: Verifier, me: Witness, state: Path, now: int) -> Head:
    """One round: fetch, check, cosign, post; returns the head now cosigned (and saved in ``state``)."""
    latest = _json(client.get("/audit/checkpoints/latest"), "the latest checkpoint")
    try:
        text = verified(latest["note"], log_key)
        head = parse_body(text)
    except (NoteError, CheckpointError, KeyError, TypeError) as error:
        raise WitnessRefusedError(f"the checkpoint does not verify with the registry's key: {error}") from None

    def proof(first: int, second: int) -> list[bytes]:
        answer = _json(client.get("/audit/consistency", params={"first": first, "second": second}), "the proof")
        return [bytes.fromhex(node) for node in answer["proof"]]

    check_extends(load_state(state), head, proof)
    line = cosign(text, me.name, me.private, now)
    posted = client.put(f"/audit/checkpoints/{head.tree_size}/cosignatures", json={"cosignature": line})
    if posted.status_code != 200:
        raise WitnessRefusedError(f"the registry did not take the cosignature ({posted.status_code}): {posted.text}")
    save_state(state, head)
    return head

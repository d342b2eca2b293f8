"""Signed tree heads (checkpoints) with an Ed25519 key.

The key comes from configuration as a file holding the raw 32-byte private key
in base64; when the file does not exist a key is generated there on first use
(for development: keep a production key out of the working directory).

Checkpoints are C2SP ``tlog-checkpoint`` bodies signed as C2SP signed notes
(``audit.checkpoints``, ``audit.note``). The first format, still verifiable, signed the bytes
``program-registry checkpoint v1\\n<size>\\n<root hex>\\n<timestamp>\\n`` (``Checkpoint``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit import note
from audit.note import Verifier

HEADER = "program-registry checkpoint v1"


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.tree_size, self.root_hash, self.timestamp)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def signed_bytes(tree_size: int, root_hash: str, timestamp: str) -> bytes:
    return f"{HEADER}\n{tree_size}\n{root_hash}\n{timestamp}\n".encode()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


class Signer:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        self.public = private.public_key()

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            seed = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            # Written whole to a temporary file, then linked into place: a process that loses the race
            # to create the key reads the winner's complete key, never a half-written file.
            spare = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")  # per process and thread
            spare.write_text(base64.b64encode(seed).decode() + "\n")
            spare.chmod(0o600)
            try:
                os.link(spare, path)
            except FileExistsError:
                pass
            finally:
                spare.unlink()
        return cls(Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip())))

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    @property
    def public_key(self) -> str:
        return base64.b64encode(_raw(self.public)).decode()

    def verifier(self, name: str) -> Verifier:
        """The signed-note verifier key of this key under ``name`` (the log's origin)."""
        return Verifier(name, _raw(self.public))

    def sign_note(self, text: str, name: str) -> str:
        return note.sign(text, name, self.private)

    def sign(self, tree_size: int, root_hash: str, timestamp: str) -> Checkpoint:
        signature = self.private.sign(signed_bytes(tree_size, root_hash, timestamp))
        return Checkpoint(tree_size, root_hash, timestamp, key_id(self.public), base64.b64encode(signature).decode())


def signature_valid(checkpoint: Checkpoint, public_key: str) -> bool:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_bytes())
    except InvalidSignature:
        return False
    return True

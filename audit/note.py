"""C2SP signed notes (Ed25519) and tlog cosignatures: sign, parse and verify, in the published formats.

A note is UTF-8 text ending in a newline, a blank line, then one line per
signature: ``— <key name> <base64(4-byte key hash || signature)>``. An Ed25519
key's hash is the first four bytes of SHA-256(name || "\\n" || 0x01 || public key)
and its signature covers the text. A verifier key is written
``<name>+<key hash hex>+<base64(0x01 || public key)>`` (c2sp.org/signed-note).

A witness cosignature (c2sp.org/tlog-cosignature) uses algorithm byte 0x04: the
key hash covers 0x04 instead of 0x01, and the signature line holds
key hash || 8-byte big-endian timestamp || Ed25519 over
``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE = 0x04
DASH = "\u2014 "


class NoteError(ValueError):
    """A note, a key or a signature line that is not well formed."""


def key_hash(name: str, algorithm: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public).digest()[:4]


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A named public key that checks note signatures (``algorithm`` 0x01) or cosignatures (0x04)."""

    name: str
    public: bytes
    algorithm: int = ED25519

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, self.algorithm, self.public)

    def encoded(self) -> str:
        return f"{self.name}+{self.hash.hex()}+{base64.b64encode(bytes([self.algorithm]) + self.public).decode()}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """A verifier key string ``name+hash+base64``, checked against its own key hash."""
        parts = text.strip().split("+", 2)  # the base64 key may itself hold a "+"
        if len(parts) != 3 or not parts[0] or len(parts[1]) != 8:
            raise NoteError(f"{text!r} is not a verifier key (name+hash+key)")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError(f"{text!r} does not hold a base64 key") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
            raise NoteError(f"{text!r} is not an Ed25519 key")
        verifier = cls(parts[0], raw[1:], raw[0])
        if verifier.hash.hex() != parts[1].lower():
            raise NoteError(f"{text!r}: the key hash does not match the key")
        return verifier

    def key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public)


def signer_key(name: str, seed: bytes) -> str:
    """The private key string Go's ``note.NewSigner`` reads: ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``."""
    public = raw_public(Ed25519PrivateKey.from_private_bytes(seed).public_key())
    encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{key_hash(name, ED25519, public).hex()}+{encoded}"


def parse_signer_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a PRIVATE+KEY+name+hash+key signer key")
    try:
        raw = base64.b64decode(parts[4], validate=True)
    except binascii.Error:
        raise NoteError("the signer key is not base64") from None
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("not an Ed25519 signer key")
    private = Ed25519PrivateKey.from_private_bytes(raw[1:])
    if key_hash(parts[2], ED25519, raw_public(private.public_key())).hex() != parts[3]:
        raise NoteError("the signer key's hash does not match the key")
    return parts[2], private


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("a note's text is non-empty lines, each ending in a newline")


def signature_line(name: str, signature: bytes) -> str:
    return f"{DASH}{name} {base64.b64encode(signature).decode()}\n"


def sign(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """The signed note: the text, a blank line and this key's signature line."""
    _check_text(text)
    tag = key_hash(name, ED25519, raw_public(private.public_key()))
    return text + "\n" + signature_line(name, tag + private.sign(text.encode()))


@dataclass(frozen=True)
class Signature:
    name: str
    hash: bytes
    signature: bytes  # after the key hash


def split(note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of a note, or NoteError."""
    text, blank, lines = note.rpartition("\n\n")
    if not blank or not note.endswith("\n"):
        raise NoteError("a note is its text, a blank line and signature lines")
    text += "\n"
    _check_text(text)
    signatures = []
    for line in lines.removesuffix("\n").split("\n"):
        name, space, encoded = line.removeprefix(DASH).rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"signature line {line!r} is not base64") from None
        if not line.startswith(DASH) or not space or not name or " " in name or len(raw) < 5:
            raise NoteError(f"{line!r} is not a signature line")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    return text, signatures


def verified(note: str, verifier: Verifier) -> str:
    """The note's text if it carries a valid signature by ``verifier``; NoteError otherwise."""
    text, signatures = split(note)
    for found in signatures:
        if found.name == verifier.name and found.hash == verifier.hash:
            try:
                verifier.key().verify(found.signature, text.encode())
            except InvalidSignature:
                raise NoteError(f"invalid signature for key {verifier.name}+{verifier.hash.hex()}") from None
            return text
    raise NoteError(f"the note carries no signature by {verifier.name}+{verifier.hash.hex()}")


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, private: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature line over a checkpoint's text (c2sp.org/tlog-cosignature)."""
    tag = key_hash(name, COSIGNATURE, raw_public(private.public_key()))
    signature = private.sign(cosigned_message(text, timestamp))
    return signature_line(name, tag + struct.pack(">Q", timestamp) + signature)


def cosignature_valid(text: str, line: str, verifier: Verifier) -> bool:
    """Whether ``line`` is ``verifier``'s cosignature over the checkpoint ``text``."""
    try:
        _, (found,) = split(text + "\n" + line.rstrip("\n") + "\n")
    except (NoteError, ValueError):
        return False
    if found.name != verifier.name or found.hash != verifier.hash or len(found.signature) != 72:
        return False
    (timestamp,) = struct.unpack(">Q", found.signature[:8])
    try:
        verifier.key().verify(found.signature[8:], cosigned_message(text, timestamp))
    except InvalidSignature:
        return False
    return True

"""Signed notes and checkpoints in the C2SP formats, held to the published test vectors of Go's reference.

The key, text and signed note below are copied from golang.org/x/mod/sumdb/note
(``note_test.go``: TestNewVerifier, TestNewSigner, TestSign), the implementation
the C2SP signed-note specification was written from.
"""

from __future__ import annotations

import base64

import pytest

from audit import merkle
from audit.checkpoints import CheckpointError, Head, parse_body
from audit.note import (
    COSIGNATURE,
    NoteError,
    Verifier,
    cosign,
    cosignature_valid,
    parse_signer_key,
    sign,
    signer_key,
    verified,
)

GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNED = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signing_the_published_text_with_the_published_key_gives_the_published_note() -> None:
    name, private = parse_signer_key(GO_SIGNER_KEY)
    assert sign(GO_TEXT, name, private) == GO_SIGNED
    assert verified(GO_SIGNED, Verifier.parse(GO_VERIFIER_KEY)) == GO_TEXT


def test_the_published_keys_parse_and_encode_back_and_a_mangled_one_is_refused() -> None:
    verifier = Verifier.parse(GO_VERIFIER_KEY)
    assert verifier.encoded() == GO_VERIFIER_KEY and verifier.hash.hex() == "c74f20a3"
    _, private = parse_signer_key(GO_SIGNER_KEY)
    seed = private.private_bytes_raw()
    assert signer_key("PeterNeumann", seed) == GO_SIGNER_KEY
    for bad in (GO_VERIFIER_KEY[:-2], GO_VERIFIER_KEY.replace("c74f20a3", "c74f20a4"), "PeterNeumann+c74f20a3"):
        with pytest.raises(NoteError):
            Verifier.parse(bad)


def test_a_changed_text_or_signature_does_not_verify() -> None:
    verifier = Verifier.parse(GO_VERIFIER_KEY)
    for forged in (GO_SIGNED.replace("problem,", "problem;"), GO_SIGNED.replace("x08go", "x08gp")):
        with pytest.raises(NoteError):
            verified(forged, verifier)


def test_a_checkpoint_signed_with_the_published_key_verifies_with_the_published_verifier_key() -> None:
    name, private = parse_signer_key(GO_SIGNER_KEY)
    head = Head(name, 8, merkle.root([merkle.leaf_hash(bytes([i])) for i in range(8)]))
    note = sign(head.body(), name, private)
    assert parse_body(verified(note, Verifier.parse(GO_VERIFIER_KEY))) == head
    assert note.startswith("PeterNeumann\n8\n" + base64.b64encode(head.root).decode() + "\n\n— PeterNeumann ")


def test_malformed_checkpoint_bodies_are_refused() -> None:
    for body in ("origin\n8\n", "origin\n08\nAAAA\n", "origin\n-1\n" + "A" * 44 + "\n", "origin\n8\nnot base64!\n"):
        with pytest.raises(CheckpointError):
            parse_body(body)


def test_a_cosignature_verifies_only_for_its_checkpoint_and_key() -> None:
    name, private = parse_signer_key(GO_SIGNER_KEY)
    text = Head("registry", 3, bytes(32)).body()
    witness = Verifier(name, private.public_key().public_bytes_raw(), COSIGNATURE)
    line = cosign(text, name, private, 1_700_000_000)
    assert cosignature_valid(text, line, witness)
    assert not cosignature_valid(Head("registry", 4, bytes(32)).body(), line, witness)
    assert not cosignature_valid(text, line, Verifier(name, witness.public))  # a note key is not a witness key

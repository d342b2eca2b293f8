"""Integrity an auditor can check: a hash chain per stream and a Merkle log over all events.

The chain itself (the canonical encoding of a stored event, its hash, the links
written beside each event) is the event store's: ``eventstore.chain``.

log.py      the chain links read back from the store, as Merkle leaves
merkle.py   RFC 9162 tree hashes, inclusion and consistency proofs
signing.py  Ed25519 signed tree heads (checkpoints)
verify.py   recompute everything from the raw store and name the first bad event
"""

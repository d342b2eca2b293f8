"""Integrity an auditor can check: a hash chain per stream and a Merkle log over all events.

chain.py    the canonical encoding of a stored event, its hash, and the per-stream chain
            recorded beside each event in the same transaction
merkle.py   RFC 9162 tree hashes, inclusion and consistency proofs
signing.py  Ed25519 signed tree heads (checkpoints)
verify.py   recompute everything from the raw store and name the first bad event
"""

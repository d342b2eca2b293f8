"""Integrity an auditor can check: a hash chain per stream and a Merkle log over all events.

The chain itself (the canonical encoding of a stored event, its hash, the links
written beside each event) is the event store's: ``eventstore.chain``; so is the
table of stored checkpoints (``eventstore.checkpoints``).

log.py          the chain links read back from the store, as Merkle leaves
merkle.py       RFC 9162 tree hashes, inclusion and consistency proofs and their verification
note.py         C2SP signed notes (Ed25519) and tlog cosignatures
signing.py      the signing key; the first checkpoint format, still verifiable
checkpoints.py  C2SP tlog-checkpoint bodies, signed and stored every N events or T seconds
verify.py       recompute everything from the raw store and the stored checkpoints; name the first bad event
receipts.py     one event's hashed bytes, and a receipt that verifies offline
transfer.py     export and import with every hash and signed checkpoint checked
witness.py      a witness: check a new checkpoint extends the last one seen, cosign it
"""

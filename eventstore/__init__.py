"""The event store: the eventsourcing library's recorders for PostgreSQL, SQLite and memory, extended.

Each recorder writes every event's hash-chain link in the same transaction as the event.

environment.py  the library's environment for a database URL (which recorder, pool sizes, timeouts)
chain.py        the canonical encoding of a stored event, its hash, and the links chaining a stream
postgres.py     the PostgreSQL recorder (a save is one statement) and its factory
append.py       the PL/pgSQL function behind that one statement
pool.py         the PostgreSQL connection pool: passive pre-ping, connections reused warm
shims.py        the two places the libraries offer no hook, pinned to the versions they fit
sqlite.py       the SQLite recorder
memory.py       the in-memory recorder and its factory
transcoder.py   the library's JSON transcoder, decoding with orjson
locate.py       the log positions of stored events, in each store
scan.py         the whole log and chain as plain tuples (audit verify); events read ahead (bulk builds)
bulk.py         a checked log loaded into an empty PostgreSQL store by COPY, in one transaction (import)
"""

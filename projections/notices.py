"""The notices that announce changes to the read models' state, sent by triggers (PostgreSQL).

Whatever writes a read model's tracking position, a failure or a stored
document — the API applying events inline, ``registry projections run``, a
rebuild's switch, the CLI — writes it through these tables, so a trigger on
each sends a notice on ``NOTICE_CHANNEL`` in the writer's own transaction,
delivered when it commits; nothing in the writers changes. Revocations are
announced by the event store's own trigger (``eventstore.revocations``). A
process's watcher listens (``projections.watch``).

Notices (payloads): ``position N NAME`` (a read model reached N),
``positions`` (tracking rows deleted: read them again), ``failures`` (read
them again), ``document CODE`` (that programme's document was written),
``documents`` (documents deleted: forget them all), ``revoked N`` (N keys
revoked so far).
"""

from __future__ import annotations

import re

from eventstore.revocations import NOTICE_CHANNEL, REVOKED_NOTICE
from projections.db import Database
from projections.documents import TABLE as DOCUMENTS

__all__ = ["ALL_DOCUMENTS", "DDL", "DOCUMENT", "FAILURES", "NOTICE_CHANNEL", "POSITION", "REVOKED_NOTICE", "install"]

TRIGGER_NAME = re.compile(r"CREATE OR REPLACE TRIGGER (\w+)")
POSITION, FAILURES, DOCUMENT, ALL_DOCUMENTS = "position", "failures", "document", "documents"
DDL = [
    "CREATE OR REPLACE FUNCTION registry_notice_position() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN"
    f" PERFORM pg_notify('{NOTICE_CHANNEL}', '{POSITION} ' || NEW.position || ' ' || NEW.name); RETURN NULL;"
    " END $body$",
    "CREATE OR REPLACE TRIGGER registry_notice_position AFTER INSERT OR UPDATE ON projection_tracking"
    " FOR EACH ROW EXECUTE FUNCTION registry_notice_position()",
    "CREATE OR REPLACE FUNCTION registry_notice_document() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN"
    f" PERFORM pg_notify('{NOTICE_CHANNEL}', '{DOCUMENT} ' || NEW.program_code); RETURN NULL; END $body$",
    f"CREATE OR REPLACE TRIGGER registry_notice_document AFTER INSERT OR UPDATE ON {DOCUMENTS}"
    " FOR EACH ROW EXECUTE FUNCTION registry_notice_document()",
    # Statement-level: a notice says only what to read again (or, for documents, to forget them all).
    *(
        f"CREATE OR REPLACE FUNCTION registry_notice_{kind}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN"
        f" PERFORM pg_notify('{NOTICE_CHANNEL}', '{kind}'); RETURN NULL; END $body$"
        for kind in ("positions", FAILURES, ALL_DOCUMENTS)
    ),
    "CREATE OR REPLACE TRIGGER registry_notice_positions AFTER DELETE OR TRUNCATE ON projection_tracking"
    " FOR EACH STATEMENT EXECUTE FUNCTION registry_notice_positions()",
    "CREATE OR REPLACE TRIGGER registry_notice_failures AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
    " ON projection_failures FOR EACH STATEMENT EXECUTE FUNCTION registry_notice_failures()",
    f"CREATE OR REPLACE TRIGGER registry_notice_documents AFTER DELETE OR TRUNCATE ON {DOCUMENTS}"
    " FOR EACH STATEMENT EXECUTE FUNCTION registry_notice_documents()",
]


def install(db: Database) -> None:
    """The triggers that announce changes to the read models' state (PostgreSQL only; SQLite has no listeners).

    A trigger already there is left alone: creating one locks its table against
    writers, and every process runs this as it starts, often while a runner
    writes those tables (see ``schema.install``). A trigger whose definition
    changes therefore takes a new name; its function is replaced every time.
    """
    if db.dialect != "postgres":
        return
    with db.transaction() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('registry_notice_triggers'))")  # two processes at once
        cur.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'registry_notice_%%' AND NOT tgisinternal")
        present = {row["tgname"] for row in cur.fetchall()}
        for statement in DDL:
            trigger = TRIGGER_NAME.match(statement)
            if trigger is None or trigger.group(1) not in present:
                cur.execute(statement)

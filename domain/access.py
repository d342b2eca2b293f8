"""API keys and roles: who may read, record decisions or administer the registry.

A key is issued and revoked through events like every other decision, so the
audit trail shows who could act and when. The secret itself is never stored:
``rk_<key id>_<random>`` is shown once, and the stream keeps only its SHA-256.
The key id inside the secret locates the key's stream directly (a deterministic
stream id), so authenticating reads the event store — never a lagging read
model — and a revocation takes effect on the next request in every process.

Roles: ``admin`` opens programmes and manages keys and may do everything a
``recorder`` does; a ``recorder`` records decisions; an ``auditor`` reads.

The active admin keys are also kept in one stream of their own, the roster
(``AdminRoster``): every issue and revocation of an admin key changes it in the
same atomic save as the key. Two revocations decided at once therefore write the
roster's same next version, and the store refuses the second: it is decided
again on the first one's outcome, so the last active admin key is never revoked,
however many processes revoke at once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.events import DecisionEvent
from domain.values import Stamp, text

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/api-key")
ROLES = ("admin", "recorder", "auditor")
ROSTER_ID = uuid5(NAMESPACE, "admin-roster")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The key id embedded in a secret of the form ``rk_<key id>_<random>``, if well formed."""
    prefix, _, rest = secret.partition("_")
    key_id, _, token = rest.partition("_")
    if prefix != "rk" or not key_id.isalnum() or len(key_id) != 12 or len(token) < 20:
        return None
    return key_id


@dataclass(frozen=True)
class Principal:
    """The authenticated caller; ``label`` is what events record as their actor."""

    key_id: str
    name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.role}:{self.name} (key {self.key_id})"

    def may(self, role: str) -> bool:
        allowed = {"admin": {"admin"}, "recorder": {"admin", "recorder"}, "auditor": set(ROLES)}
        return self.role in allowed[role]


class ApiKey(Aggregate):
    TOPIC = "registry:ApiKey"

    class Event(DecisionEvent):
        pass

    class Issued(Event, Aggregate.Created):
        TOPIC = "registry:ApiKeyIssued"
        key_id: str
        name: str
        role: str
        secret_sha256: str

        def apply(self, key: ApiKey) -> None:
            key.key_id, key.name, key.role = self.key_id, self.name, self.role
            key.secret_sha256 = self.secret_sha256
            key.revoked = False

    Created = Issued  # the library looks for a creation event under this name

    class Revoked(Event):
        TOPIC = "registry:ApiKeyRevoked"

        def apply(self, key: ApiKey) -> None:
            key.revoked = True

    if TYPE_CHECKING:
        key_id: str
        name: str
        role: str
        secret_sha256: str
        revoked: bool

    @staticmethod
    def id_for(key_id: str) -> UUID:
        return uuid5(NAMESPACE, key_id)

    @classmethod
    def issue(cls, stamp: Stamp, *, key_id: str, name: str, role: str, secret_sha256: str) -> ApiKey:
        if role not in ROLES:
            raise errors.InvalidValueError(f"role must be one of {', '.join(ROLES)}")
        return cls._create(
            cls.Issued,
            id=cls.id_for(key_id),
            key_id=key_id,
            name=text(name, "key name", limit=100),
            role=role,
            secret_sha256=secret_sha256,
            **stamp.event_fields(),
        )

    def revoke(self, stamp: Stamp) -> None:
        if not self.revoked:
            self.trigger_event(self.Revoked, **stamp.event_fields())

    def matches(self, secret: str) -> bool:
        return not self.revoked and hmac.compare_digest(self.secret_sha256, secret_hash(secret))

    @property
    def principal(self) -> Principal:
        return Principal(self.key_id, self.name, self.role)


class AdminRoster(Aggregate):
    """The ids of the active admin keys, in one stream whose version every admin key's issue and revocation moves.

    A log recorded before the roster existed has none: it is started, when an
    admin key is first issued or revoked, from the log's key events
    (``Registry``), and two processes starting it at once conflict like any two
    writers of one stream.
    """

    TOPIC = "registry:AdminRoster"

    class Event(DecisionEvent):
        pass

    class Started(Event, Aggregate.Created):
        TOPIC = "registry:AdminRosterStarted"
        admins: list[str]  # the active admin keys when the roster was started, sorted

        def apply(self, roster: AdminRoster) -> None:
            roster.admins = set(self.admins)

    Created = Started  # the library looks for a creation event under this name

    class Admitted(Event):
        TOPIC = "registry:AdminKeyAdmitted"
        key_id: str

        def apply(self, roster: AdminRoster) -> None:
            roster.admins.add(self.key_id)

    class Dismissed(Event):
        TOPIC = "registry:AdminKeyDismissed"
        key_id: str

        def apply(self, roster: AdminRoster) -> None:
            roster.admins.discard(self.key_id)

    if TYPE_CHECKING:
        admins: set[str]

    @classmethod
    def start(cls, stamp: Stamp, *, admins: Iterable[str]) -> AdminRoster:
        return cls._create(cls.Started, id=ROSTER_ID, admins=sorted(admins), **stamp.event_fields())

    def admit(self, stamp: Stamp, key_id: str) -> None:
        self.trigger_event(self.Admitted, key_id=key_id, **stamp.event_fields())

    def dismiss(self, stamp: Stamp, key_id: str) -> None:
        """Take an admin key off the roster; never the last one, which would leave nobody able to manage keys."""
        if key_id not in self.admins:
            return
        if self.admins == {key_id}:
            raise errors.LastAdminKeyError(
                f"key {key_id!r} is the last active admin key; issue another admin key before revoking it"
            )
        self.trigger_event(self.Dismissed, key_id=key_id, **stamp.event_fields())


KEY_EVENTS = (ApiKey.Event, AdminRoster.Event)
"""Events about access, not about a programme: no read model reads them."""
KEY_EVENT_TOPICS = frozenset(
    cls.TOPIC
    for cls in (ApiKey.Issued, ApiKey.Revoked, AdminRoster.Started, AdminRoster.Admitted, AdminRoster.Dismissed)
)

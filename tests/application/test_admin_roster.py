"""The last active admin key is never revoked, even when revocations race (on the in-memory store).

Every issue and revocation of an admin key also changes the roster of active admin
keys (``AdminRoster``) in the same save, so of two revocations decided at once the
second conflicts on the roster's version and is decided again on the first's outcome.
A log recorded before the roster existed starts it from its key events.
"""

from __future__ import annotations

import pytest

from api.bootstrap import Services
from domain import errors
from domain.access import ROSTER_ID, AdminRoster, ApiKey, secret_hash
from domain.commands import IssueKey, RevokeKey
from domain.registry import Registry
from domain.values import Stamp
from tests.application.story import ctx
from tests.application.test_concurrency import race
from tests.conftest import Clock


@pytest.fixture
def store() -> str:
    return "memory"


def issue(registry: Registry, clock: Clock, key_id: str, role: str = "admin") -> None:
    registry.issue_key(ctx(clock), IssueKey(key_id=key_id, name=key_id, role=role, secret=f"rk_{key_id}_secret"))


def revoke(registry: Registry, clock: Clock, key_id: str) -> None:
    registry.revoke_key(ctx(clock), RevokeKey(key_id=key_id))


def active(registry: Registry) -> set[str]:
    """The roster's admin keys, checked against the keys' own streams."""
    roster = registry._get(ROSTER_ID, AdminRoster)
    assert roster.admins == registry._active_admin_keys()
    return set(roster.admins)


def test_the_roster_refuses_to_dismiss_its_last_admin_key(clock: Clock) -> None:
    stamp = Stamp.make(actor="test", recorded_at=clock())
    roster = AdminRoster.start(stamp, admins=["a1", "a2"])
    roster.dismiss(stamp, "a1")
    roster.dismiss(stamp, "a1")  # no longer on it: nothing to record
    roster.dismiss(stamp, "r1")  # never on it (not an admin key): nothing to record
    with pytest.raises(errors.LastAdminKeyError):
        roster.dismiss(stamp, "a2")
    assert roster.admins == {"a2"}
    assert [type(e).__name__ for e in roster.collect_events()] == ["Started", "Dismissed"]


def test_of_two_racing_revocations_of_the_last_two_admin_keys_the_second_is_refused(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    issue(registry, clock, "a1")
    issue(registry, clock, "a2")
    issue(registry, clock, "r1", role="recorder")
    assert active(registry) == {"a1", "a2"}
    # a2's revocation is saved between a1's check (a2 still active) and a1's save
    rivals = race(monkeypatch, registry, lambda: revoke(registry, clock, "a2"))
    with pytest.raises(errors.LastAdminKeyError):
        revoke(registry, clock, "a1")
    assert len(rivals) == 1
    assert active(registry) == {"a1"}
    assert not registry._get(ApiKey.id_for("a1"), ApiKey).revoked
    revoke(registry, clock, "r1")  # other keys are revoked as before, without the roster
    assert registry._get(ROSTER_ID, AdminRoster).version == 4  # started, a1 and a2 admitted, a2 dismissed


def test_a_log_recorded_before_the_roster_starts_it_from_its_key_events(services: Services, clock: Clock) -> None:
    registry = services.registry
    stamp = Stamp.make(actor="test", recorded_at=clock())
    for key_id, role in [("a1", "admin"), ("a2", "admin"), ("a3", "admin"), ("r1", "recorder")]:
        registry.save(ApiKey.issue(stamp, key_id=key_id, name=key_id, role=role, secret_sha256=secret_hash(key_id)))
    old = registry._get(ApiKey.id_for("a3"), ApiKey)
    old.revoke(stamp)
    registry.save(old)  # as the code before the roster stored them: keys only
    assert ROSTER_ID not in registry.repository
    revoke(registry, clock, "a1")
    assert active(registry) == {"a2"}
    with pytest.raises(errors.LastAdminKeyError):
        revoke(registry, clock, "a2")
    issue(registry, clock, "a4")
    revoke(registry, clock, "a2")
    assert active(registry) == {"a4"}

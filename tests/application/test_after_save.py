"""What runs after a decision is saved: the registry's hooks, and the API's inline catch-up while it serves."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import Services, serving
from audit.log import MerkleLog
from domain.commands import IssueKey, SubmitApplication
from domain.registry import Recorded, Registry
from eventstore.environment import event_store_env
from tests.application.story import PROGRAM, ctx, open_programme
from tests.conftest import Clock


def application(team: str) -> SubmitApplication:
    return SubmitApplication(program_code=PROGRAM, team_code=team, name_ko=team, name_en=team, lead_organisation="L")


def behind(services: Services) -> bool:
    return min(services.projector.positions().values()) < services.projector.head()


def test_the_hooks_see_each_decision_and_its_replay_but_not_a_key(services: Services, clock: Clock) -> None:
    seen: list[Recorded] = []
    services.registry.after_save.append(seen.append)
    opened = open_programme(services.registry, clock)
    retried = replace(ctx(clock), idempotency_key="apply-once", fingerprint="same request")
    first = services.registry.submit_application(retried, application("hanbit"))
    again = services.registry.submit_application(retried, application("hanbit"))
    services.registry.issue_key(ctx(clock), IssueKey(key_id="k1", name="n", role="recorder", secret="rk_k1_s"))

    assert [r is o for r, o in zip(seen, (opened, first, again), strict=True)] == [True, True, True]
    assert [(len(r.events), r.replayed) for r in seen] == [(1, False), (1, False), (1, True)]


def test_while_serving_each_decision_updates_the_read_models(services: Services, clock: Clock) -> None:
    with serving(services):
        open_programme(services.registry, clock)
        services.registry.submit_application(ctx(clock), application("hanbit"))
        assert not behind(services)
    services.registry.submit_application(ctx(clock), application("nuri"))
    assert behind(services)  # outside the API the caller catches up when it chooses (the CLI does)


def test_two_apps_serving_the_same_services_run_each_hook_once(services: Services, clock: Clock) -> None:
    seen: list[Recorded] = []
    with serving(services, seen.append), serving(services, seen.append):
        open_programme(services.registry, clock)
        assert len(services.registry.after_save) == 4  # the hook, receipts, checkpoints, catch-up: once each
    assert len(seen) == 1
    assert services.registry.after_save == []


def test_decisions_finding_a_checkpoint_due_together_sign_it_once(
    services: Services, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One decision of the process signs; the others saved meanwhile leave it to that one and do not wait."""
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    issuer = services.issuer()
    opened = open_programme(services.registry, clock)  # the log is owed its first checkpoint
    signing, signed = threading.Event(), threading.Event()
    sizes: list[int | None] = []
    issue = issuer.issue

    def held_issue(size: int | None = None) -> Any:
        sizes.append(size)
        signing.set()
        signed.wait(10)  # held until every other decision has come and gone
        return issue(size)

    monkeypatch.setattr(issuer, "issue", held_issue)
    first = threading.Thread(target=issuer.after_save, args=(opened,))
    first.start()
    assert signing.wait(10)
    others = [threading.Thread(target=issuer.after_save, args=(opened,)) for _ in range(7)]
    for other in others:
        other.start()
    for other in others:
        other.join(10)
    assert not any(other.is_alive() for other in others) and first.is_alive()  # none waited for the signer
    signed.set()
    first.join(10)
    assert len(sizes) == 1
    last = issuer.table.last()
    assert last is not None and last.tree_size == sizes[0]


def test_a_checkpoint_found_due_while_another_decision_signs_is_signed_when_it_is_done(
    services: Services, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signer looks at the log again once done: a decision that left a due checkpoint to it is not forgotten."""
    services.settings = services.settings.model_copy(update={"signing_key_file": tmp_path / "signing.key"})
    issuer = services.issuer()
    opened = open_programme(services.registry, clock)
    looking, go = threading.Event(), threading.Event()
    looked: list[int] = []
    due = issuer.due

    def held_due(size: int) -> bool:
        looked.append(size)
        if len(looked) > 1:
            return due(size)
        looking.set()
        go.wait(10)
        return False  # as a signer finds the log before a later decision's append makes a checkpoint due

    monkeypatch.setattr(issuer, "due", held_due)
    first = threading.Thread(target=issuer.after_save, args=(opened,))
    first.start()
    assert looking.wait(10)
    issuer.after_save(opened)  # finds one due, and leaves it to the first, which holds the signing
    assert issuer.table.last() is None
    go.set()
    first.join(10)
    last = issuer.table.last()
    assert len(looked) == 2 and last is not None and last.tree_size == MerkleLog(services.registry).size()


def test_a_registry_refuses_settings_its_lean_save_would_ignore(services: Services, clock: Clock) -> None:
    """``DecisionService.save`` skips the library's snapshots and its put into a cache that does not
    fast-forward: a registry configured for either is refused rather than silently not doing it."""
    env = event_store_env("memory://", pool_size=1, timeout=1)
    Registry(env, clock=clock).close()  # as configured: accepted
    for extra in ({"IS_SNAPSHOTTING_ENABLED": "y"}, {"AGGREGATE_CACHE_FASTFORWARD": "n"}):
        with pytest.raises(ValueError, match="saves without snapshots and with a fast-forward cache"):
            Registry({**env, **extra}, clock=clock)

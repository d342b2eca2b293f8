"""What runs after a decision is saved: the registry's hooks, and the API's inline catch-up while it serves."""

from __future__ import annotations

from dataclasses import replace

from api.bootstrap import Services, serving
from domain.commands import IssueKey, SubmitApplication
from domain.registry import Recorded
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

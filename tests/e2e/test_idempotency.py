"""Retries and races: an Idempotency-Key records once; If-Match refuses a stale write.

The receipt for an idempotency key is saved in the same transaction as the
decision, so these hold under concurrency too: identical requests in flight at
once produce one set of events and identical answers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.depth import examples
from tests.e2e.conftest import Api, P

# Two hundred retries where it counts, on PostgreSQL (a thousand in `make test-long`); each retry is a
# separate, sequential check of the same receipt lookup, so a hundred prove the same on the other stores.
RETRIED = {"memory": 100, "sqlite": 100, "postgres": examples(200, 1000)}


def application(code: str) -> dict[str, Any]:
    return {"team_code": code, "name_ko": f"{code} 팀", "name_en": code, "lead_organisation": f"{code} Inc."}


def count(services: Services, event_type: str) -> int:
    with services.db.transaction(write=False) as cur:
        cur.execute("SELECT COUNT(*) AS n FROM history_events WHERE event_type = %s", (event_type,))
        row = cur.fetchone()
    assert row is not None
    return int(row["n"])


def test_each_retried_request_records_exactly_once(api: Api, services: Services, store: str) -> None:
    api.open_program()
    for i in range(RETRIED[store]):
        headers = {"Idempotency-Key": f"apply-{i}"}
        first = api.client.post(f"/programs/{P}/teams", json=application(f"T{i}"), headers=headers)
        again = api.client.post(f"/programs/{P}/teams", json=application(f"T{i}"), headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert first.json() == again.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    assert count(services, "ApplicationSubmitted") == RETRIED[store]


def test_identical_requests_in_flight_at_once_record_one_decision(api: Api, services: Services) -> None:
    api.open_program(budgets={"gpu:B200": 1000})
    api.apply("A")
    api.team("A", "advancements", {"to_stage": 0})
    head = services.projector.head()
    grant = {"resource": "gpu:B200", "quantity": 7, "period_start": "2026-01-01", "period_end": "2026-06-30"}

    def send(_: int) -> tuple[int, Any]:
        response = api.client.post(f"/programs/{P}/teams/A/grants", json=grant, headers={"Idempotency-Key": "g-1"})
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, range(20)))
    assert {status for status, _ in answers} == {201}
    assert all(body == answers[0][1] for _, body in answers)
    assert [e["type"] for e in answers[0][1]["events"]] == ["FundingGranted", "FundsCommitted"]
    assert services.projector.head() == head + 3  # the grant, the programme's commitment, the receipt
    funding = api.client.get(f"/programs/{P}/funding").json()
    assert funding["budgets"][0]["allocated"] == 7


def test_the_same_key_with_a_different_body_is_refused(api: Api, services: Services) -> None:
    api.open_program()
    headers = {"Idempotency-Key": "same-key"}
    assert api.client.post(f"/programs/{P}/teams", json=application("A"), headers=headers).status_code == 201
    head = services.projector.head()
    response = api.client.post(f"/programs/{P}/teams", json=application("B"), headers=headers)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert services.projector.head() == head


def test_keys_are_scoped_to_the_caller(api: Api, services: Services, client: TestClient) -> None:
    """Two callers using the same key string do not see each other's answers."""
    from api.keys import create_key

    api.open_program()
    other = create_key(services, name="other", role="recorder", actor="test")
    headers = {"Idempotency-Key": "shared"}
    assert api.client.post(f"/programs/{P}/teams", json=application("A"), headers=headers).status_code == 201
    response = client.post(
        f"/programs/{P}/teams", json=application("B"), headers={**headers, "Authorization": f"Bearer {other.secret}"}
    )
    assert response.status_code == 201
    assert [e["data"]["team_code"] for e in response.json()["events"]] == ["B"]


def test_if_match_with_the_current_etag_records_and_a_stale_one_is_412(api: Api, services: Services) -> None:
    api.open_program()
    api.apply("A")
    etag = api.client.get(f"/programs/{P}/teams/A").headers["ETag"]
    change = {"joined": ["KAIST"]}
    first = api.client.post(f"/programs/{P}/teams/A/consortium-changes", json=change, headers={"If-Match": etag})
    assert first.status_code == 201, first.text
    new_etag = api.client.get(f"/programs/{P}/teams/A").headers["ETag"]
    assert new_etag != etag
    head = services.projector.head()
    stale = api.client.post(
        f"/programs/{P}/teams/A/consortium-changes", json={"joined": ["POSTECH"]}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/precondition-failed"
    assert services.projector.head() == head


def test_if_match_guards_programme_decisions_with_the_programme_etag(api: Api, services: Services) -> None:
    api.open_program()
    etag = api.client.get(f"/programs/{P}").headers["ETag"]
    body = {"resource": "gpu:B200", "amount": 10}
    assert api.client.post(f"/programs/{P}/budget-increases", json=body, headers={"If-Match": etag}).status_code == 201
    head = services.projector.head()
    stale = api.client.post(f"/programs/{P}/budget-increases", json=body, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert services.projector.head() == head


def test_a_retry_whose_decision_the_records_now_refuse_still_gets_the_first_answer(
    api: Api, services: Services
) -> None:
    """The retry is decided before its receipt is read; the refusal must not reach the caller."""
    api.open_program()
    api.apply("A")
    headers = {"Idempotency-Key": "advance-a"}
    first = api.client.post(f"/programs/{P}/teams/A/advancements", json={"to_stage": 0}, headers=headers)
    head = services.projector.head()
    again = api.client.post(f"/programs/{P}/teams/A/advancements", json={"to_stage": 0}, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    unkeyed = api.client.post(f"/programs/{P}/teams/A/advancements", json={"to_stage": 0})
    assert unkeyed.status_code >= 400  # without the key, the same decision is refused by the records
    assert services.projector.head() == head

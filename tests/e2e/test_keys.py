"""Keys over HTTP: a retried issue mints nothing new, and the last admin key cannot be revoked."""

from __future__ import annotations

from api.bootstrap import Services
from api.keys import NewKey, list_keys
from tests.e2e.conftest import Api, assert_problem


def test_a_retry_with_the_same_idempotency_key_issues_no_second_key(api: Api, services: Services) -> None:
    before = len(list_keys(services))
    first = api.post("/keys", {"name": "ops", "role": "recorder"}, **{"Idempotency-Key": "issue-ops-1"})
    assert first.status_code == 201, first.text
    assert first.json()["secret"].startswith("rk_")
    again = api.post("/keys", {"name": "ops", "role": "recorder"}, **{"Idempotency-Key": "issue-ops-1"})
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == {**first.json(), "secret": None}
    assert len(list_keys(services)) == before + 1
    other = api.post("/keys", {"name": "ops", "role": "admin"}, **{"Idempotency-Key": "issue-ops-1"})
    assert_problem(other, 422, "idempotency-key-reused")
    assert len(list_keys(services)) == before + 1


def test_the_last_active_admin_key_cannot_be_revoked(api: Api, services: Services, admin_key: NewKey) -> None:
    recorder = api.post("/keys", {"name": "clerk", "role": "recorder"})
    assert recorder.status_code == 201
    assert api.client.post(f"/keys/{recorder.json()['key_id']}/revocation").status_code == 204
    head = services.projector.head()
    refused = api.client.post(f"/keys/{admin_key.key_id}/revocation")
    assert_problem(refused, 409, "last-admin-key")
    assert services.projector.head() == head
    assert api.get("/keys")[0]["revoked_at"] is None
    second = api.post("/keys", {"name": "deputy", "role": "admin"}).json()
    assert api.client.post(f"/keys/{admin_key.key_id}/revocation").status_code == 204
    deputy = {"Authorization": f"Bearer {second['secret']}"}
    assert_problem(api.client.post(f"/keys/{second['key_id']}/revocation", headers=deputy), 409, "last-admin-key")

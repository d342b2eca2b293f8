"""Hand-written hostile input: each answered with a problem, nothing written.

Oversized bodies, bytes that are not UTF-8, NaN, integers too large for any
column, timestamps without a time zone, and JSON objects that name a key twice
(parsers disagree on which value wins, so a system of record must refuse them).
"""

from __future__ import annotations

import orjson

from api.bootstrap import Services
from tests.e2e.conftest import Api, P

JSON = {"content-type": "application/json"}


def refused(api: Api, services: Services, path: str, content: bytes, status: int, code: str) -> None:
    head = services.projector.head()
    response = api.client.post(path, content=content, headers=JSON)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{code}"
    assert services.projector.head() == head


def test_a_body_over_the_limit_is_413(api: Api, services: Services) -> None:
    api.open_program()
    limit = services.settings.max_body_bytes
    body = b'{"team_code": "A", "name_ko": "' + b"x" * limit + b'"}'
    refused(api, services, f"/programs/{P}/teams", body, 413, "payload-too-large")


def test_bytes_that_are_not_utf8_are_422(api: Api, services: Services) -> None:
    api.open_program()
    body = b'{"team_code": "A", "name_ko": "\xff\xfe", "name_en": "A", "lead_organisation": "L"}'
    refused(api, services, f"/programs/{P}/teams", body, 422, "invalid-request")


def test_nan_and_infinity_are_422(api: Api, services: Services) -> None:
    api.open_program()
    api.apply("A")
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"stage": 0, "scores": {"benchmark": ' + literal + b', "expert": 1, "user": 1}}'
        refused(api, services, f"/programs/{P}/teams/A/evaluations", body, 422, "invalid-request")


def test_integers_beyond_any_column_are_422(api: Api, services: Services) -> None:
    api.open_program()
    api.apply("A")
    api.team("A", "advancements", {"to_stage": 0})
    body = (
        b'{"resource": "gpu:B200", "quantity": 1'
        + b"0" * 40
        + b', "period_start": "2026-01-01", "period_end": "2026-02-01"}'
    )
    refused(api, services, f"/programs/{P}/teams/A/grants", body, 422, "invalid-request")
    body = b'{"resource": "gpu:B200", "amount": 99999999999999999999}'
    refused(api, services, f"/programs/{P}/budget-increases", body, 422, "invalid-request")


def test_timestamps_without_a_time_zone_are_422(api: Api, services: Services) -> None:
    api.open_program()
    api.apply("A")
    body = b'{"to_stage": 0, "effective_at": "2026-01-02T10:00:00"}'
    refused(api, services, f"/programs/{P}/teams/A/advancements", body, 422, "invalid-request")


def test_a_key_named_twice_is_422(api: Api, services: Services) -> None:
    api.open_program()
    body = b'{"team_code": "A", "team_code": "B", "name_ko": "K", "name_en": "E", "lead_organisation": "L"}'
    refused(api, services, f"/programs/{P}/teams", body, 422, "invalid-request")
    nested = b'{"stage": 0, "scores": {"benchmark": 1, "benchmark": 40, "expert": 1, "user": 1}}'
    api.apply("A")
    refused(api, services, f"/programs/{P}/teams/A/evaluations", nested, 422, "invalid-request")


def test_a_key_named_twice_is_422_however_the_media_type_is_spelt(api: Api, services: Services) -> None:
    api.open_program()
    body = b'{"team_code": "A", "team_code": "B", "name_ko": "K", "name_en": "E", "lead_organisation": "L"}'
    head = services.projector.head()
    for spelling in ("Application/JSON", "APPLICATION/json; charset=UTF-8", "application/merge-patch+json", ""):
        response = api.client.post(f"/programs/{P}/teams", content=body, headers={"content-type": spelling})
        assert response.status_code == 422, (spelling, response.text)
        assert response.json()["type"] == "/problems/invalid-request"
    assert services.projector.head() == head


def test_deep_nesting_is_422_with_a_request_id_even_without_a_key(api: Api, services: Services) -> None:
    api.open_program()
    head = services.projector.head()
    for depth in (33, 1_000, 100_000):
        for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            response = api.client.post("/programs", content=body, headers={**JSON, "authorization": ""})
            assert response.status_code == 422, response.text
            assert "deeper than 32 levels" in response.json()["detail"]
            assert response.headers["x-request-id"]
    assert services.projector.head() == head


def test_many_brackets_shallowly_nested_are_no_depth_refusal(api: Api) -> None:
    """Depth is scanned for only in bodies with more brackets than the limit; such a body may still be shallow."""
    api.open_program()
    members = [f"member {n}" for n in range(40)]
    response = api.client.post(
        f"/programs/{P}/teams",
        content=orjson.dumps(
            {
                "team_code": "A",
                "name_ko": "K",
                "name_en": "E",
                "lead_organisation": "L",
                "members": members,
                "reason": "[" * 40 + "{" * 40,
            }
        ),
        headers=JSON,
    )
    assert response.status_code == 201, response.text


def test_a_body_both_malformed_and_naming_a_key_twice_is_refused_as_malformed(api: Api, services: Services) -> None:
    api.open_program()
    body = b'{"members": [{"a": 1, "a": 2}], "team_code": }'  # the inner object closes before the text breaks
    head = services.projector.head()
    response = api.client.post(f"/programs/{P}/teams", content=body, headers=JSON)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("the JSON body is malformed at line 1, column ")
    assert services.projector.head() == head


def test_an_empty_key_named_twice_is_422_and_named(api: Api, services: Services) -> None:
    api.open_program()
    body = b'{"team_code": "A", "name_ko": "K", "name_en": "E", "lead_organisation": "L", "": 1, "": 2}'
    refused(api, services, f"/programs/{P}/teams", body, 422, "invalid-request")
    response = api.client.post(f"/programs/{P}/teams", content=body, headers=JSON)
    assert response.json()["detail"] == 'the JSON body names a key more than once: ""'
    broken = b'{"members": [{"": 1, "": 2}], "team_code": }'
    response = api.client.post(f"/programs/{P}/teams", content=broken, headers=JSON)
    assert response.json()["detail"].startswith("the JSON body is malformed at line 1, column ")

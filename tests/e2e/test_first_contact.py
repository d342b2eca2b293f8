"""What a new user meets first: offline docs, problem types in sentences, JSON errors by line and column,
hand-typed times in the query, and answers that say which moment they were computed for."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import build
from api.cli import app as cli
from api.problems import problem_types
from api.settings import Settings
from domain import errors
from tests.e2e.conftest import Api, P, assert_problem


def _error_class_names() -> set[str]:
    def walk(cls: type[errors.RegistryError]) -> set[str]:
        return {cls.__name__, *(name for child in cls.__subclasses__() for name in walk(child))}

    return walk(errors.RegistryError)


def test_every_problem_type_is_described_in_sentences_not_by_a_class_name(client: TestClient) -> None:
    assert client.get("/problems").json() == problem_types()
    class_names = _error_class_names()
    for code, description in problem_types().items():
        answered = client.get(f"/problems/{code}")
        assert answered.status_code == 200, code
        assert description not in class_names and not re.search(r"\b\w+Error\b", description), (code, description)
        assert description.endswith(".") and len(description.split()) >= 8, (code, description)


def test_docs_are_served_from_the_registry_with_no_outside_address(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/static/") for a in assets), assets
    assert "http://" not in page.text and "https://" not in page.text
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "https://" not in redoc.text


def test_the_openapi_document_names_both_ways_to_present_a_key(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"}
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    assert document["paths"]["/programs"]["get"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "security" not in document["paths"]["/health"]["get"]


def test_malformed_json_is_named_by_line_and_column(api: Api) -> None:
    api.open_program()
    body = b'{\n  "team_code": "X",\n  "name_ko": \n}'
    with api.unchanged():
        answer = api.client.post(f"/programs/{P}/teams", content=body, headers={"content-type": "application/json"})
    problem = assert_problem(answer, 422, "invalid-request")
    assert problem["detail"] == "the JSON body is malformed at line 4, column 1: Expecting value"
    assert problem["errors"] == [
        {"location": ["body"], "kind": "json_invalid", "message": "Expecting value", "line": 4, "column": 1}
    ]


def test_an_unencoded_plus_in_a_time_of_the_query_reads_as_the_offset(api: Api) -> None:
    api.open_program()
    api.apply("A")
    hand_typed = api.client.get(f"/programs/{P}/standings?as_of=2026-01-02T09:00:00 09:00&known_at=2026-01-05T09:00")
    assert hand_typed.status_code == 422  # no offset at all is still refused
    answer = api.client.get(f"/programs/{P}/standings?as_of=2026-01-02T09:00:00 09:00")
    assert answer.status_code == 200, answer.text
    assert answer.json()["as_of"] == "2026-01-02T00:00:00.000000+00:00"


def test_answers_echo_the_times_they_were_computed_for_when_none_were_given(api: Api) -> None:
    api.open_program()
    now = "2026-01-05T09:00:00.000000+00:00"  # the test clock
    for path in (f"/programs/{P}/standings", f"/programs/{P}/funding", f"/programs/{P}/history"):
        answer = api.get(path)
        assert (answer["as_of"], answer["known_at"]) == (now, now), path
    given = api.get(f"/programs/{P}/standings", as_of="2026-01-03T00:00:00+09:00")
    assert (given["as_of"], given["known_at"]) == ("2026-01-02T15:00:00.000000+00:00", now)


def test_the_demo_counts_the_events_health_counts_and_prints_its_curl_example_on_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    printed = CliRunner().invoke(cli, ["demo", "--admin-key", "--database-url", url], terminal_width=60)
    assert printed.exit_code == 0, printed.output
    said = re.search(r"the log now holds (\d+) events", printed.output)
    services = build(Settings(database_url=url))
    try:
        with TestClient(create_app(services=services)) as client:
            assert said and int(said[1]) == client.get("/health").json()["log_head"]
    finally:
        services.close()
    (example,) = [line for line in printed.output.splitlines() if "curl" in line]
    assert re.fullmatch(r"    curl -H 'Authorization: Bearer rk_\S+' http://127\.0\.0\.1:8000/programs", example)

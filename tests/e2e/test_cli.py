"""The `registry` command on an SQLite file: demo, keys, standings and read-model upkeep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import build
from api.cli import app
from api.demo import PROGRAM
from api.settings import Settings

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def secret_in(output: str) -> str:
    found = re.search(r"rk_[0-9a-f]{12}_[\w-]+", output)
    assert found, output
    return found.group(0)


def test_the_first_demo_prints_an_admin_key_that_works_and_the_second_does_nothing(url: str) -> None:
    first = run("demo", "--if-empty", "--admin-key", "--database-url", url)
    assert "Recorded the demo programme" in first
    secret = secret_in(first)
    second = run("demo", "--if-empty", "--admin-key", "--database-url", url)
    assert "demo not loaded" in second
    assert "rk_" not in second
    services = build(Settings(database_url=url))
    with TestClient(create_app(services=services)) as client:
        answer = client.get(f"/programs/{PROGRAM}", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
        assert [len(s["holders"]) for s in answer.json()["stages"]] == [0, 4]
    services.close()


def test_keys_are_created_listed_and_revoked_and_a_revoked_key_stops_working(url: str) -> None:
    secret = secret_in(run("keys", "create", "--role", "recorder", "--name", "kim", "--database-url", url))
    key_id = secret.split("_")[1]
    listing = run("keys", "list", "--database-url", url)
    assert key_id in listing and "kim" in listing and "recorder" in listing
    services = build(Settings(database_url=url))
    try:
        assert services.registry.authenticate(secret) is not None
        assert "revoked" in run("keys", "revoke", key_id, "--database-url", url)
        assert services.registry.authenticate(secret) is None
        assert "sha256" not in run("keys", "list", "--database-url", url)
    finally:
        services.close()
    refused = runner.invoke(app, ["keys", "create", "--role", "superuser", "--name", "x", "--database-url", url])
    assert refused.exit_code == 1
    assert "role must be one of" in refused.output


def test_rebuild_and_status_report_every_read_model_at_the_head(url: str) -> None:
    run("demo", "--database-url", url)
    rebuilt = run("projections", "rebuild", "--database-url", url)
    assert "Rebuilt standings, history, funding" in rebuilt
    status = run("projections", "status", "--database-url", url)
    head = build(Settings(database_url=url)).projector.head()
    for name in ("standings", "history", "funding"):
        assert re.search(rf"{name}\s+│\s+{head}\s+│\s+{head}\s+│\s+0", status), status
    standings = run("standings", PROGRAM, "--database-url", url)
    assert "4 of 4 seats held, 0 vacant" in standings
    assert "Finalists: HANBIT, SEOGANG" in standings


def test_standings_of_an_unknown_programme_exits_non_zero(url: str) -> None:
    result = runner.invoke(app, ["standings", "NOPE", "--database-url", url])
    assert result.exit_code == 1
    assert "No programme 'NOPE'" in result.output


def test_an_invalid_setting_stops_the_command_with_a_message_naming_it(url: str) -> None:
    result = runner.invoke(app, ["projections", "status"], env={"REGISTRY_PORT": "99999", "REGISTRY_DATABASE_URL": url})
    assert result.exit_code == 2
    assert "REGISTRY_PORT" in result.output and "65535" in result.output
    bad_url = runner.invoke(app, ["migrate"], env={"REGISTRY_DATABASE_URL": "mysql://somewhere/db"})
    assert bad_url.exit_code == 2
    assert "REGISTRY_DATABASE_URL" in bad_url.output


def test_standings_as_of_a_date_before_the_re_entrant_accepted(url: str) -> None:
    run("demo", "--database-url", url)
    before = run("standings", PROGRAM, "--as-of", "2026-02-10T00:00+09:00", "--database-url", url)
    assert "3 of 4 seats held, 1 vacant" in before
    assert "As of 2026-02-10T00:00+09:00" in before
    after = run("standings", PROGRAM, "--as-of", "2026-02-19T00:00+09:00", "--database-url", url)
    assert "4 of 4 seats held, 0 vacant" in after
    naive = runner.invoke(app, ["standings", PROGRAM, "--as-of", "2026-02-10T00:00", "--database-url", url])
    assert naive.exit_code == 2

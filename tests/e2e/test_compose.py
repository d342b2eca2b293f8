"""The compose deployment agrees with the code: services, health checks, settings, image and README.

No Docker engine runs here, so the file is checked statically: every REGISTRY_*
variable it sets is a setting the service knows and accepts, the start order
waits for a healthy database and a finished schema step, every long-running
service has a health check (the projection runner's is run here against a real
store) and a restart policy, the image drops root, the database's published port
is configurable, and the README's instructions name what the file provides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from api.bootstrap import build
from api.cli import app as cli
from api.settings import Settings
from projections.tracking import set_status

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
REGISTRY_SERVICES = ("migrate", "api", "projections")
runner = CliRunner()


def test_the_file_has_a_database_a_schema_step_the_api_and_a_projection_runner() -> None:
    assert set(SERVICES) == {"db", "migrate", "api", "projections"}
    assert SERVICES["db"]["image"] == "postgres:16"
    assert "registry migrate" in " ".join(SERVICES["migrate"]["command"])
    assert SERVICES["projections"]["command"] == ["registry", "projections", "run"]
    api = SERVICES["api"]["command"]
    assert api[:2] == ["registry", "serve"]
    assert int(api[api.index("--workers") + 1]) >= 2


def test_the_database_is_health_checked_and_kept_in_a_named_volume() -> None:
    db = SERVICES["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_the_start_order_waits_for_a_healthy_database_and_the_schema() -> None:
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "projections"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


@pytest.mark.parametrize("name", REGISTRY_SERVICES)
def test_every_registry_variable_is_a_setting_the_service_accepts(name: str) -> None:
    environment: dict[str, str] = SERVICES[name]["environment"]
    fields = {f"REGISTRY_{field.upper()}" for field in Settings.model_fields}
    assert set(environment) <= fields, set(environment) - fields
    values: dict[str, Any] = {key.removeprefix("REGISTRY_").lower(): value for key, value in environment.items()}
    settings = Settings(**values)  # strings, as the environment gives them: the settings parse them
    db = SERVICES["db"]["environment"]
    assert settings.database_url == (
        f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}"
    )
    assert settings.inline_projections is False  # the projections service follows the log instead


def test_the_image_copies_what_it_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    for source in copied:
        assert (ROOT / source).exists(), source
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml"} <= set(copied), packages - set(copied)


def test_the_readme_instructions_match_the_file() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up -d" in readme
    assert "docker compose up -d db" in readme
    port = SERVICES["api"]["ports"][0].split(":")
    assert f"http://127.0.0.1:{port[1]}/health" in readme
    db = SERVICES["db"]["environment"]
    assert f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@127.0.0.1:5432/{db['POSTGRES_DB']}" in readme


def test_every_registry_service_shares_one_signing_key() -> None:
    paths = {SERVICES[name]["environment"]["REGISTRY_SIGNING_KEY_FILE"] for name in REGISTRY_SERVICES}
    assert len(paths) == 1
    (path,) = paths
    for name in REGISTRY_SERVICES:
        volume, mount = SERVICES[name]["volumes"][0].split(":")
        assert path.startswith(mount + "/") and volume in COMPOSE["volumes"]


LONG_RUNNING = ("db", "api", "projections")


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_is_health_checked_and_restarted(name: str) -> None:
    service = SERVICES[name]
    assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    assert service["restart"] in {"unless-stopped", "always"}


def test_the_one_shot_schema_step_is_not_restarted_and_the_others_wait_for_it_to_succeed() -> None:
    assert SERVICES["migrate"]["restart"] == "no"
    assert set(SERVICES) == {"migrate", *LONG_RUNNING}


def test_the_api_health_check_asks_the_port_it_serves_for_health() -> None:
    command = SERVICES["api"]["command"]
    probe = " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{command[command.index('--port') + 1]}/health" in probe


def test_the_projection_runners_health_check_is_a_command_that_tells_live_from_stopped(tmp_path: Path) -> None:
    test = SERVICES["projections"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "registry"]
    url = f"sqlite:///{tmp_path / 'health.sqlite3'}"
    services = build(Settings(database_url=url))
    names = list(services.projector.projections)
    try:
        inline = runner.invoke(cli, [*test[2:], "--database-url", url])
        assert inline.exit_code == 1 and "unhealthy: standings (inline" in inline.output
        set_status(services.db, names, "live")
        live = runner.invoke(cli, [*test[2:], "--database-url", url])
        assert live.exit_code == 0 and "healthy: standings, history, funding" in live.output
        set_status(services.db, names[:1], "failed", "boom")
        failed = runner.invoke(cli, [*test[2:], "--database-url", url])
        assert failed.exit_code == 1 and "unhealthy: standings (failed" in failed.output
    finally:
        services.close()


def test_the_image_runs_as_an_unprivileged_user() -> None:
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines() if line and line[0].isupper()]
    users = [words[1] for words in lines if words[0] == "USER"]
    assert users and users[-1] not in {"root", "0"}
    last_user = max(i for i, words in enumerate(lines) if words[0] == "USER")
    assert all(words[0] != "RUN" for words in lines[last_user:]), "install steps run before dropping root"
    assert "useradd" in (ROOT / "Dockerfile").read_text()


def test_the_database_port_is_configurable_so_it_need_not_clash_with_a_local_server() -> None:
    (published,) = SERVICES["db"]["ports"]
    assert published == "127.0.0.1:${REGISTRY_DB_PORT:-5432}:5432"
    readme = (ROOT / "README.md").read_text()
    assert "REGISTRY_DB_PORT=5433 docker compose up -d db" in readme
    assert "postgresql://registry:registry@127.0.0.1:5433/registry" in readme

"""The compose deployment agrees with the code: services, health checks, settings, image and README.

No Docker engine runs here, so the file is checked statically: every REGISTRY_*
variable it sets is a setting the service knows and accepts, the start order
waits for a healthy database and a finished schema step, and the README's
instructions name what the file provides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
REGISTRY_SERVICES = ("migrate", "api", "projections")


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

"""A server process (``uvicorn --factory api.app:app_from_environment``) once started, as against a test's app.

A server keeps what its start-up made for as long as it runs, so that is moved out of the garbage
collector's generations (``gc.freeze``): a full collection then walks only what requests made since,
not the tens of thousands of objects of the services, routes and models, and holds the worker's
requests for that much less. A test's app, made many times in one process, freezes nothing: what
it made must stay collectable.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import app_from_environment, create_app
from api.settings import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Nothing frozen before the test; everything frozen is made collectable again after it."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_a_server_process_freezes_what_its_start_up_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    app = app_from_environment()
    assert gc.get_freeze_count() == 0  # not when made: only once its services are built
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        assert client.get("/health").status_code == 200


def test_an_app_made_by_a_test_freezes_nothing(tmp_path: Path, unfrozen: None) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}"))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() == 0

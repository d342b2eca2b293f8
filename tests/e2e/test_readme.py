"""The README promises only what the code does: its commands and options exist, its settings are settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from api.cli import app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
ROWS = re.findall(r"^\| `registry ([^`]+)` \|", README, flags=re.MULTILINE)


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every runnable command of the CLI by its words (``("projections", "status")``)."""
    found: dict[tuple[str, ...], Any] = {}
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            found |= _commands(command, (*prefix, name))
        else:
            found[(*prefix, name)] = command
    return found


COMMANDS = _commands(typer.main.get_command(app))


def _options(command: Any) -> set[str]:
    return {option for param in command.params for option in getattr(param, "opts", ())}


def _words(row: str) -> tuple[str, ...]:
    """The command's words in a README row: ``projections run [NAME…]`` → ``("projections", "run")``."""
    return tuple(w for w in row.split() if re.fullmatch(r"[a-z-]+", w))


def test_the_readme_lists_every_command() -> None:
    listed = {_words(row) for row in ROWS}
    for words in COMMANDS:
        assert any(row[: len(words)] == words for row in listed), words


@pytest.mark.parametrize("row", ROWS)
def test_every_option_a_command_row_names_exists(row: str) -> None:
    words = _words(row)
    command = next(COMMANDS[words[:n]] for n in range(len(words), 0, -1) if words[:n] in COMMANDS)
    for option in re.findall(r"--[a-z-]+", row):
        assert option in _options(command), (row, option)


def test_every_command_takes_database_url_as_the_readme_says() -> None:
    assert "Every command takes\n`--database-url`" in README
    storeless = {("audit", "check-receipt"), ("audit", "witness")}  # named in the README as the exceptions
    assert all(" ".join(words) in " ".join(README.split()) for words in storeless)
    for words, command in COMMANDS.items():
        assert ("--database-url" in _options(command)) != (words in storeless), words


def test_every_setting_the_readme_names_is_a_setting() -> None:
    named = set(re.findall(r"^\| `(REGISTRY_[A-Z_]+)`", README, flags=re.MULTILINE))
    named |= {n for pair in re.findall(r"^\| `(REGISTRY_[A-Z_]+)` / `(REGISTRY_[A-Z_]+)`", README, re.M) for n in pair}
    fields = {f"REGISTRY_{name.upper()}" for name in Settings.model_fields} | {"REGISTRY_TEST_DATABASE_URL"}
    assert named and named <= fields, named - fields


def test_docs_are_opened_in_a_way_that_works_on_every_system() -> None:
    assert "open http" not in README and "xdg-open" not in README
    assert "Then open `http://127.0.0.1:8000/docs` in a browser" in README

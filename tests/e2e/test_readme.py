"""The README promises only what the code does: its commands and options exist, its settings are settings."""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient

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


# --- the worked example of a screening round, run as written -------------------------------------

EXAMPLE = README.split("A screening round, worked through", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]


def _commands_of(block: str) -> list[list[str]]:
    """The example's curl commands as words, its variables set and its ``for`` loop unrolled."""
    lines: list[str] = []
    for line in block.replace("\\\n", " ").splitlines():
        if lines and lines[-1].count("'") % 2:  # inside a quoted body that spans lines
            lines[-1] += "\n" + line
        elif not line.lstrip().startswith("#"):
            lines.append(line)
    variables: dict[str, str] = {}
    commands: list[list[str]] = []
    loop: tuple[str, list[str]] | None = None
    for line in lines:
        if match := re.fullmatch(r"([A-Z]+)=(\S+)", line.strip()):
            variables[match[1]] = match[2]
        elif match := re.fullmatch(r"for (\w+) in ([^;]+); do", line.strip()):
            loop = (match[1], match[2].split())
        elif line.strip() == "done":
            loop = None
        elif line.strip().startswith("curl"):
            text = line.replace('"${H[@]}"', "").replace("$R", variables["R"])
            for value in loop[1] if loop else [""]:
                commands.append(shlex.split(text.replace(f"${loop[0]}", value) if loop else text))
    return commands


def _request(words: list[str]) -> tuple[str, str, dict[str, str], Any]:
    method, headers, body, url = "GET", {}, None, ""
    pairs = iter(words[1:])
    for word in pairs:
        if word == "-X":
            method = next(pairs)
        elif word == "-H":
            name, _, value = next(pairs).partition(": ")
            headers[name] = value
        elif word == "-d":
            body = json.loads(next(pairs))
        elif word.startswith("http"):
            url = word
    return method, url.removeprefix("http://127.0.0.1:8000"), headers, body


@pytest.mark.parametrize("store", ["sqlite"])
def test_the_worked_screening_round_runs_as_written(client: TestClient) -> None:
    answers = []
    for words in _commands_of(EXAMPLE):
        method, path, headers, body = _request(words)
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == (201 if method == "POST" else 200), answer.text
        answers.append(answer.json())
    assert len(answers) == 11  # the programme, five applications, the round, its outcomes, three reads
    types = Counter(e["type"] for e in answers[7]["events"])
    assert types == {
        "OutcomesRecorded": 1,
        "RoundOutcomeRecorded": 5,
        "TeamAdvanced": 3,
        "AdvancementProvisional": 1,
        "TeamEliminated": 2,
        "StageEvaluationBegan": 1,
        "SeatTaken": 3,
    }
    now, before = answers[8], answers[9]
    stage = now["stages"][0]
    assert (stage["holders"], stage["vacancies"]) == (["HANBIT", "MIRAE", "NURI"], 0)
    mirae = next(t for t in stage["teams"] if t["team_code"] == "MIRAE")
    assert mirae["advancement"]["state"] == "provisional"
    out = {t["team_code"]: t for t in now["applicants"]}
    assert {c: (t["status"], t["round_outcome"]["result"]) for c, t in out.items()} == {
        "SORI": ("eliminated", "fail"),
        "GAON": ("eliminated", "fail"),
    }
    assert (len(before["applicants"]), before["stages"][0]["vacancies"]) == (5, 3)
    assert answers[6]["result"] == {"round": 1} and len(answers[10]["outcomes"]) == 5

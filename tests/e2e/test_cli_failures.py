"""Every failure of the installed ``registry`` script is one line on standard error with a non-zero status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REGISTRY = str(Path(sys.executable).parent / "registry")


def fail(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the script as an operator would and return its exit status and everything it printed."""
    done = subprocess.run(
        [REGISTRY, *args], capture_output=True, text=True, timeout=120, env=env, check=False, cwd=Path(__file__).parent
    )
    return done.returncode, (done.stdout + done.stderr).strip()


def assert_one_line(printed: str, *, says: str) -> None:
    assert "Traceback" not in printed and "╭" not in printed, printed
    assert printed.count("\n") == 0, printed
    assert printed.startswith("error: ") and says in printed, printed


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


@pytest.mark.parametrize("command", [["projections", "verify"], ["projections", "rebuild"], ["projections", "run"]])
def test_an_unknown_read_model_is_named_with_the_known_ones(url: str, command: list[str]) -> None:
    status, printed = fail(*command, "nosuch", "--database-url", url)
    assert status == 2
    assert_one_line(printed, says="no read model named nosuch; the read models are standings, history, funding")


def test_an_unreachable_database_is_one_line() -> None:
    status, printed = fail("projections", "status", "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert status == 3
    assert_one_line(printed, says="the database is unreachable")


def test_a_database_url_of_an_unknown_kind_is_one_line() -> None:
    status, printed = fail("migrate", "--database-url", "mysql://somewhere/registry")
    assert status == 2
    assert_one_line(printed, says="REGISTRY_DATABASE_URL")


@pytest.mark.parametrize("content", ["not base64 at all!", "c2hvcnQ="])
def test_a_bad_signing_key_file_is_named(url: str, tmp_path: Path, content: str) -> None:
    key_file = tmp_path / "signing.key"
    key_file.write_text(content)
    env = {"PATH": "/usr/bin:/bin", "REGISTRY_SIGNING_KEY_FILE": str(key_file)}
    status, printed = fail("audit", "public-key", "--database-url", url, env=env)
    assert status == 4
    assert_one_line(printed, says=f"the signing key file {key_file} is not usable")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["standings", "--bogus"], "No such option: --bogus (see registry standings --help)"),
        (["standings"], "Missing argument"),
        (["keys", "create", "--role", "auditor"], "Missing option '--name'"),
        (["serve", "--port", "eighty"], "Invalid value for '--port'"),
        (["nosuch"], "No such command"),
    ],
)
def test_bad_arguments_are_one_line(args: list[str], says: str) -> None:
    status, printed = fail(*args)
    assert status == 2
    assert_one_line(printed, says=says)


def test_a_bad_time_is_one_line(url: str) -> None:
    status, printed = fail("standings", "SOVEREIGN-AI-2025", "--as-of", "yesterday", "--database-url", url)
    assert status == 2
    assert_one_line(printed, says="'yesterday' is not ISO 8601")

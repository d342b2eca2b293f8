"""The shape of the code, held by tests: layer contracts that bite, small modules, no SQL in the ways in.

The layer contracts themselves live in ``pyproject.toml`` (``[tool.importlinter]``)
and run in ``make lint``; here a copy of the packages with one forbidden import
added proves that the check really fails when a contract is broken.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "eventstore", "audit", "projections", "api")
MAX_LINES = 400
SQL = re.compile(r"select |insert |update |delete from", re.IGNORECASE)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("code")
    shutil.copy(ROOT / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_code_as_it_is_keeps_every_layer_contract(copy_of_the_code: Path) -> None:
    result = lint_imports(copy_of_the_code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("domain/values.py", "import api.settings"),
        ("domain/values.py", "import psycopg"),
        ("eventstore/__init__.py", "import projections"),
        ("projections/__init__.py", "import api"),
        ("audit/__init__.py", "import projections"),
    ],
)
def test_an_import_against_the_layers_fails_the_lint(copy_of_the_code: Path, module: str, forbidden: str) -> None:
    path = copy_of_the_code / module
    original = path.read_text()
    path.write_text(original + f"\n{forbidden}  # noqa\n")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def python_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", python_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_is_longer_than_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_no_sql_in_the_ways_in() -> None:
    """SQL lives in ``eventstore/`` and ``projections/``; ``api/`` asks them (comments may mention SQL words)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "api").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if SQL.search(line.split("#", 1)[0])
    ]
    assert found == []

"""A misspelt field fails the type check: commands are typed from the request schema to the registry.

Two small modules are checked with ``mypy --strict`` and the project's own settings:
one builds commands the way the routes do and passes them to the registry, and must
pass; the other makes one mistake per line, and mypy must name each mistake. The
mypy cache lives in pytest's cache, so after the first run this takes a second or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

PROJECT = Path(__file__).resolve().parents[2]

PREAMBLE = """\
from domain.commands import SubmitApplication, UpholdElimination, WithdrawTeam
from domain.registry import Context, Registry
from api.schemas.decisions import SubmitApplicationRequest

ctx = Context(actor="official")
"""

CORRECT = """
def apply(registry: Registry, program: str, body: SubmitApplicationRequest) -> int | None:
    command = SubmitApplication(
        program_code=program,
        team_code=body.team_code,
        name_ko=body.name_ko,
        name_en=body.name_en,
        lead_organisation=body.lead_organisation,
        members=body.members,
    )
    registry.withdraw_team(ctx, WithdrawTeam(program_code=program, team_code=body.team_code))
    return registry.submit_application(ctx, command).result
"""

MISTAKES = {  # one line each, and what mypy says about it
    'WithdrawTeam(program_code="P", team_cod="T")': 'Unexpected keyword argument "team_cod" for "WithdrawTeam"',
    'registry.withdraw_team(ctx, WithdrawTeam(program_code="P", team_code="T"), bogus=1)': (
        'Unexpected keyword argument "bogus" for "withdraw_team" of "Registry"'
    ),
    'WithdrawTeam(program_code="P", team_code=body.team_cod)': '"SubmitApplicationRequest" has no attribute "team_cod"',
    'registry.withdraw_team(ctx, UpholdElimination(program_code="P", team_code="T"))': (
        'Argument 2 to "withdraw_team" of "Registry" has incompatible type "UpholdElimination"; expected "WithdrawTeam"'
    ),
}


def mypy_errors(pytestconfig: pytest.Config, *modules: Path) -> list[str]:
    store = getattr(pytestconfig, "cache", None)  # absent under ``-p no:cacheprovider``
    cache = store.mkdir("mypy") if store is not None else PROJECT / ".mypy_cache"
    config = str(PROJECT / "pyproject.toml")
    out, err, _ = api.run(["--config-file", config, "--cache-dir", str(cache), *map(str, modules)])
    assert not err, err
    return [line for line in out.splitlines() if ": error: " in line]


def test_a_misspelt_field_or_argument_fails_the_type_check_and_the_right_spelling_passes(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    correct = tmp_path / "typed_commands_correct.py"
    correct.write_text(PREAMBLE + CORRECT)
    mistaken = tmp_path / "typed_commands_mistaken.py"
    body = "".join(f"    {line}\n" for line in MISTAKES)
    mistaken.write_text(
        f"{PREAMBLE}\n\ndef mistakes(registry: Registry, body: SubmitApplicationRequest) -> None:\n{body}"
    )
    numbered = mistaken.read_text().splitlines()

    errors = mypy_errors(pytestconfig, correct, mistaken)

    assert not [e for e in errors if correct.name in e], errors
    for line, said in MISTAKES.items():
        number = numbered.index(f"    {line}") + 1
        found = [e for e in errors if f"{mistaken.name}:{number}: error: " in e]
        assert any(said in e for e in found), (line, said, errors)

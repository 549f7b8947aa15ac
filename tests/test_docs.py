"""Docs that cannot drift: every command has help with examples and a README entry,
every finding code is documented, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from catalog.check.findings import CODES
from catalog.cli.main import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # catalog's group loads its commands on demand
        command = group.get_command(ctx, name)
        assert command is not None, f"{prefix}{name} is listed but cannot be loaded"
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
    return found


ALL = commands(cli)


@pytest.mark.parametrize(("name", "command"), ALL, ids=[n for n, _ in ALL])
def test_every_command_has_help_and_a_readme_entry(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert f"catalog {name}" in README, f"README does not mention 'catalog {name}'"
    if not isinstance(command, click.Group) and name not in {"db info"}:
        assert "catalog " in command.help, f"{name} --help has no example"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_finding_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in README


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    first_block = re.search(r"```\n(.*?)```", README, re.S)
    assert first_block is not None
    lines = [ln for ln in first_block.group(1).splitlines() if ln.strip()]
    assert lines == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci and "README" in ci

"""The ``catalog`` group imports a command's module only when the command runs, and
``catalog --help`` lists every command from the summaries kept in catalog/cli/main.py:
the same text the commands' own help gives, and no command module imported."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from click.testing import CliRunner

import catalog.cli
from catalog.cli.main import COMMANDS, cli

COMMAND_MODULES = sorted(
    f"catalog.cli.{m.name}" for m in pkgutil.iter_modules(catalog.cli.__path__)
    if m.name != "main"
    and hasattr(importlib.import_module(f"catalog.cli.{m.name}"), "COMMANDS")
)


def test_every_module_command_is_in_the_table_with_its_own_summary() -> None:
    table = {}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            attribute = next(k for k, v in vars(module).items() if v is command)
            assert command.name is not None
            table[command.name] = (f"{module_name.rsplit('.', 1)[1]}:{attribute}",
                                   command.get_short_help_str(limit=10**6))
    assert table == COMMANDS


EAGER = """
import click
from catalog.cli.main import cli
ctx = click.Context(cli)
eager = click.Group(name="catalog", params=cli.params, help=cli.help, epilog=cli.epilog,
                    context_settings=cli.context_settings)
for name in cli.list_commands(ctx):
    eager.add_command(cli.get_command(ctx, name), name)
eager(["--help"], prog_name="catalog")
"""


def test_help_lists_what_the_loaded_commands_would_list() -> None:
    def run(*args: str) -> str:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=60, check=True).stdout

    lazy = run("-m", "catalog", "--help")
    assert run("-c", EAGER) == lazy  # a plain click group holding every command
    assert "Commands:\n  add " in lazy and "\n  sync " in lazy


PROBE = """
import sys
from catalog.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit:
    pass
print("loaded:" + ",".join(sorted(m for m in {modules!r} if m in sys.modules)), file=sys.stderr)
"""


def loaded_command_modules(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=COMMAND_MODULES), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("loaded:"), done.stderr
    return [m for m in last.removeprefix("loaded:").split(",") if m]


def test_help_imports_no_command_module() -> None:
    assert loaded_command_modules("--help") == []


def test_a_command_imports_its_own_module_only() -> None:
    assert loaded_command_modules("session", "--help") == ["catalog.cli.sessions"]
    assert loaded_command_modules("db", "--help") == ["catalog.cli.db"]


def test_an_unknown_command_is_still_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'." in result.output

"""``catalog check --explain CODE``: every rule's meaning, example and fix, from the one
registry the README's table and SARIF's rule help also show."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.check.codes import RULES, SEVERITY
from catalog.check.fix import FIXABLE
from catalog.cli.main import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_code_is_explained(code: str) -> None:
    rule = RULES[code]
    result = run("check", "--explain", code)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0] == (
        f"{code} ({rule.severity}{', fixable with --fix' if rule.fixable else ''})")
    for heading in ("Why:", "Example:", "How to fix:", "Silence it:"):
        assert f"\n{heading}\n" in out
    for line in rule.example.splitlines():  # the example as written, indented
        assert ("    " + line).rstrip() in out.splitlines()
    assert f"    <!-- catalog: ignore[{code}] -->" in out
    assert len(rule.why.split()) >= 8 and len(rule.fix.split()) >= 5


def test_explain_needs_no_posts_and_no_catalog(tmp_path: Path) -> None:
    db = tmp_path / "catalog.sqlite"
    assert run("check", "--explain", "link-empty").exit_code == 0
    assert not db.exists()


def test_unknown_code_names_the_nearest(tmp_path: Path) -> None:
    result = run("check", "--explain", "footnote-mismach")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "catalog: error: no rule 'footnote-mismach'; the nearest: footnote-mismatch, "
        "footnote-missing, title-mismatch\n"
    )
    far = run("check", "--explain", "zzz")
    assert far.exit_code == 2 and far.stderr.count("\n") == 1
    assert re.match(r"catalog: error: no rule 'zzz'; the nearest: [a-z-]+\n$", far.stderr)


def test_explain_as_json() -> None:
    doc = json.loads(run("check", "--explain", "footnote-missing", "--format", "json").stdout)
    assert doc["code"] == "footnote-missing" and doc["severity"] == "warning"
    assert doc["fixable"] is True
    assert doc["explanation"].startswith("## footnote-missing (warning, fixable with --fix)")


def test_fixable_rules_are_the_ones_fix_rewrites() -> None:
    assert {c for c, r in RULES.items() if r.fixable} == set(FIXABLE)


def test_readme_table_matches_the_registry_and_points_to_explain() -> None:
    section = README.split("## What `catalog check` reports", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", section, re.M)
    assert [code for code, _ in rows] == list(RULES)  # every code, in the registry's order
    assert dict(rows) == SEVERITY
    assert "catalog check --explain CODE" in section
    assert "(catalog/check/codes.py)" in section

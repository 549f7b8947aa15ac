"""``catalog check`` settings: catalog.toml found as ruff finds ruff.toml, rule selection,
severity, exclude, per-file-ignores, the flags, --show-settings, and clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.check.codes import RULES
from catalog.check.config import ConfigError, Overrides, Resolver
from catalog.cli.main import cli
from tests.test_posts_parse import FIXTURES

DUP = "2019-03-26-url-duplicate.md"  # footnote-shared, url-duplicate, link-empty (warnings)
SWAP = "2019-01-15-swap.md"  # two footnote-mismatch (errors)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def codes(result: Result) -> list[tuple[str, str]]:
    """(file name, code) of each finding in a JSON report."""
    doc = json.loads(result.stdout)
    return [(Path(f["path"]).name, f["code"]) for f in doc["findings"]]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder (the current folder) with _posts/ holding two fixture posts."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    for name in (DUP, SWAP):
        shutil.copy(FIXTURES / name, root / "_posts" / name)
    monkeypatch.chdir(root)
    return root


ALL_FOUND = [
    (SWAP, "footnote-mismatch"), (SWAP, "footnote-mismatch"),
    (DUP, "footnote-shared"), (DUP, "url-duplicate"), (DUP, "link-empty"),
]


def test_without_configuration_every_rule_is_on(site: Path) -> None:
    result = run("check", "_posts", "--format", "json")
    assert result.exit_code == 1
    assert sorted(codes(result)) == sorted(ALL_FOUND)


def test_catalog_toml_above_the_posts_is_found(site: Path) -> None:
    (site / "catalog.toml").write_text('ignore = ["url-duplicate", "footnote-shared"]\n')
    result = run("check", "_posts", "--format", "json")
    assert sorted(codes(result)) == [(SWAP, "footnote-mismatch")] * 2 + [(DUP, "link-empty")]
    # From another folder too: discovery starts at each post, not at the current folder.
    elsewhere = site.parent / "elsewhere"
    elsewhere.mkdir()
    other = CliRunner().invoke(cli, ["check", str(site / "_posts"), "--format", "json"],
                               catch_exceptions=False)
    assert sorted(codes(other)) == sorted(codes(result))


def test_the_closest_configuration_wins_and_is_not_merged(site: Path) -> None:
    (site / "catalog.toml").write_text('ignore = ["footnote"]\n')
    nested = site / "_posts" / "2019"
    nested.mkdir()
    shutil.move(site / "_posts" / SWAP, nested / SWAP)
    (nested / "catalog.toml").write_text('ignore = ["link-empty"]\n')
    result = run("check", "_posts", "--format", "json")
    # The nested file governs its folder alone: footnote rules are on again there.
    assert sorted(codes(result)) == sorted([
        (DUP, "url-duplicate"), (DUP, "link-empty"),
        (SWAP, "footnote-mismatch"), (SWAP, "footnote-mismatch"),
    ])


def test_precedence_within_one_folder(site: Path) -> None:
    (site / "pyproject.toml").write_text('[tool.catalog]\nignore = ["link-empty"]\n')
    found = codes(run("check", "_posts", "--format", "json"))
    assert (DUP, "link-empty") not in found and (DUP, "url-duplicate") in found
    (site / "catalog.toml").write_text('ignore = ["url-duplicate"]\n')
    found = codes(run("check", "_posts", "--format", "json"))
    assert (DUP, "link-empty") in found and (DUP, "url-duplicate") not in found
    (site / ".catalog.toml").write_text('ignore = ["footnote-shared"]\n')
    found = codes(run("check", "_posts", "--format", "json"))
    assert (DUP, "footnote-shared") not in found
    assert (DUP, "link-empty") in found and (DUP, "url-duplicate") in found
    settings = Resolver().settings_for(site / "_posts" / DUP)
    assert settings.source == site / ".catalog.toml"


def test_pyproject_without_a_catalog_table_is_passed_over(site: Path) -> None:
    (site / "catalog.toml").write_text('ignore = ["link-empty"]\n')
    (site / "_posts" / "pyproject.toml").write_text('[tool.ruff]\nline-length = 100\n')
    assert (DUP, "link-empty") not in codes(run("check", "_posts", "--format", "json"))
    assert Resolver().settings_for(site / "_posts" / DUP).source == site / "catalog.toml"


def on(select: tuple[str, ...] | None = None, extend_select: tuple[str, ...] = (),
       ignore: tuple[str, ...] = ()) -> set[str]:
    overrides = Overrides(select=select, extend_select=extend_select, ignore=ignore,
                          isolated=True)
    return set(Resolver(overrides).settings_for(Path("x.md")).enabled)


def test_selection_by_code_family_and_all_more_specific_wins() -> None:
    footnotes = {c for c in RULES if c.startswith("footnote-")}
    assert on() == set(RULES)
    assert on(select=("footnote",)) == footnotes
    assert on(ignore=("footnote",)) == set(RULES) - footnotes
    # A code beats its family, whichever list it is in; on a tie, ignore wins.
    assert on(select=("footnote-mismatch",), ignore=("footnote",)) == {"footnote-mismatch"}
    assert on(select=("footnote",), ignore=("footnote-shared",)) == footnotes - {
        "footnote-shared"}
    assert on(select=("link-empty",), ignore=("link-empty",)) == set()
    assert on(ignore=("ALL",), extend_select=("link-empty",)) == {"link-empty"}
    assert on(select=("ALL",), ignore=("ALL",)) == set()
    assert on(select=()) == set()  # an empty select selects nothing


def test_flags_apply_on_top_of_the_file_as_in_ruff(site: Path) -> None:
    (site / "catalog.toml").write_text(
        'select = ["footnote", "link-empty"]\nignore = ["footnote-shared"]\n'
    )
    assert sorted(codes(run("check", "_posts", "--format", "json"))) == sorted([
        (SWAP, "footnote-mismatch"), (SWAP, "footnote-mismatch"), (DUP, "link-empty")])
    # --ignore and --extend-select add to the file's lists ...
    assert sorted(codes(run("check", "_posts", "--format", "json", "--ignore", "link-empty",
                            "--extend-select", "url-duplicate"))) == sorted([
        (SWAP, "footnote-mismatch"), (SWAP, "footnote-mismatch"), (DUP, "url-duplicate")])
    # ... --select replaces its select, and its ignore with it.
    assert codes(run("check", "_posts", "--format", "json", "--select",
                     "footnote-shared,url-duplicate")) == [
        (DUP, "footnote-shared"), (DUP, "url-duplicate")]
    # Repeated flags add up.
    assert codes(run("check", "_posts", "--format", "json", "--select", "footnote-shared",
                     "--select", "link-empty")) == [(DUP, "footnote-shared"), (DUP, "link-empty")]


def test_severity_per_rule(site: Path) -> None:
    (site / "catalog.toml").write_text('[severity]\nlink-empty = "error"\nfootnote = "warning"\n'
                                       'footnote-shared = "error"\n')
    result = run("check", "_posts", "--format", "json")
    got = {(Path(f["path"]).name, f["code"]): f["severity"]
           for f in json.loads(result.stdout)["findings"]}
    assert got == {
        (SWAP, "footnote-mismatch"): "warning",  # the family's severity
        (DUP, "footnote-shared"): "error",  # the code's, more specific, wins
        (DUP, "url-duplicate"): "warning",
        (DUP, "link-empty"): "error",
    }
    text = run("check", "_posts")
    assert text.stdout.splitlines()[-1] == "5 problems (2 errors, 3 warnings) in 2 files"


def test_exclude_skips_posts_in_folders_not_posts_named(site: Path) -> None:
    drafts = site / "_drafts"
    drafts.mkdir()
    shutil.copy(FIXTURES / SWAP, drafts / SWAP)
    (site / "catalog.toml").write_text('exclude = ["_drafts", "_posts/2019-01-*"]\n')
    result = run("check", ".", "--format", "json")
    assert json.loads(result.stdout)["files"] == 1
    assert {name for name, _ in codes(result)} == {DUP}
    # A file named on the command line is checked (as ruff does) ...
    named = run("check", f"_drafts/{SWAP}", "--format", "json")
    assert json.loads(named.stdout)["files"] == 1
    # ... unless --force-exclude, which is what pre-commit (naming each file) needs.
    forced = run("check", f"_drafts/{SWAP}", f"_posts/{DUP}", "--force-exclude",
                 "--format", "json")
    assert {name for name, _ in codes(forced)} == {DUP}
    # --exclude replaces the file's patterns; they are relative to the current folder.
    flag = run("check", ".", "--exclude", "_posts", "--format", "json")
    assert json.loads(flag.stdout)["files"] == 1
    assert {Path(f["path"]).parent.name for f in json.loads(flag.stdout)["findings"]} == {
        "_drafts"}


def test_patterns_are_relative_to_the_file_that_sets_them(site: Path) -> None:
    (site / "catalog.toml").write_text('exclude = ["_posts/2019-01-*"]\n')
    sub = site / "_posts"
    # Checked from inside _posts/, the pattern still means site/_posts/2019-01-*.
    result = CliRunner().invoke(cli, ["check", str(sub), "--format", "json"])
    assert {name for name, _ in codes(result)} == {DUP}
    assert Resolver(cwd=sub).settings_for(sub / SWAP).is_excluded(sub / SWAP)
    assert not Resolver(cwd=sub).settings_for(sub / DUP).is_excluded(sub / DUP)


def test_per_file_ignores(site: Path) -> None:
    (site / "catalog.toml").write_text(
        '[per-file-ignores]\n"_posts/2019-03-*" = ["link-empty", "url-duplicate"]\n'
        f'"{SWAP}" = ["footnote"]\n'
    )
    assert codes(run("check", "_posts", "--format", "json")) == [(DUP, "footnote-shared")]


def test_config_flag_uses_one_file_and_isolated_uses_none(site: Path, tmp_path: Path) -> None:
    (site / "catalog.toml").write_text('ignore = ["footnote"]\n')
    shared = tmp_path / "ci.toml"
    shared.write_text('select = ["link-empty"]\n')
    assert codes(run("check", "_posts", "--config", str(shared), "--format", "json")) == [
        (DUP, "link-empty")]
    isolated = run("check", "_posts", "--isolated", "--format", "json")
    assert sorted(codes(isolated)) == sorted(ALL_FOUND)
    both = run("check", "_posts", "--isolated", "--config", str(shared))
    assert both.exit_code == 2 and "cannot be used together" in both.stderr
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.catalog]\nselect = ["url-duplicate"]\n')
    assert codes(run("check", "_posts", "--config", str(pyproject), "--format", "json")) == [
        (DUP, "url-duplicate")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('selec = ["link-empty"]\n', "unknown key 'selec' (did you mean 'select'?)"),
        ('ignore = ["footnote-mismach"]\n',
         "ignore: unknown rule 'footnote-mismach' (did you mean footnote-mismatch?)"),
        ('ignore = "link-empty"\n', "ignore must be a list of strings"),
        ('[severity]\nlink-empty = "fatal"\n', "severity of link-empty is 'fatal'"),
        ('[severity]\nlink-emty = "error"\n', "severity: unknown rule 'link-emty'"),
        ('[per-file-ignores]\n"x.md" = ["nope"]\n', "per-file-ignores 'x.md': unknown rule"),
        ('[per-file-ignores]\n"x.md" = "link-empty"\n', "per-file-ignores must be a table"),
        ('exclude = [1]\n', "exclude must be a list of path patterns"),
        ('ignore = ["link-empty"\n', "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_line_exit_2(site: Path, content: str, expected: str) -> None:
    (site / "catalog.toml").write_text(content)
    result = run("check", "_posts")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"catalog: error: {site / 'catalog.toml'}: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_bad_flags_and_config_files_are_exit_2(site: Path, tmp_path: Path) -> None:
    bad = run("check", "_posts", "--select", "footnote-mismach,linkempty")
    assert bad.exit_code == 2
    assert bad.stderr == (
        "catalog: error: --select: unknown rules 'footnote-mismach' (did you mean "
        "footnote-mismatch?), 'linkempty' (did you mean link-empty?); see the codes with: "
        "catalog check --explain CODE\n"
    )
    missing = run("check", "_posts", "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "nope.toml: no such configuration file" in missing.stderr
    empty = tmp_path / "pyproject.toml"
    empty.write_text("[tool.ruff]\n")
    no_table = run("check", "_posts", "--config", str(empty))
    assert no_table.exit_code == 2 and "has no [tool.catalog] table" in no_table.stderr
    (site / "catalog.toml").write_bytes(b"ignore = ['caf\xe9']\n")
    latin = run("check", "_posts")
    assert latin.exit_code == 2 and "not UTF-8" in latin.stderr


def test_unknown_key_in_pyproject_names_the_table(site: Path) -> None:
    (site / "pyproject.toml").write_text('[tool.catalog]\nexclude = []\nfoo = 1\n')
    result = run("check", "_posts")
    assert result.exit_code == 2
    assert f"{site / 'pyproject.toml'} [tool.catalog]: unknown key 'foo'" in result.stderr


def test_show_settings_says_where_each_part_came_from(site: Path) -> None:
    (site / "catalog.toml").write_text(
        'ignore = ["footnote"]\nexclude = ["_drafts"]\n[severity]\nlink-empty = "error"\n'
        '[per-file-ignores]\n"_posts/2019-03-*" = ["url-duplicate"]\n'
    )
    result = run("check", "--show-settings", "_posts", "--ignore", "table-short-row",
                 "--extend-select", "footnote-mismatch")
    assert result.exit_code == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == f"Settings for _posts/{SWAP} and 1 more:"
    assert f"  configuration file: {site / 'catalog.toml'}" in out
    assert f"  from {site / 'catalog.toml'} (patterns relative to {site}):" in out
    assert '    ignore = ["footnote"]' in out
    assert '    severity = { "link-empty" = "error" }' in out
    assert f"  from the command line (patterns relative to {site}):" in out
    assert '    ignore = ["table-short-row"]' in out

    def rule(code: str) -> list[str]:
        line = next(ln for ln in out if ln.startswith(f"    {code} "))
        return line.split(None, 2)

    assert rule("footnote-shared") == [
        "footnote-shared", "off", f"ignore footnote in {site / 'catalog.toml'}"]
    assert rule("footnote-mismatch") == ["footnote-mismatch", "error", "--extend-select"]
    assert rule("table-short-row") == ["table-short-row", "off", "--ignore"]
    assert rule("link-empty") == [
        "link-empty", "error", f"default; severity in {site / 'catalog.toml'}"]
    assert rule("title-mismatch") == ["title-mismatch", "error", "default"]
    assert f"  exclude: '_drafts' (in {site})" in out
    assert f"    '_posts/2019-03-*' (in {site}): url-duplicate" in out
    assert "  rules (10 of 16 on):" in out


def test_show_settings_without_configuration_or_paths(site: Path) -> None:
    result = run("check", "--show-settings")
    assert result.exit_code == 0
    assert "  configuration file: none found (defaults)" in result.stdout
    assert f"  rules ({len(RULES)} of {len(RULES)} on):" in result.stdout


def test_paths_are_required_to_check(site: Path) -> None:
    result = run("check")
    assert result.exit_code == 2 and "give post files or a _posts/ folder" in result.stderr


def test_resolver_caches_and_reports_errors_as_config_errors(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text("ignore = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Resolver(cwd=tmp_path).settings_for(tmp_path / "a" / "b.md")
    (tmp_path / "catalog.toml").write_text('ignore = ["link-empty"]\n')
    resolver = Resolver(cwd=tmp_path)
    first = resolver.settings_for(tmp_path / "a" / "b.md")
    assert resolver.settings_for(tmp_path / "c.md") is first  # one Settings per file
    assert "link-empty" not in first.enabled

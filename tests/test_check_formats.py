"""``catalog check --output-format``: text, json, github, sarif (validated against the
SARIF 2.1.0 schema), junit (validated against the JUnit XSD); --statistics, --quiet,
--exit-zero, -o; and posts that cannot be read, counted in every format."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from click.testing import CliRunner, Result

from catalog import __version__
from catalog.check.codes import RULES, explain
from catalog.check.findings import Finding
from catalog.check.report import Report, Unreadable, render_github, render_junit, render_sarif
from catalog.cli.main import cli
from tests.test_posts_parse import FIXTURES

SCHEMAS = Path(__file__).parent / "schemas"
SARIF_SCHEMA = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
DUP = "2019-03-26-url-duplicate.md"
SWAP = "2019-01-15-swap.md"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def sarif_errors(log: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(SARIF_SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(log)]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """_posts/ with a post of warnings, a post of errors, a clean post and a post that is
    not UTF-8; the current folder is the site."""
    posts = tmp_path / "_posts"
    posts.mkdir()
    for name in (DUP, SWAP, "2019-02-12-cells.md"):
        shutil.copy(FIXTURES / name, posts / name)
    (posts / "2019-06-01-latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_unreadable_posts_are_counted_and_named(site: Path) -> None:
    result = run("check", "_posts")
    assert result.exit_code == 2
    assert result.stderr == (
        "catalog: error: _posts/2019-06-01-latin1.md: not UTF-8 (invalid byte 0xe9 on line 2)"
        "; not checked: fix the file or exclude it\n"
    )
    assert result.stdout.splitlines()[-1] == (
        "5 problems (2 errors, 3 warnings) in 3 files; 1 file could not be read"
    )
    doc = json.loads(run("check", "_posts", "--format", "json").stdout)
    assert doc["files"] == 3
    assert doc["unreadable"] == [{
        "path": "_posts/2019-06-01-latin1.md",
        "reason": "_posts/2019-06-01-latin1.md: not UTF-8 (invalid byte 0xe9 on line 2)",
    }]
    # --exit-zero forgives findings, not posts that could not be read.
    assert run("check", "_posts", "--exit-zero").exit_code == 2
    two = site / "_posts" / "2019-06-02-latin1.md"
    two.write_bytes(b"\xff\xfe")
    only = run("check", "_posts/2019-06-01-latin1.md", str(two.relative_to(site)))
    assert only.exit_code == 2
    assert only.stderr.count("\n") == 2
    assert only.stdout == (
        "0 problems (0 errors, 0 warnings) in 0 files; 2 files could not be read\n")


def test_format_is_an_alias_of_output_format(site: Path) -> None:
    a = run("check", f"_posts/{DUP}", "--format", "json")
    b = run("check", f"_posts/{DUP}", "--output-format", "json")
    assert a.exit_code == b.exit_code == 1
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)["findings"][0]["code"] == "footnote-shared"


def test_exit_zero_quiet_and_output_file(site: Path) -> None:
    full = run("check", f"_posts/{SWAP}")
    quiet = run("check", f"_posts/{SWAP}", "-q")
    assert quiet.stdout.splitlines() == full.stdout.splitlines()[:-1]
    assert quiet.exit_code == 1
    assert run("check", f"_posts/{SWAP}", "--exit-zero").exit_code == 0
    out = run("check", f"_posts/{SWAP}", "--output-format", "sarif", "-o", "reports/c.sarif")
    assert out.exit_code == 1 and out.stdout == ""
    log = json.loads((site / "reports" / "c.sarif").read_text(encoding="utf-8"))
    assert len(log["runs"][0]["results"]) == 2
    clean = run("check", "_posts/2019-02-12-cells.md", "-q")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_statistics(site: Path) -> None:
    result = run("check", f"_posts/{DUP}", f"_posts/{SWAP}", "--statistics")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"2  footnote-mismatch  [*]  error    {RULES['footnote-mismatch'].summary}",
        f"1  footnote-shared         warning  {RULES['footnote-shared'].summary}",
        f"1  link-empty              warning  {RULES['link-empty'].summary}",
        f"1  url-duplicate           warning  {RULES['url-duplicate'].summary}",
        "[*] catalog check --fix rewrites these",
        "5 problems (2 errors, 3 warnings) in 2 files",
    ]
    doc = json.loads(run("check", f"_posts/{DUP}", f"_posts/{SWAP}", "--statistics",
                         "--format", "json").stdout)
    assert doc["files"] == 2 and doc["unreadable"] == []
    assert doc["statistics"][0] == {
        "code": "footnote-mismatch", "count": 2, "severity": "error", "fixable": True,
        "summary": RULES["footnote-mismatch"].summary,
    }
    assert [s["code"] for s in doc["statistics"]] == [
        "footnote-mismatch", "footnote-shared", "link-empty", "url-duplicate"]
    bad = run("check", f"_posts/{DUP}", "--statistics", "--format", "sarif")
    assert bad.exit_code == 2 and "--statistics prints text or json" in bad.stderr


# ------------------------------------------------------------------------- GitHub


def test_github_annotations(site: Path) -> None:
    result = run("check", "_posts", "--output-format", "github")
    assert result.exit_code == 2  # the latin-1 post
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "::error file=_posts/2019-01-15-swap.md,line=14,col=75,title=footnote-mismatch::"
        '[^1] is about "Adam: A Method for Stochastic Optimization"; this row\'s paper is '
        '"Learning to learn by gradient descent by ..."; use [^2]'
    )
    assert lines[2] == (
        "::warning file=_posts/2019-03-26-url-duplicate.md,line=14,col=101,"
        "title=footnote-shared::[^1] is also cited by the row on line 13"
    )
    assert lines[-1] == (
        "::error file=_posts/2019-06-01-latin1.md,title=unreadable::"
        "_posts/2019-06-01-latin1.md: not UTF-8 (invalid byte 0xe9 on line 2)"
    )
    assert len(lines) == 6  # 5 findings, 1 unreadable post; no summary line


def test_github_escaping_of_data_and_properties() -> None:
    f = Finding("posts/a,b:c%d.md", 3, 4, "link-empty", "warning",
                "100% empty\nlink: [PDF]() , here\r")
    report = Report([f], ["posts/a,b:c%d.md"],
                    [Unreadable("x:y.md", "x:y.md: not UTF-8\n(line 1)")])
    assert render_github(report).splitlines() == [
        "::warning file=posts/a%2Cb%3Ac%25d.md,line=3,col=4,title=link-empty::"
        "100%25 empty%0Alink: [PDF]() , here%0D",
        "::error file=x%3Ay.md,title=unreadable::x:y.md: not UTF-8%0A(line 1)",
    ]


# -------------------------------------------------------------------------- SARIF


def test_sarif_is_valid_and_complete(site: Path) -> None:
    result = run("check", "_posts", "--output-format", "sarif")
    assert result.exit_code == 2
    log = json.loads(result.stdout)
    assert sarif_errors(log) == []
    assert log["version"] == "2.1.0"
    (only,) = log["runs"]
    driver = only["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("catalog", __version__)
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    mismatch = driver["rules"][list(RULES).index("footnote-mismatch")]
    assert mismatch["shortDescription"]["text"] == RULES["footnote-mismatch"].summary
    assert mismatch["help"]["text"] == explain("footnote-mismatch")
    assert "### How to fix" in mismatch["help"]["markdown"]
    assert mismatch["defaultConfiguration"] == {"level": "error"}
    assert only["columnKind"] == "unicodeCodePoints"
    results = only["results"]
    assert len(results) == 5
    first = results[0]
    assert first["ruleId"] == "footnote-mismatch"
    assert driver["rules"][first["ruleIndex"]]["id"] == "footnote-mismatch"
    assert first["level"] == "error"
    assert first["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "_posts/2019-01-15-swap.md"},
        "region": {"startLine": 14, "startColumn": 75}}}]
    assert first["properties"] == {"label": "1", "suggest": "2"}
    assert {r["level"] for r in results if r["ruleId"] == "link-empty"} == {"warning"}
    (invocation,) = only["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].endswith("not UTF-8 (invalid byte 0xe9 on line 2)")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "_posts/2019-06-01-latin1.md")


def test_sarif_of_a_clean_run_and_odd_paths_is_valid(tmp_path: Path) -> None:
    clean = json.loads(render_sarif(Report([], ["a.md"])))
    assert sarif_errors(clean) == []
    assert clean["runs"][0]["results"] == []
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    odd = Finding(str(tmp_path / "my posts" / "ü.md"), 1, 1, "link-empty", "warning", "m")
    rel = Finding("my posts/#1.md", 2, 3, "link-empty", "error", "m")
    log = json.loads(render_sarif(Report([odd, rel], [odd.path, rel.path])))
    assert sarif_errors(log) == []
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]
    assert uris[0] == (tmp_path / "my posts" / "ü.md").as_uri()
    assert uris[1] == "my%20posts/%231.md"
    assert log["runs"][0]["results"][1]["level"] == "error"  # a configured severity


def test_the_schema_check_can_fail() -> None:
    log = json.loads(render_sarif(Report([], [])))
    del log["version"]
    log["runs"][0]["results"] = [{"ruleId": "x", "level": "fatal", "message": {}}]
    errors = sarif_errors(log)
    assert any("'version' is a required property" in e for e in errors)
    assert any("'fatal' is not one of" in e for e in errors)


# -------------------------------------------------------------------------- JUnit


def test_junit_is_valid_and_counts_add_up(site: Path) -> None:
    result = run("check", "_posts", "--output-format", "junit")
    assert result.exit_code == 2
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    JUNIT_XSD.validate(result.stdout)
    root = ET.fromstring(result.stdout)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "5", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [
        "_posts/2019-01-15-swap.md", "_posts/2019-02-12-cells.md",
        "_posts/2019-03-26-url-duplicate.md", "_posts/2019-06-01-latin1.md",
    ]
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(len(c.findall("failure")) for c in cases)
        assert int(suite.get("errors", "")) == sum(len(c.findall("error")) for c in cases)
    swap = suites["_posts/2019-01-15-swap.md"].findall("testcase")
    assert swap[0].get("name") == "footnote-mismatch at line 14, column 75"
    failure = swap[0].find("failure")
    assert failure is not None and failure.get("type") == "footnote-mismatch"
    assert failure.get("message", "").startswith("error: [^1] is about")
    assert (failure.text or "").startswith("_posts/2019-01-15-swap.md:14:75: footnote-mismatch")
    clean = suites["_posts/2019-02-12-cells.md"].findall("testcase")
    assert [(c.get("name"), list(c)) for c in clean] == [("no problems", [])]
    error = suites["_posts/2019-06-01-latin1.md"].find("testcase/error")
    assert error is not None and "not UTF-8" in error.get("message", "")


def test_junit_survives_what_xml_cannot_carry() -> None:
    f = Finding("a.md", 1, 1, "link-empty", "warning", 'ti\x00tle & <b> "q" \x1b\ud800')
    xml = render_junit(Report([f], ["a.md"]))
    JUNIT_XSD.validate(xml)
    failure = ET.fromstring(xml).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'warning: ti\ufffdtle & <b> "q" \ufffd\ufffd'
    empty = render_junit(Report([], []))
    JUNIT_XSD.validate(empty)
    assert ET.fromstring(empty).get("tests") == "0"
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        JUNIT_XSD.validate("<testsuites><testsuite name='x'/></testsuites>")  # no counts


# ---------------------------------------------------------------- real processes


def catalog_command() -> list[str]:
    script = Path(sys.executable).with_name("catalog")
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalog"]


def test_github_format_in_a_real_process(site: Path) -> None:
    done = subprocess.run([*catalog_command(), "check", f"_posts/{SWAP}", "--output-format",
                           "github"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert [ln.split("::")[1].split(",")[0] for ln in done.stdout.splitlines()] == [
        "error file=_posts/2019-01-15-swap.md"] * 2


def test_sarif_output_file_in_a_real_process(site: Path) -> None:
    done = subprocess.run([*catalog_command(), "check", "_posts", "--output-format", "sarif",
                           "-o", "catalog.sarif", "--exit-zero"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2  # the latin-1 post; --exit-zero covers findings only
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "2019-06-01-latin1.md: not UTF-8" in done.stderr
    log = json.loads((site / "catalog.sarif").read_text(encoding="utf-8"))
    assert sarif_errors(log) == [] and len(log["runs"][0]["results"]) == 5

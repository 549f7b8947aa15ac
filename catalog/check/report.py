"""Render one list of findings for people, scripts and CI systems.

``text`` (``path:line:col: code message`` and a summary), ``json`` (one document),
``github`` (workflow commands that annotate a pull request), ``sarif`` (SARIF 2.1.0, for
code scanning), ``junit`` (JUnit XML, for CI systems that show test reports). Files that
could not be read are part of every format. Every renderer returns text without a
trailing newline; none of them imports anything heavy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from catalog.check.codes import RULES
from catalog.check.findings import Finding

__all__ = [
    "FORMATS",
    "Report",
    "Unreadable",
    "render",
    "render_github",
    "render_json",
    "render_junit",
    "render_sarif",
    "render_statistics",
    "render_text",
    "summary_line",
]

FORMATS = ("text", "json", "github", "sarif", "junit")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Unreadable:
    """A post that could not be read, and the one-line reason (it names the file)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Report:
    """What one ``catalog check`` run found: findings, the posts checked, the unreadable."""

    findings: Sequence[Finding]
    checked: Sequence[str]  # paths of the posts that were read and checked
    unreadable: Sequence[Unreadable] = field(default_factory=tuple)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(findings: Sequence[Finding], files: int, unreadable: int = 0) -> str:
    """``"7 problems (5 errors, 2 warnings) in 1 file; 2 files could not be read"``."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    line = (
        f"{_plural(len(findings), 'problem')} ({_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}) in {_plural(files, 'file')}"
    )
    if unreadable:
        line += f"; {_plural(unreadable, 'file')} could not be read"
    return line


def render_text(
    findings: Sequence[Finding],
    files: int,
    unreadable: Sequence[Unreadable] = (),
    *,
    quiet: bool = False,
) -> str:
    """One ``path:line:col: code message`` line per finding, then the summary line
    (``quiet``: findings only). Findings are printed in the order given."""
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in findings]
    if not quiet:
        lines.append(summary_line(findings, files, len(unreadable)))
    return "\n".join(lines)


def _finding_dict(f: Finding) -> dict[str, object]:
    return {
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "label": f.label,
        "suggest": f.suggest,
    }


def render_json(
    findings: Sequence[Finding], files: int, unreadable: Sequence[Unreadable] = ()
) -> str:
    """``{"files": N, "findings": [{path, line, column, code, severity, message, label,
    suggest}, ...], "unreadable": [{path, reason}, ...]}`` (indented, UTF-8 kept).
    ``files`` counts the posts read and checked."""
    doc = {
        "files": files,
        "findings": [_finding_dict(f) for f in findings],
        "unreadable": [{"path": u.path, "reason": u.reason} for u in unreadable],
    }
    import json  # lazy: the text report, the common one, needs none

    return json.dumps(doc, indent=2, ensure_ascii=False)


# ------------------------------------------------------------------------- GitHub


def _gh_data(text: str) -> str:
    # GitHub's toolkit escapes a command's data: % first, then CR and LF.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    # ... and a property value: the same, plus ":" and "," that separate properties.
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands, one per finding (``::error file=...,line=...,
    col=...,title=CODE::message``; warnings as ``::warning``) and one per unreadable post."""
    lines = []
    for f in report.findings:
        level = "error" if f.severity == "error" else "warning"
        lines.append(
            f"::{level} file={_gh_property(f.path)},line={f.line},col={f.column},"
            f"title={_gh_property(f.code)}::{_gh_data(f.message)}"
        )
    for u in report.unreadable:
        lines.append(f"::error file={_gh_property(u.path)},title=unreadable::"
                     f"{_gh_data(u.reason)}")
    return "\n".join(lines)


# -------------------------------------------------------------------------- SARIF


def _uri(path: str) -> str:
    """A SARIF artifact URI: relative paths stay relative (percent-encoded, "/"), absolute
    ones become ``file://`` URIs."""
    from urllib.parse import quote

    pure = PurePath(path)
    if pure.is_absolute():
        from pathlib import Path

        return Path(path).as_uri()
    return quote(pure.as_posix(), safe="/")


def _location(path: str, line: int | None = None, column: int | None = None) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": _uri(path)}}
    if line is not None:
        physical["region"] = {"startLine": line, "startColumn": column or 1}
    return {"physicalLocation": physical}


def _rule_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("-"))


def render_sarif(report: Report) -> str:
    """A SARIF 2.1.0 log: the tool with every rule (help texts from ``--explain``), one
    result per finding with its physical location and level, and a notification per
    unreadable post (the run then did not execute successfully)."""
    from catalog import __version__
    from catalog.check.codes import explain

    order = list(RULES)
    rules = [
        {
            "id": code,
            "name": _rule_name(code),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why},
            "help": {"text": explain(code), "markdown": explain(code, markdown=True)},
            "defaultConfiguration": {"level": rule.severity},
            "properties": {"fixable": rule.fixable},
        }
        for code, rule in RULES.items()
    ]
    results = []
    for f in report.findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": order.index(f.code),
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message},
            "locations": [_location(f.path, f.line, f.column)],
        }
        props = {k: v for k, v in (("label", f.label), ("suggest", f.suggest)) if v is not None}
        if props:
            result["properties"] = props
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": u.reason},
            "locations": [_location(u.path)],
            "descriptor": {"id": "unreadable"},
        }
        for u in report.unreadable
    ]
    invocation: dict[str, object] = {"executionSuccessful": not report.unreadable}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "catalog",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                # Columns count code points of the line, as the post parser does.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    import json

    return json.dumps(log, indent=2, ensure_ascii=False)


# -------------------------------------------------------------------------- JUnit

# Characters XML 1.0 cannot carry even escaped (a post may hold NULs or other controls).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(report: Report) -> str:
    """JUnit XML: a ``<testsuite>`` per post; a ``<testcase>`` per finding (a
    ``<failure>``), one passing ``<testcase>`` for a clean post, and one with an
    ``<error>`` for a post that could not be read."""
    import xml.etree.ElementTree as ET

    by_path: dict[str, list[Finding]] = {p: [] for p in report.checked}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", name="catalog check")
    total = failures = errors = 0
    for path, found in by_path.items():
        suite = ET.SubElement(root, "testsuite", name=_xml(path),
                              tests=str(max(1, len(found))), failures=str(len(found)),
                              errors="0", skipped="0")
        if not found:
            ET.SubElement(suite, "testcase", classname=_xml(path), name="no problems")
        for f in found:
            case = ET.SubElement(suite, "testcase", classname=_xml(path),
                                 name=f"{f.code} at line {f.line}, column {f.column}")
            failure = ET.SubElement(case, "failure", type=f.code,
                                    message=_xml(f"{f.severity}: {f.message}"))
            failure.text = _xml(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
        total += max(1, len(found))
        failures += len(found)
    for u in report.unreadable:
        suite = ET.SubElement(root, "testsuite", name=_xml(u.path), tests="1",
                              failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname=_xml(u.path), name="read the post")
        error = ET.SubElement(case, "error", type="unreadable", message=_xml(u.reason))
        error.text = _xml(u.reason)
        total += 1
        errors += 1
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------- statistics


def _statistics(findings: Sequence[Finding]) -> list[dict[str, object]]:
    counts: dict[str, int] = {}
    severity: dict[str, str] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        if f.severity == "error" or f.code not in severity:
            severity[f.code] = f.severity
    order = sorted(counts, key=lambda c: (-counts[c], c))
    return [
        {"code": c, "count": counts[c], "severity": severity[c],
         "fixable": RULES[c].fixable if c in RULES else False,
         "summary": RULES[c].summary if c in RULES else ""}
        for c in order
    ]


def render_statistics(report: Report, fmt: str = "text", *, quiet: bool = False) -> str:
    """``--statistics``: how many findings of each rule, most frequent first (as ruff's
    ``--statistics``); ``[*]`` marks the rules ``--fix`` rewrites. ``fmt``: text or json."""
    stats = _statistics(report.findings)
    if fmt == "json":
        import json

        return json.dumps(
            {"files": len(report.checked), "statistics": stats,
             "unreadable": [{"path": u.path, "reason": u.reason} for u in report.unreadable]},
            indent=2, ensure_ascii=False,
        )
    lines = []
    if stats:
        n = max(len(str(s["count"])) for s in stats)
        w = max(len(str(s["code"])) for s in stats)
        for s in stats:
            mark = "[*]" if s["fixable"] else "   "
            lines.append(f"{s['count']:>{n}}  {s['code']:<{w}}  {mark}  "
                         f"{s['severity']:<7}  {s['summary']}")
    if not quiet:
        if any(s["fixable"] for s in stats):
            lines.append("[*] catalog check --fix rewrites these")
        lines.append(summary_line(report.findings, len(report.checked),
                                  len(report.unreadable)))
    return "\n".join(lines)


def render(report: Report, fmt: str, *, quiet: bool = False) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "json":
        return render_json(report.findings, len(report.checked), report.unreadable)
    if fmt == "github":
        return render_github(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "junit":
        return render_junit(report)
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}")
    return render_text(report.findings, len(report.checked), report.unreadable, quiet=quiet)

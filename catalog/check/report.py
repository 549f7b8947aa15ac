"""Render findings for people (``path:line:col: code message``) and for scripts (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from catalog.check.findings import Finding

__all__ = ["render_text", "render_json", "summary_line"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(findings: Sequence[Finding], files: int) -> str:
    """``"7 problems (5 errors, 2 warnings) in 1 file"``."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    return (
        f"{_plural(len(findings), 'problem')} ({_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}) in {_plural(files, 'file')}"
    )


def render_text(findings: Sequence[Finding], files: int) -> str:
    """One ``path:line:col: code message`` line per finding, then the summary line.

    Findings are printed in the order given (``check_post`` sorts each file's findings).
    No trailing newline.
    """
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in findings]
    lines.append(summary_line(findings, files))
    return "\n".join(lines)


def render_json(findings: Sequence[Finding], files: int) -> str:
    """``{"files": N, "findings": [{path, line, column, code, severity, message, label,
    suggest}, ...]}`` (indented, UTF-8 kept, no trailing newline)."""
    doc = {
        "files": files,
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "label": f.label,
                "suggest": f.suggest,
            }
            for f in findings
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)

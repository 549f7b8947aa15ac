"""What ``catalog check`` reports: :class:`Finding`, the finding codes, and :class:`KnownPaper`.

Stdlib only: the post parser imports this module to report parse problems.
"""

from __future__ import annotations

from dataclasses import dataclass

# The rules' registry (codes, severities, --explain texts) is catalog.check.codes.
from catalog.check.codes import CODES, SEVERITY, Severity

__all__ = ["CODES", "SEVERITY", "Finding", "KnownPaper", "Severity", "make_finding"]


@dataclass(frozen=True)
class Finding:
    """One problem at a place in a post. ``line`` and ``column`` are 1-based."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    label: str | None = None  # footnote label without "[^" / "]": "1" for [^1]
    suggest: str | None = None  # the label to use instead (footnote codes), else None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


def make_finding(
    path: str,
    line: int,
    column: int,
    code: str,
    message: str,
    *,
    label: str | None = None,
    suggest: str | None = None,
) -> Finding:
    """A finding with the code's default severity (unknown codes are programming errors)."""
    return Finding(
        path=path,
        line=line,
        column=max(1, column),
        code=code,
        severity=SEVERITY[code],
        message=message,
        label=label,
        suggest=suggest,
    )


@dataclass(frozen=True)
class KnownPaper:
    """What the catalog knows about an arXiv paper, supplied by the caller's lookup."""

    arxiv_id: str
    title: str
    abstract: str | None = None

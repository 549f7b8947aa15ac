"""What ``catalog check`` reports: :class:`Finding`, the finding codes, and :class:`KnownPaper`.

Stdlib only: the post parser imports this module to report parse problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CODES", "SEVERITY", "Finding", "KnownPaper", "Severity", "make_finding"]

Severity = Literal["error", "warning"]

# code -> one-line description (the README lists these).
CODES: dict[str, str] = {
    "footnote-undefined": "a row cites a footnote label that no footnote defines",
    "footnote-unused": "a footnote is defined but nothing in the post cites it",
    "footnote-duplicate": "a footnote label is defined more than once",
    "footnote-shared": "two rows cite the same footnote",
    "footnote-mismatch": "the footnote a row cites is about another paper "
    "(suggest: the label of the footnote about the row's paper)",
    "footnote-missing": "a row cites no footnote but one of the footnotes is about its paper",
    "link-empty": "an empty paper link such as [PDF]()",
    "url-duplicate": "the same paper URL appears on rows with different titles",
    "table-malformed": "a table row with more cells than the header, a header "
    "without a separator row, or a table not ended by a blank line",
    "table-short-row": "a table row with fewer cells than the header (rendered with empty "
    "cells)",
    "table-too-large": "a table with more rows than check reads; it is skipped",
    "file-too-large": "a post larger than check reads; it is skipped",
    "unused-suppression": "a catalog: ignore comment that silences no finding",
    "frontmatter-invalid": "the YAML front matter does not parse or is not a mapping",
    "title-mismatch": "the row's title is not the title of the arXiv paper it links to "
    "(a wrong link?)",
    "abstract-mismatch": "the row's own footnote (or quoted abstract) is not the abstract of "
    "the arXiv paper the row links to",
}

SEVERITY: dict[str, Severity] = {
    "footnote-undefined": "error",
    "footnote-unused": "warning",
    "footnote-duplicate": "error",
    "footnote-shared": "warning",
    "footnote-mismatch": "error",
    "footnote-missing": "warning",
    "link-empty": "warning",
    "url-duplicate": "warning",
    "table-malformed": "error",
    "table-short-row": "warning",
    "table-too-large": "error",
    "file-too-large": "error",
    "unused-suppression": "warning",
    "frontmatter-invalid": "error",
    "title-mismatch": "error",
    "abstract-mismatch": "warning",
}


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

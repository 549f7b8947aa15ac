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
    """What the catalog knows about the paper a row links, supplied by the caller's
    lookup: an arXiv paper (``arxiv_id``), or, for a row whose link is a DOI, OpenReview
    or proceedings link, the paper of that identifier (``link``: ``doi:10.1038/...``;
    ``arxiv_id`` is then the paper's arXiv id, or "")."""

    arxiv_id: str
    title: str
    abstract: str | None = None
    link: str | None = None

    @property
    def named(self) -> str:
        """The identifier the row's link carries, as messages name it: ``arXiv:1611.00712``,
        ``doi:10.1038/nature20101``."""
        return self.link or f"arXiv:{self.arxiv_id}"

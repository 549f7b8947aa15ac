"""``catalog serve --posts DIR``: the site's posts linted as ``catalog check DIR`` lints
them: the same discovery, the settings of each post's closest catalog.toml /
pyproject.toml, its suppressions, and the catalog's papers for titles and abstracts.

Findings are kept until a post changes: the files' names, sizes and modification times
are compared on each request (a directory walk, no reading), and only then is
everything checked again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.check.findings import Finding
from catalog.check.report import Report
from catalog.store.catalog import Catalog

if TYPE_CHECKING:
    from catalog.check.rules import Lookup
    from catalog.posts.model import Post

__all__ = ["FileFindings", "Lint", "PostsLinter"]


@dataclass
class FileFindings:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the post could not be read


@dataclass
class Lint:
    report: Report
    files: list[FileFindings]

    @property
    def clean_files(self) -> list[FileFindings]:
        return [f for f in self.files if not f.findings and not f.error]

    @property
    def summary(self) -> str:
        from catalog.check.report import summary_line

        return summary_line(
            self.report.findings, len(self.report.checked), len(self.report.unreadable)
        )


class PostsLinter:
    """Lints ``paths`` (post files and folders) against the catalog, on demand."""

    def __init__(self, paths: tuple[Path, ...], catalog: Catalog) -> None:
        from catalog.check.config import Overrides, Resolver

        self.paths = paths
        self.catalog = catalog
        self.resolver = Resolver(Overrides())
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._result: Lint | None = None

    def files(self) -> list[Path]:
        """The posts ``catalog check`` would check (raises for a bad configuration)."""
        from catalog.check.runner import discover

        return discover(self.paths, self.resolver)

    def lint(self) -> Lint:
        with self._lock:
            files = self.files()
            signature = tuple(_stamp(path) for path in files)
            if self._result is None or signature != self._signature:
                self._result = self._check(files)
                self._signature = signature
            return self._result

    def _check(self, files: list[Path]) -> Lint:
        from catalog.check.match import link_key
        from catalog.check.runner import run_check
        from catalog.importers.posts import catalog_lookup

        def lookup_for(post: Post) -> Lookup:
            keys = [k for r in post.rows for e in r.papers if (k := link_key(e))]
            return catalog_lookup(self.catalog, keys)  # every paper of a row, as check does

        report = run_check(files, self.resolver, lookup_for=lookup_for).report
        by_path = {path: FileFindings(path) for path in report.checked}
        for finding in report.findings:
            by_path.setdefault(finding.path, FileFindings(finding.path)).findings.append(finding)
        for unreadable in report.unreadable:
            by_path[unreadable.path] = FileFindings(unreadable.path, error=unreadable.reason)
        return Lint(report, sorted(by_path.values(), key=lambda f: f.path))


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_size, stat.st_mtime_ns)

"""``catalog serve --posts DIR``: the site's posts linted with ``catalog check``'s library.

Findings are kept until a post changes: the files' names, sizes and modification times
are compared on each request (a directory walk, no reading), and only then is
everything checked again, as ``catalog check DIR`` would.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from catalog.check.findings import Finding
from catalog.store.catalog import Catalog

__all__ = ["FileFindings", "Lint", "PostsLinter"]


@dataclass
class FileFindings:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the file could not be read


@dataclass
class Lint:
    files: list[FileFindings]

    @property
    def findings(self) -> list[Finding]:
        return [f for file in self.files for f in file.findings]

    @property
    def clean_files(self) -> list[FileFindings]:
        return [f for f in self.files if not f.findings and not f.error]

    @property
    def summary(self) -> str:
        from catalog.check.report import summary_line

        return summary_line(self.findings, len(self.files))


class PostsLinter:
    """Lints ``paths`` (post files and folders) against the catalog, on demand."""

    def __init__(self, paths: tuple[Path, ...], catalog: Catalog) -> None:
        self.paths = paths
        self.catalog = catalog
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._result: Lint | None = None

    def _files(self) -> tuple[list[Path], tuple[tuple[str, int, int], ...]]:
        from catalog.posts.discover import find_posts

        files = find_posts(self.paths)
        signature = []
        for path in files:
            try:
                stat = path.stat()
                signature.append((str(path), stat.st_size, stat.st_mtime_ns))
            except OSError:
                signature.append((str(path), -1, -1))
        return files, tuple(signature)

    def lint(self) -> Lint:
        with self._lock:
            files, signature = self._files()
            if self._result is None or signature != self._signature:
                self._result = self._check(files)
                self._signature = signature
            return self._result

    def _check(self, files: list[Path]) -> Lint:
        from catalog.check import check_post
        from catalog.errors import CatalogError
        from catalog.importers.posts import catalog_lookup
        from catalog.posts.parse import read_post

        out = []
        for path in files:
            try:
                post = read_post(path)
            except CatalogError as exc:
                out.append(FileFindings(str(path), error=str(exc)))
                continue
            lookup = catalog_lookup(self.catalog, [r.arxiv_id for r in post.rows if r.arxiv_id])
            out.append(FileFindings(str(path), check_post(post, lookup)))
        return Lint(out)

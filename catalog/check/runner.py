"""One ``catalog check`` run: which posts, their settings, their findings, and ``--fix``.

For each post: the parser's and checker's findings, less the rules its settings leave
out (select / ignore / per-file-ignores), less what its ``catalog: ignore`` comments
silence (plus ``unused-suppression`` for comments that silence nothing), with the
configured severities. ``--fix`` works from those findings only, so a silenced finding
is never "fixed". Posts that cannot be read are counted, not fatal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.check.config import Resolver, Settings
from catalog.check.findings import Finding
from catalog.check.report import Report, Unreadable

if TYPE_CHECKING:
    from catalog.check.rules import Lookup
    from catalog.posts.model import Post

__all__ = ["Outcome", "discover", "findings_for", "run_check"]

LookupFor = Callable[["Post"], "Lookup | None"]


@dataclass
class Outcome:
    """A run's report, plus what ``--fix`` did (or, with ``--diff``, would do)."""

    report: Report
    fixed: list[str] = field(default_factory=list)  # paths rewritten
    diffs: list[str] = field(default_factory=list)  # with --diff: one patch per post


def discover(
    paths: Iterable[str | Path], resolver: Resolver, *, force_exclude: bool = False
) -> list[Path]:
    """The posts to check, in order, each once: files named, and posts in folders that
    no ``exclude`` pattern matches. Files named on the command line are checked even when
    excluded (as in ruff) unless ``force_exclude`` (what pre-commit, naming every changed
    file, needs)."""
    from catalog.posts.discover import find_posts

    found: dict[Path, None] = {}
    for raw in paths:
        named = Path(raw).is_file()
        for path in find_posts([raw]):
            if path in found:
                continue
            if (force_exclude or not named) and resolver.settings_for(path).is_excluded(path):
                continue
            found[path] = None
    return list(found)


def _sort_key(f: Finding) -> tuple[int, int, str, str]:
    return (f.line, f.column, f.code, f.label or "")  # as check_post orders a post


def findings_for(
    post: Post, text: str, settings: Settings, lookup: Lookup | None = None
) -> list[Finding]:
    """The findings ``catalog check`` reports for ``post`` (parsed from ``text``)."""
    from catalog.check.rules import check_post
    from catalog.check.suppress import apply_suppressions, find_suppressions

    enabled = settings.enabled_for(Path(post.path))
    found = [f for f in check_post(post, lookup) if f.code in enabled]
    found = apply_suppressions(found, find_suppressions(text), path=post.path,
                               enabled=enabled)
    out = []
    for f in found:
        severity = settings.severity_of(f.code)
        out.append(f if f.severity == severity else dataclasses.replace(f, severity=severity))
    return sorted(out, key=_sort_key)


def run_check(
    files: Sequence[Path],
    resolver: Resolver,
    *,
    lookup_for: LookupFor | None = None,
    fix: bool = False,
    diff: bool = False,
) -> Outcome:
    """Check ``files`` (from :func:`discover`). With ``fix``, rewrite what ``--fix``
    fixes (files replaced atomically) and report what remains; with ``diff`` too, write
    nothing and collect the patches instead (those posts' findings are not reported)."""
    from catalog.errors import CatalogError
    from catalog.posts.parse import parse_post, read_post_text

    findings: list[Finding] = []
    checked: list[str] = []
    unreadable: list[Unreadable] = []
    outcome = Outcome(Report(findings, checked, unreadable))
    for path in files:
        try:
            post, text = read_post_text(path)  # the text, line endings and all, read once
        except CatalogError as exc:
            unreadable.append(Unreadable(str(path), str(exc)))
            continue
        settings = resolver.settings_for(path)
        lookup = lookup_for(post) if lookup_for is not None else None
        found = findings_for(post, text, settings, lookup)
        if fix and text:
            from catalog.check.fix import fix_post, unified_diff

            fixed = fix_post(text, post, found)
            if fixed != text:
                if diff:
                    outcome.diffs.append(unified_diff(text, fixed, str(path)))
                    checked.append(str(path))
                    continue
                from catalog.fsutil import atomic_write_text

                atomic_write_text(path, fixed)
                outcome.fixed.append(str(path))
                found = findings_for(parse_post(fixed, str(path)), fixed, settings, lookup)
        checked.append(str(path))
        findings.extend(found)
    return outcome

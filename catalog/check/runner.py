"""One ``catalog check`` run: which posts, their settings, their findings, and ``--fix``.

For each post: the parser's and checker's findings, less the rules its settings leave
out (select / ignore / per-file-ignores), less what its ``catalog: ignore`` comments
silence (plus ``unused-suppression`` for comments that silence nothing), with the
configured severities. ``--fix`` works from those findings only, so a silenced finding
is never "fixed". Posts that cannot be read are counted, not fatal.

``catalog check`` shares a run of many posts without a catalog to look papers up in
with a second process (forked: it starts with everything imported) when the machine has
another CPU: each checks half of the posts, in order, and the report is the one a
single process makes. Should anything go wrong (no fork, an error in the second
process), the first process checks those posts itself.
"""

from __future__ import annotations

import dataclasses
import os
import sys
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


# Posts a run must have before a second process checks half of them: forking costs a
# few milliseconds, checking a post about two.
PARALLEL_MIN_POSTS = 16

# What checking one post gives: its findings, or why it could not be read.
_Result = tuple[str, list[Finding]] | Unreadable


def _check_one(path: Path, resolver: Resolver, lookup_for: LookupFor | None) -> _Result:
    from catalog.errors import CatalogError
    from catalog.posts.parse import read_post_text

    try:
        post, text = read_post_text(path)  # the text, line endings and all, read once
    except CatalogError as exc:
        return Unreadable(str(path), str(exc))
    lookup = lookup_for(post) if lookup_for is not None else None
    return str(path), findings_for(post, text, resolver.settings_for(path), lookup)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _check_shared(files: Sequence[Path], resolver: Resolver) -> list[_Result]:
    """Check ``files`` in order, the second half in a forked process."""
    import gc
    import pickle
    import signal

    half = (len(files) + 1) // 2
    mine, theirs = files[:half], files[half:]
    sys.stdout.flush()  # (nothing buffered may be written twice)
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    gc.freeze()  # the collector leaves what both processes hold alone: no copy of it made
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        return [_check_one(path, resolver, None) for path in files]
    if pid == 0:  # the second process: check, send the results, exit at once
        try:
            os.close(read_end)
            data = pickle.dumps([_check_one(path, resolver, None) for path in theirs])
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
        except BaseException:  # noqa: S110 - the first process checks these posts itself
            pass
        finally:
            os._exit(0)
    os.close(write_end)
    incoming = os.fdopen(read_end, "rb")
    done = False
    try:
        results = [_check_one(path, resolver, None) for path in mine]
        data = incoming.read()
        done = True
    finally:
        incoming.close()
        if not done:  # interrupted, or an error: the second process's work is not wanted
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        gc.unfreeze()
    try:
        shared: list[_Result] = pickle.loads(data) if data else []  # noqa: S301 - our child
    except Exception:
        shared = []
    if len(shared) != len(theirs):  # it failed: check its posts here (errors raise here)
        shared = [_check_one(path, resolver, None) for path in theirs]
    return results + shared


def run_check(
    files: Sequence[Path],
    resolver: Resolver,
    *,
    lookup_for: LookupFor | None = None,
    fix: bool = False,
    diff: bool = False,
    share: bool = False,
) -> Outcome:
    """Check ``files`` (from :func:`discover`). With ``fix``, rewrite what ``--fix``
    fixes (files replaced atomically) and report what remains; with ``diff`` too, write
    nothing and collect the patches instead (those posts' findings are not reported).
    ``share``: let a second process check half of many posts (see the module docstring;
    never with ``fix`` or ``lookup_for``): the command line's, not a server's (it forks)."""
    from catalog.errors import CatalogError
    from catalog.posts.parse import parse_post, read_post_text

    findings: list[Finding] = []
    checked: list[str] = []
    unreadable: list[Unreadable] = []
    outcome = Outcome(Report(findings, checked, unreadable))
    if (share and not fix and lookup_for is None and len(files) >= PARALLEL_MIN_POSTS
            and hasattr(os, "fork") and _cpus() > 1):
        for result in _check_shared(files, resolver):
            if isinstance(result, Unreadable):
                unreadable.append(result)
            else:
                checked.append(result[0])
                findings.extend(result[1])
        return outcome
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

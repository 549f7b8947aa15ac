"""``catalog check --fix``: make each row cite its own footnote, touching nothing else.

Only footnote references in rows change: ``[^1]`` becomes ``[^4]`` for a footnote-mismatch
(or a footnote-undefined with a suggestion), and `` [^N]`` is appended to the title text
for a footnote-missing. Every other byte (line endings, trailing spaces, the presence or
absence of a final newline) is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from catalog.check.findings import Finding
from catalog.posts.model import Post

__all__ = ["fix_post", "unified_diff", "FIXABLE"]

FIXABLE = frozenset({"footnote-mismatch", "footnote-undefined", "footnote-missing"})


def fix_post(text: str, post: Post, findings: Sequence[Finding]) -> str:
    """``text`` (the file ``post`` was parsed from) with the row references fixed."""
    bom = 1 if text.startswith("\ufeff") else 0
    lines = text.split("\n")  # the parser numbers lines the same way
    rows = {row.line: row for row in post.rows}
    # line -> [(start, end, replacement)] in 0-based offsets of the line
    edits: dict[int, list[tuple[int, int, str]]] = {}
    suggested: dict[int, set[str]] = {}  # labels a row will cite after the fix
    for f in sorted(findings, key=lambda f: (f.line, f.column)):
        if f.code not in FIXABLE or not f.suggest or f.path != post.path:
            continue
        row = rows.get(f.line)
        if row is None or not 1 <= f.line <= len(lines):
            continue
        done = suggested.setdefault(f.line, set(row.labels))
        shift = bom if f.line == 1 else 0
        line = lines[f.line - 1]
        new = f"[^{f.suggest}]"
        if f.code == "footnote-missing":
            if f.suggest in done:
                continue
            # After the title of the paper the finding names (a row may name several).
            entry = next((e for e in row.papers if e.title_column == f.column), None)
            at = (entry.title_end if entry is not None else row.title_end) + shift
            edits.setdefault(f.line, []).append((at, at, " " + new))
        else:
            if f.label is None:
                continue
            old = f"[^{f.label}]"
            start = f.column - 1 + shift
            if line[start : start + len(old)] != old:
                continue  # the text is not what was parsed: leave it alone
            if f.suggest in done and f.code == "footnote-mismatch" and f.suggest != f.label:
                # The row already cites (or will cite) its own footnote: don't cite it twice.
                if any(f.suggest == r.label for r in row.refs):
                    continue
            edits.setdefault(f.line, []).append((start, start + len(old), new))
        done.add(f.suggest)
    for n, changes in edits.items():
        line = lines[n - 1]
        for start, end, new in sorted(changes, reverse=True):
            line = line[:start] + new + line[end:]
        lines[n - 1] = line
    return "\n".join(lines)


def _keepends(text: str) -> list[str]:
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def unified_diff(old: str, new: str, path: str) -> str:
    """A ``diff -u`` style patch (``a/path`` -> ``b/path`` for relative paths); "" when
    nothing changed."""
    import difflib  # lazy: only --diff needs it

    a, b = (path, path) if path.startswith("/") else (f"a/{path}", f"b/{path}")
    out: list[str] = []
    for line in difflib.unified_diff(_keepends(old), _keepends(new), fromfile=a, tofile=b):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)

"""Suppressions written in a post, invisible when it renders (HTML comments).

- ``<!-- catalog: ignore[code, ...] -->`` silences those codes on its own line: in a table
  row, put it inside any cell (a comment line between two rows would end the table).
  A comment alone on its line also covers the line below (for findings outside tables).
- ``<!-- catalog: ignore-file[code, ...] -->`` anywhere silences those codes in the post.

A suppression that silences nothing is itself a finding, ``unused-suppression`` (as
ruff's RUF100 for ``# noqa``): a code with no finding there, a code that is not enabled
for the post, an unknown code, or a ``catalog:`` comment that does not parse. Comments
in fenced code blocks and in the front matter are not suppressions (they render as text
or are YAML). A comment must open and close on one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from catalog.check.codes import RULES
from catalog.check.findings import Finding, make_finding

__all__ = ["Suppression", "apply_suppressions", "find_suppressions"]

_CATALOG = re.compile(r"^\s*catalog\s*:(.*)$", re.IGNORECASE | re.S)
_DIRECTIVE = re.compile(r"^\s*(ignore-file|ignore)\s*\[([^\[\]]*)\]\s*$", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")  # as the post parser reads fences
_SELF = "unused-suppression"


@dataclass(frozen=True)
class Suppression:
    """One ``catalog:`` comment. ``line`` / ``column`` are 1-based (column of ``<!--``)."""

    line: int
    column: int
    file_level: bool
    codes: tuple[str, ...]
    alone: bool  # nothing but comments on its line: it also covers the line below
    problem: str | None = None  # why the comment is not understood (None: it is)

    @property
    def directive(self) -> str:
        return "ignore-file" if self.file_level else "ignore"


def _lines(text: str) -> list[str]:
    """Lines numbered as the post parser numbers them (BOM and CR of CRLF dropped)."""
    text = text.removeprefix("\ufeff")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def find_suppressions(text: str) -> list[Suppression]:
    """Every ``<!-- catalog: ... -->`` comment in the post's body, in order."""
    if "<!--" not in text:
        return []
    lines = _lines(text)
    start = 0
    if lines and lines[0].rstrip() == "---":  # front matter: YAML, not HTML
        end = next((j for j in range(1, len(lines)) if lines[j].rstrip() in ("---", "...")),
                   None)
        start = end + 1 if end is not None else 1
    found: list[Suppression] = []
    fence: str | None = None
    for i in range(start, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1) == fence:
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        if "<!--" not in line:
            continue
        comments = list(_comments(line))
        mine = [(at, m.group(1)) for at, body in comments if (m := _CATALOG.match(body))]
        if not mine:
            continue
        rest, pos = [], 0
        for at, body in comments:
            rest.append(line[pos:at])
            pos = at + len(body) + 7
        alone = not ("".join(rest) + line[pos:]).strip()
        found.extend(_parse(body, i + 1, at + 1, alone) for at, body in mine)
    return found


def _comments(line: str) -> Iterator[tuple[int, str]]:
    """(offset of "<!--", text inside) of each comment on the line; linear, so a hostile
    line of unclosed "<!--" costs one pass."""
    pos = 0
    while (a := line.find("<!--", pos)) != -1 and (b := line.find("-->", a + 4)) != -1:
        yield a, line[a + 4 : b]
        pos = b + 3


def _parse(body: str, line: int, column: int, alone: bool) -> Suppression:
    m = _DIRECTIVE.match(body)
    if m is None:
        return Suppression(line, column, False, (), alone,
                           problem=f"'catalog:{body.rstrip()}' is not ignore[...] or "
                                   "ignore-file[...]")
    codes = tuple(dict.fromkeys(c.strip() for c in m.group(2).split(",") if c.strip()))
    file_level = m.group(1).lower() == "ignore-file"
    if not codes:
        return Suppression(line, column, file_level, (), alone,
                           problem=f"{m.group(1).lower()}[] names no code")
    return Suppression(line, column, file_level, codes, alone)


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    *,
    path: str,
    enabled: Iterable[str],
) -> list[Finding]:
    """``findings`` less the silenced ones, plus an ``unused-suppression`` finding for each
    comment that silences nothing (when that rule is enabled). Order is kept; the new
    findings are appended."""
    if not suppressions:
        return list(findings)
    enabled = frozenset(enabled)
    by_line: dict[int, list[Suppression]] = {}
    whole = [s for s in suppressions if s.file_level and s.problem is None]
    for s in suppressions:
        if s.file_level or s.problem is not None:
            continue
        by_line.setdefault(s.line, []).append(s)
        if s.alone:
            by_line.setdefault(s.line + 1, []).append(s)
    used: set[tuple[int, str]] = set()  # (index of the suppression, code)
    index = {id(s): k for k, s in enumerate(suppressions)}

    def silenced(f: Finding) -> bool:
        hits = [s for s in (*by_line.get(f.line, ()), *whole) if f.code in s.codes]
        for s in hits:
            used.add((index[id(s)], f.code))
        return bool(hits)

    kept = [f for f in findings if not silenced(f)]
    if _SELF not in enabled:
        return kept
    unused: list[Finding] = []
    for k, s in enumerate(suppressions):
        message = _unused_message(k, s, used, enabled)
        if message is not None:
            unused.append(make_finding(path, s.line, s.column, _SELF, message))
    return kept + [f for f in unused if not silenced(f)]


def _unused_message(
    k: int, s: Suppression, used: set[tuple[int, str]], enabled: frozenset[str]
) -> str | None:
    if s.problem is not None:
        return (f"this catalog: comment does nothing: {s.problem}; write "
                "<!-- catalog: ignore[code, ...] --> or remove it")
    where = "in this post" if s.file_level else (
        "on this line or the next" if s.alone else "on this line")
    parts: list[str] = []
    for code in s.codes:
        if code == _SELF:
            continue  # silencing this rule is never itself reported
        if code not in RULES:
            import difflib

            close = difflib.get_close_matches(code, list(RULES), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            parts.append(f"{code} is no rule{hint}")
        elif code not in enabled:
            parts.append(f"{code} is not enabled for this post")
        elif (k, code) not in used:
            parts.append(f"{code} has no finding {where}")
    if not parts:
        return None
    head = f"{s.directive}[{', '.join(s.codes)}]"
    if len(parts) == len(s.codes):
        return f"{head} silences nothing: {'; '.join(parts)}; remove it"
    return f"{head}: {'; '.join(parts)}; remove {'that code' if len(parts) == 1 else 'those'}"

"""The checks behind ``catalog check``: :func:`check_post`.

Parse findings (frontmatter-invalid, table-malformed, table-short-row, table-too-large,
file-too-large) come from the parser; this module adds the footnote, link and catalog
checks. Footnote checks rest on one assignment of footnotes to the papers the rows name
(see :mod:`catalog.check.match`); a row naming several papers is checked per paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from catalog.check.findings import Finding, KnownPaper, make_finding
from catalog.check.match import (
    ABSTRACT_THRESHOLD,
    TITLE_THRESHOLD,
    EntrySide,
    PostMatch,
    abstract_similarity,
    match_post,
    title_contains,
    title_similarity,
)
from catalog.posts.model import Footnote, FootnoteRef, Post, Row

__all__ = ["check_post", "Lookup", "shorten"]

Lookup = Callable[[str], KnownPaper | None]


def shorten(text: str, limit: int = 48) -> str:
    """``"Synthesizing Programs for Images ..."``: cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",:;")
    return cut + " ..."


def check_post(post: Post, lookup: Lookup | None = None) -> list[Finding]:
    """All findings for a parsed post (parse findings included), sorted by line, column, code.

    ``lookup(key)`` returns what the catalog knows about the paper a row links (``key``:
    :func:`~catalog.check.match.link_key`, its arXiv id or ``doi:...``, ``openreview:...``);
    it enables title-mismatch / abstract-mismatch and matching abstract-only footnotes.
    """
    return _Checker(post, lookup).run()


class _Checker:
    def __init__(self, post: Post, lookup: Lookup | None) -> None:
        self.post = post
        self.lookup = lookup
        self.out: list[Finding] = list(post.findings)
        self.defs: dict[str, Footnote] = {}  # label -> first definition
        for fn in post.footnotes:
            self.defs.setdefault(fn.label, fn)
        self.index_of = {id(fn): j for j, fn in enumerate(post.footnotes)}

    def add(self, line: int, column: int, code: str, message: str, *,
            label: str | None = None, suggest: str | None = None) -> None:
        self.out.append(make_finding(self.post.path, line, column, code, message,
                                     label=label, suggest=suggest))

    def run(self) -> list[Finding]:
        m = match_post(self.post, self.lookup)
        self.catalog_checks(m.entries)
        self.footnote_checks(m)
        self.link_checks()
        return sorted(self.out, key=lambda f: (f.line, f.column, f.code, f.label or ""))

    # -- catalog (lookup) ----------------------------------------------------------

    def catalog_checks(self, infos: list[EntrySide]) -> None:
        for info in infos:
            row, entry, known = info.row, info.entry, info.known
            if known is None:
                continue
            if not info.known_ok:
                link = next((lk for lk in entry.links if lk.url), None)
                self.add(row.line, link.column if link else entry.title_column,
                         "title-mismatch",
                         f'the link is {known.named} "{shorten(known.title)}"; '
                         f'this row\'s title is "{shorten(entry.title)}" (wrong link?)')
                continue
            if entry.abstract and known.abstract:
                ab = abstract_similarity(entry.abstract, known.abstract)
                if ab < ABSTRACT_THRESHOLD:
                    self.add(row.line, entry.title_column, "abstract-mismatch",
                             f"the quoted abstract is not the abstract of "
                             f"{known.named} (word overlap {ab:.2f})")

    # -- footnotes -------------------------------------------------------------------

    def footnote_checks(self, m: PostMatch) -> None:
        post, defs = self.post, self.defs
        fns = post.footnotes
        infos = m.entries
        owner = {j: u for u, j in m.own.items()}  # footnote index -> paper index

        # footnote-duplicate
        first: dict[str, Footnote] = {}
        for fn in fns:
            if fn.label in first:
                self.add(fn.line, fn.column, "footnote-duplicate",
                         f"[^{fn.label}] is defined twice; first on line {first[fn.label].line}",
                         label=fn.label)
            else:
                first[fn.label] = fn

        # footnote-unused
        cited_labels = {ref.label for r in post.rows for ref in r.refs}
        cited_labels |= {ref.label for ref in post.other_refs}
        for label, fn in first.items():
            if label in cited_labels:
                continue
            j = self.index_of[id(fn)]
            about = ""
            if j in owner:
                about = f"; it is about the paper on line {infos[owner[j]].row.line}"
            self.add(fn.line, fn.column, "footnote-unused",
                     f"[^{label}] is not cited{about}", label=label)

        # footnote-shared
        citing: dict[str, int] = {}
        for row in post.rows:
            for label in row.labels:
                if label in citing and label in defs:
                    ref = next(r for r in row.refs if r.label == label)
                    self.add(ref.line, ref.column, "footnote-shared",
                             f"[^{label}] is also cited by the row on line {citing[label]}",
                             label=label)
                else:
                    citing.setdefault(label, row.line)

        for u in range(len(infos)):
            self.entry_footnotes(u, m, owner)

        # References in prose, and in rows outside any paper of theirs.
        loose: list[FootnoteRef] = list(post.other_refs)
        for row in post.rows:
            claimed = {(r.line, r.column) for e in row.papers for r in e.refs}
            loose.extend(r for r in row.refs if (r.line, r.column) not in claimed)
        for ref in loose:
            if ref.label not in defs and ref.cell != "skipped":
                self.add(ref.line, ref.column, "footnote-undefined",
                         f"[^{ref.label}] is cited but no footnote defines it", label=ref.label)

    def entry_footnotes(self, u: int, m: PostMatch, owner: dict[int, int]) -> None:
        info = m.entries[u]
        entry, defs = info.entry, self.defs
        fns = self.post.footnotes
        mine = fns[m.own[u]] if u in m.own else None
        labels = entry.labels
        suggest = mine.label if mine is not None and mine.label not in labels else None

        undefined = [ref for ref in entry.refs if ref.label not in defs]
        for ref in undefined:
            hint = f"; use [^{suggest}]" if suggest else ""
            self.add(ref.line, ref.column, "footnote-undefined",
                     f"[^{ref.label}] is cited but no footnote defines it{hint}",
                     label=ref.label, suggest=suggest)
        if not info.has_paper:
            return

        paper_refs = [ref for ref in entry.refs
                      if ref.label in defs and defs[ref.label].kind != "note"]
        if mine is not None and mine.label in labels:
            self.abstract_check(info, mine)
            return  # it cites its own footnote; other refs may be further papers
        if not paper_refs:
            if mine is not None and not undefined:
                self.add(info.row.line, entry.title_column, "footnote-missing",
                         f'this row cites no footnote; [^{mine.label}] is about its paper '
                         f'"{shorten(mine.title or mine.text)}"',
                         label=None, suggest=mine.label)
            return
        seen: set[str] = set()
        for ref in paper_refs:
            if ref.label in seen:
                continue
            seen.add(ref.label)
            fn = defs[ref.label]
            j = self.index_of[id(fn)]
            cand = m.score(u, j)
            other = owner.get(j)
            if cand.score > 0 and (other is None or mine is None):
                # About this paper too; when another paper has it and this one has no
                # footnote of its own, that is footnote-shared, not a mismatch. A short
                # title ("Neural Architecture Search") citing the footnote that is another
                # row's, while its own is elsewhere, is a mismatch.
                continue
            judged = fn.kind == "paper" or other is not None or cand.abstract_score is not None
            if not judged:
                continue  # an abstract we cannot compare: not called a mismatch
            title = info.side.title or ""
            if other is None and mine is None and fn.title and title_contains(title, fn.title):
                continue  # a shortened title ("FBGAN for DNA") citing the full one: plausible
            self.add(ref.line, ref.column, "footnote-mismatch",
                     self.mismatch_message(ref.label, fn, info, m, other, suggest),
                     label=ref.label, suggest=suggest)

    def mismatch_message(self, label: str, fn: Footnote, info: EntrySide, m: PostMatch,
                         other: int | None, suggest: str | None) -> str:
        if fn.title:
            about = f'[^{label}] is about "{shorten(fn.title)}"'
        elif other is not None:
            theirs = m.entries[other]
            about = (f'[^{label}] holds the abstract of "{shorten(theirs.side.title or "")}" '
                     f"(line {theirs.row.line})")
        else:
            about = f"[^{label}] holds an abstract that is not this paper's"
            if info.known is not None and info.known_ok:
                about += f" ({info.known.named})"
        tail = f"use [^{suggest}]" if suggest else "no footnote is about this paper"
        return f'{about}; this row\'s paper is "{shorten(info.side.title or "")}"; {tail}'

    def abstract_check(self, info: EntrySide, fn: Footnote) -> None:
        known = info.known
        if known is None or not info.known_ok or not known.abstract or not fn.abstract:
            return
        ab = abstract_similarity(fn.abstract, known.abstract)
        if ab >= ABSTRACT_THRESHOLD:
            return
        ref = next(r for r in info.entry.refs if r.label == fn.label)
        self.add(ref.line, ref.column, "abstract-mismatch",
                 f"[^{fn.label}] has the title of this row's paper but its abstract is not "
                 f"the abstract of {known.named} (word overlap {ab:.2f})",
                 label=fn.label)

    # -- links -----------------------------------------------------------------------

    def link_checks(self) -> None:
        first_by_url: dict[str, tuple[Row, str]] = {}  # URL key -> (row, title) first seen
        for row in self.post.rows:
            for link in row.paper_links:
                if not link.url.strip():
                    self.add(link.line, link.column, "link-empty",
                             f"empty link [{link.text}]() for the paper")
            # Each paper of the row with its own links (a row may name several).
            for entry in row.papers or []:
                title = entry.title or row.title
                seen_here: set[str] = set()
                for link in entry.links:
                    key = _url_key(link.url)
                    if key is None or key in seen_here:
                        continue
                    seen_here.add(key)
                    prev = first_by_url.get(key)
                    if prev is None:
                        first_by_url[key] = (row, title)
                        continue
                    prev_row, prev_title = prev
                    if not title or not prev_title:
                        continue
                    if title_similarity(title, prev_title) >= TITLE_THRESHOLD:
                        continue
                    self.add(link.line, link.column, "url-duplicate",
                             f'{link.url} is also the link of "{shorten(prev_title)}" '
                             f"(line {prev_row.line})")


def _url_key(url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    from catalog.posts.inline import arxiv_of_url  # parsed once per URL, with the post

    aid = arxiv_of_url(url)
    if aid is not None:
        return "arxiv:" + aid
    key = re.sub(r"^https?://(www\.)?", "", url, flags=re.I).rstrip("/")
    return key.removesuffix(".pdf").lower()

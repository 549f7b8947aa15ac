"""Parse a reading-group post: front matter, paper tables (or headings), footnotes.

Jekyll posts (YAML front matter), Hugo posts (TOML between ``+++`` lines) and README-style
pages without front matter (one session per file, dated from the file name, the front
matter or the first heading that holds a date). Tables are read by
:mod:`catalog.posts.tables`, front matter by :mod:`catalog.posts.frontmatter`.

The parser never raises on content: broken front matter, malformed tables and a file
over :data:`MAX_POST_BYTES` (or with more than :data:`MAX_FOOTNOTES` footnotes) become
findings in ``Post.findings``. Only :func:`read_post`
raises (:class:`~catalog.errors.PostReadError`) when the file cannot be read as text (a
missing or unreadable file, NUL bytes, bytes that are not UTF-8). Stdlib + PyYAML
(imported lazily) only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

from catalog.check.findings import Finding, make_finding
from catalog.errors import PostReadError
from catalog.posts.frontmatter import read_front_matter
from catalog.posts.inline import (
    NON_PAPER_LINK_TEXT,
    REF,
    clean_title,
    first_arxiv,
    links,
    refs,
)
from catalog.posts.model import Footnote, FootnoteKind, FootnoteRef, Link, PaperEntry, Post, Row
from catalog.posts.tables import COLUMN_NAMES, read_table
from catalog.posts.text import looks_like_venue, split_names, split_title_authors, strip_markup

__all__ = [
    "COLUMN_NAMES",
    "MAX_FOOTNOTES",
    "MAX_POST_BYTES",
    "FootnoteContent",
    "clean_title",
    "parse_footnote_text",
    "parse_post",
    "read_post",
    "read_post_text",
]

# Bytes a post may have for check and import to read it. The largest posts of a real
# site are tens of kilobytes; a larger file is reported (file-too-large) and skipped.
MAX_POST_BYTES = 1_000_000
# Footnote definitions a post may have (real posts have a few dozen); a post with more
# is reported (file-too-large) and skipped, as one over the size limit is.
MAX_FOOTNOTES = 10_000

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_DEF = re.compile(r"^( {0,3})\[\^([^\]\s]+)\]:[ \t]?(.*)$")
_DEF_ANYWHERE = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:", re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^\s*[-+*][ \t]+(.*)$")
_QUOTE = re.compile(r"^\s*>[ \t]?(.*)$")
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_SENTENCE = re.compile(r"[a-z0-9)\]]\.\s+[A-Z]")
_PRESENTER_BULLET = re.compile(
    r"^\s*(?:\*\*)?(?:presenters?|speakers?|presented by)(?:\*\*)?\s*[:\-]\s*(.*)$", re.I
)
_ABSTRACT_BULLET = re.compile(r"^\s*(?:\*\*)?abstract(?:\*\*)?\s*:\s*(.*)$", re.I)
_AUTHORS_BULLET = re.compile(r"^\s*(?:\*\*)?(?:authors?|by)(?:\*\*)?\s*:\s*(.*)$", re.I)
_SURROUNDING_QUOTES = re.compile(r'^[\"“”\']\s*(.*?)\s*[\"“”\']$', re.S)
_HEADING_NUMBER = re.compile(r"^(?:paper\s+)?\d{1,3}\s*[.):]\s+", re.I)
_AUTHOR_SEP = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
# Pages whose name says nothing about the session: their folder names it.
_FOLDER_NAMED = frozenset({"readme", "index", "_index"})
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_FIRST = re.compile(
    r"\b([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_FIRST = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})\b")


def read_post(path: Path) -> Post:
    """Read and parse a post file; PostReadError names the file when it cannot be read.

    A file over :data:`MAX_POST_BYTES` is not parsed: the post returned holds one
    ``file-too-large`` finding and nothing else.
    """
    return read_post_text(path)[0]


def read_post_text(path: Path) -> tuple[Post, str]:
    """:func:`read_post`, and the text it parsed ("" for a file over the size limit), for
    readers that need both (``catalog check``'s suppressions and ``--fix``)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_POST_BYTES + 1)
            size = len(data)
            if size > MAX_POST_BYTES:
                fh.seek(0, 2)
                size = fh.tell()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PostReadError(f"{path}: cannot read post: {reason}") from exc
    if size > MAX_POST_BYTES:
        return _too_large(str(path), size), ""
    nul = data.find(b"\0")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise PostReadError(
            f"{path}: not a text file (NUL byte on line {line}); posts are UTF-8 Markdown"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PostReadError(
            f"{path}: not UTF-8 (invalid byte 0x{data[exc.start]:02x} on line {line})"
        ) from exc
    return parse_post(text, str(path)), text


def parse_post(text: str, path: str) -> Post:
    """Parse a post's text. ``path`` is used for findings, the slug and the date."""
    if len(text) > MAX_POST_BYTES:
        return _too_large(path, len(text.encode("utf-8")))
    if text.count("[^") > MAX_FOOTNOTES:  # no more definitions than that: nothing to count
        footnotes = len(_DEF_ANYWHERE.findall(text))
        if footnotes > MAX_FOOTNOTES:
            return _too_large(path, footnotes, "footnotes", MAX_FOOTNOTES)
    return _Parser(text, path).parse()


def _too_large(path: str, size: int, unit: str = "bytes", limit: int = MAX_POST_BYTES) -> Post:
    slug = post_slug(path)
    verb = "is" if unit == "bytes" else "has"
    finding = make_finding(
        path, 1, 1, "file-too-large",
        f"post {verb} {size:,} {unit}, more than the {limit:,} that check and import read; "
        "it is skipped",
    )
    return Post(path=path, slug=slug, title=slug, front_matter={}, date=_name_date(slug),
                style="table", findings=[finding])


def post_slug(path: str) -> str:
    """The session's slug: the file's name without suffix, or its folder's name for a
    README.md / index.md (a Hugo page bundle, a README-style reading list)."""
    p = PurePath(path)
    if p.stem.lower() in _FOLDER_NAMED and p.parent.name not in ("", ".", ".."):
        return p.parent.name
    return p.stem


def _name_date(slug: str) -> date | None:
    m = _DATED_NAME.match(slug)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return None


def text_date(text: str) -> date | None:
    """A date written in ``text``: ``2019-03-05``, ``March 5, 2019``, ``5 Mar 2019``."""
    for m in _ISO_DATE.finditer(text):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    for m in _MONTH_FIRST.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            try:
                return date(int(m.group(3)), month, int(m.group(2)))
            except ValueError:
                continue
    for m in _DAY_FIRST.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            try:
                return date(int(m.group(3)), month, int(m.group(1)))
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- helpers


def _split_lines(text: str) -> list[str]:
    """Lines split on "\\n" only (as fix.py does), "\\r" of CRLF endings dropped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def _word_count(text: str) -> int:
    return len(text.split())


def _is_abstract_like(text: str) -> bool:
    """Long, or several sentences: an abstract (or a note), not a title."""
    if text.count(" ") > 40:
        return True  # (an abstract's hundreds of words need no counting)
    words = _word_count(text)
    if words > 25:
        return True
    return words > 12 and bool(_SENTENCE.search(text))


def _title_cased(text: str) -> bool:
    if "http" in text or "{{" in text:
        return False
    words = [w for w in re.findall(r"[^\W\d_][\w'-]*", text) if len(w) > 3]
    if len(words) < 2:
        return bool(words) and words[0][0].isupper() and len(text.split()) <= 4
    upper = sum(1 for w in words if w[0].isupper())
    return upper / len(words) >= 0.6


def _slash_cuts(text: str, limit: int = 8) -> list[tuple[int, int]]:
    """Spans of the first ``limit`` segment breaks: a "/" with a space on either side.

    "and/or" and URLs are not breaks. Only the first few matter: once the abstract
    starts, the rest of the text is the abstract.
    """
    cuts: list[tuple[int, int]] = []
    n = len(text)
    i = text.find("/")
    while i != -1 and len(cuts) < limit:
        if (i > 0 and text[i - 1] in " \t") or (i + 1 < n and text[i + 1] in " \t"):
            s, e = i, i + 1
            while s > 0 and text[s - 1] in " \t":
                s -= 1
            while e < n and text[e] in " \t":
                e += 1
            cuts.append((s, e))
        i = text.find("/", i + 1)
    return cuts


class FootnoteContent:
    """What a footnote holds, as :func:`parse_footnote_text` reads it."""

    __slots__ = ("kind", "title", "authors", "venue", "abstract")

    def __init__(self, kind: FootnoteKind, title: str | None = None,
                 authors: list[str] | None = None, venue: str | None = None,
                 abstract: str | None = None) -> None:
        self.kind = kind
        self.title = title
        self.authors: list[str] = authors or []
        self.venue = venue
        self.abstract = abstract


def parse_footnote_text(text: str) -> FootnoteContent:
    """Split a footnote's (markup-stripped) text into title / authors / venue / abstract.

    Shapes: ``Title, Authors / Venue / Abstract``; ``Title / Authors (arxiv ...) / Abstract``;
    ``Title, Authors , arxiv 2017/ Abstract``; ``Title, Venue / Authors / Abstract``; a bare
    abstract; a short note. The first segment is the title only when it is short.
    """
    text = text.strip()
    lowered = text[:10].lower()
    if lowered.startswith("abstract:") or lowered.startswith("abstract -"):
        rest = text[9:].strip(" -:")
        return FootnoteContent("abstract", abstract=rest or None)
    if not text:
        return FootnoteContent("note")
    cuts = _slash_cuts(text)
    bounds = [(0, cuts[0][0] if cuts else len(text))]
    for k, (_, e) in enumerate(cuts):
        bounds.append((e, cuts[k + 1][0] if k + 1 < len(cuts) else len(text)))
    first = text[bounds[0][0]:bounds[0][1]].strip()
    title, authors, venue = split_title_authors(first)
    if _is_abstract_like(title):
        return FootnoteContent("abstract", abstract=text)
    out = FootnoteContent("paper", title=title, authors=list(authors), venue=venue)
    for k in range(1, len(bounds)):
        s, e = bounds[k]
        seg = text[s:e].strip()
        if not seg:
            continue
        last = k == len(bounds) - 1
        bare = _TRAILING_PAREN.sub("", seg).strip() if seg.endswith(")") else seg
        paren = seg[len(bare):].strip().strip("()").strip() if bare != seg else ""
        if _is_abstract_like(seg):
            out.abstract = text[s:].strip()
            break
        if looks_like_venue(seg):
            out.venue = out.venue or seg.strip("() ")
            continue
        names = split_names(bare) if bare else None
        if names is not None:
            if not out.authors:
                out.authors = names
            if paren and looks_like_venue(paren):
                out.venue = out.venue or paren
            continue
        if last:
            out.abstract = seg
            break
        out.venue = out.venue or seg  # a short unrecognised middle segment: venue-ish
    if len(bounds) == 1 and not out.authors and not out.venue and not _title_cased(title):
        return FootnoteContent("note")
    return out


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = _split_lines(text)
        self.findings: list[Finding] = []
        self.rows: list[Row] = []
        self.footnotes: list[Footnote] = []
        self.other_refs: list[FootnoteRef] = []
        self.free: list[int] = []  # 0-based indexes of body lines not in tables/footnotes
        self.tables = 0

    def finding(self, line: int, column: int, code: str, message: str) -> None:
        self.findings.append(make_finding(self.path, line, column, code, message))

    def parse(self) -> Post:
        fm = read_front_matter(self.lines)
        if fm.error is not None:
            self.finding(*fm.error[:2], "frontmatter-invalid", fm.error[2])
        self.body(fm.body)
        style = "table"
        if not self.tables:
            self.heading_rows()
            if self.rows:
                style = "headings"
        claimed = {r.line for r in self.rows}
        for i in self.free:
            if i + 1 not in claimed:
                self.other_refs.extend(refs(self.lines[i], i + 1, 0, "text"))
        slug = post_slug(self.path)
        return Post(
            path=self.path,
            slug=slug,
            title=self.post_title(fm.data, slug),
            front_matter=fm.data,
            date=self.post_date(fm.data, slug),
            style="headings" if style == "headings" else "table",
            rows=self.rows,
            footnotes=self.footnotes,
            findings=sorted(self.findings, key=Finding.sort_key),
            other_refs=self.other_refs,
            body_line=fm.body + 1,
        )

    def post_title(self, fm: dict[str, Any], slug: str) -> str:
        title = fm.get("title")
        if isinstance(title, str | int | float) and str(title).strip():
            return str(title).strip()
        for i in self.free:
            m = _HEADING.match(self.lines[i])
            if m and len(m.group(1)) == 1:
                return strip_markup(m.group(2))
        return slug

    def post_date(self, fm: dict[str, Any], slug: str) -> date | None:
        """From the file name, else the front matter, else the first heading with a date."""
        named = _name_date(slug)
        if named is not None:
            return named
        value = fm.get("date")
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                return None
        if value is not None:
            return None
        for i in self.free:
            line = self.lines[i]
            if line.startswith("#") and _HEADING.match(line):
                found = text_date(line)
                if found is not None:
                    return found
        return None

    def body(self, start: int) -> None:
        lines = self.lines
        n = len(lines)
        i = start
        in_fence: str | None = None
        while i < n:
            line = lines[i]
            fence = _FENCE.match(line)
            if in_fence is not None:
                if fence and fence.group(1) == in_fence:
                    in_fence = None
                i += 1
                continue
            if fence:
                in_fence = fence.group(1)
                i += 1
                continue
            if line.startswith(("[^", " [^", "  [^", "   [^")):
                definition = _DEF.match(line)
                if definition is not None:
                    i = self.footnote(i, definition)
                    continue
            if "|" in line:
                found = read_table(lines, i, self.tables, len(self.rows))
                if found is not None:
                    for line_no, column, code, message in found.findings:
                        self.finding(line_no, column, code, message)
                    if found.is_paper:
                        self.tables += 1
                        self.rows.extend(found.rows)
                    self.other_refs.extend(found.refs)
                    i = found.end
                    continue
            self.free.append(i)
            i += 1

    # -- footnotes

    def footnote(self, i: int, m: re.Match[str]) -> int:
        """Read the footnote whose definition ``m`` starts on line ``i``; the next line's
        index."""
        lines = self.lines
        label = m.group(2)
        parts = [m.group(3)]
        j = i + 1
        while j < len(lines):
            ln = lines[j]
            if not ln.strip():
                # A blank line continues the footnote only before an indented paragraph.
                k = j
                while k < len(lines) and not lines[k].strip():
                    k += 1
                if k < len(lines) and (lines[k].startswith("    ") or lines[k].startswith("\t")):
                    parts.extend([""] * (k - j))
                    j = k
                    continue
                break
            if ln[0] in " \t":
                if _DEF.match(ln):
                    break
                parts.append(ln.strip())
                j += 1
                continue
            if ln.startswith(("[^", "#", "|", "```", "~~~", "---", ">")):
                break
            parts.append(ln.strip())  # lazy continuation of the paragraph
            j += 1
        raw = "\n".join(parts).rstrip()
        text = strip_markup(raw)
        content = parse_footnote_text(text)
        self.footnotes.append(
            Footnote(
                label=label,
                line=i + 1,
                column=len(m.group(1)) + 1,
                raw=raw,
                text=text,
                kind=content.kind,
                title=content.title,
                authors=content.authors,
                venue=content.venue,
                abstract=content.abstract,
                end_line=j,
            )
        )
        return j

    # -- headings-style posts

    def heading_rows(self) -> None:
        lines = self.lines
        free = self.free
        heads = [k for k, i in enumerate(free)
                 if lines[i].startswith("#") and _HEADING.match(lines[i])]
        for pos, k in enumerate(heads):
            i = free[k]
            m = _HEADING.match(lines[i])
            assert m is not None
            if len(m.group(1)) < 2:
                continue
            stop = heads[pos + 1] if pos + 1 < len(heads) else len(free)
            section = [free[x] for x in range(k + 1, stop)]
            row = self.heading_row(i, m, section)
            if row is not None:
                self.rows.append(row)

    def heading_row(self, i: int, m: re.Match[str], section: list[int]) -> Row | None:
        """A heading followed by bullets (links, presenter, authors, abstract, slides)
        and a quoted abstract; a heading with none of these is a section heading."""
        lines = self.lines
        line = i + 1
        text_start = m.start(2)
        heading = m.group(2)
        number = _HEADING_NUMBER.match(heading)
        if number:  # "### 1. Title": the number is not part of the title
            text_start += number.end()
            heading = heading[number.end():]
        found_refs = refs(heading, line, text_start, "paper")
        head_links = links(heading, line, text_start)
        title, authors, venue = clean_title(heading)
        presenter: str | None = None
        paper_links: list[Link] = []
        slides: list[Link] = []
        other: list[Link] = []
        quote: list[str] = []
        abstract_bullet: str | None = None
        authors_bullet: list[str] | None = None
        for j in section:
            ln = lines[j]
            q = _QUOTE.match(ln)
            if q:
                quote.append(q.group(1).strip())
                found_refs.extend(refs(ln, j + 1, 0, "text"))
                continue
            b = _BULLET.match(ln)
            if not b:
                found_refs.extend(refs(ln, j + 1, 0, "text"))
                continue
            body = b.group(1)
            offset = b.start(1)
            found_refs.extend(refs(ln, j + 1, 0, "bullet"))
            found = links(body, j + 1, offset)
            low = body.lower()
            pm = _PRESENTER_BULLET.match(body)
            am = _ABSTRACT_BULLET.match(body)
            um = _AUTHORS_BULLET.match(body)
            if pm:
                presenter = strip_markup(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", pm.group(1)))
                presenter = presenter or None
                other.extend(found)
            elif am:
                abstract_bullet = am.group(1).strip()
            elif um and not found:
                names = strip_markup(REF.sub(" ", um.group(1))).strip().rstrip(".")
                authors_bullet = split_names(names) or [
                    n for n in _AUTHOR_SEP.split(names) if n.strip()
                ]
            elif "slide" in low:
                slides.extend(found)
            elif found:
                for lk in found:
                    (other if lk.text.lower() in NON_PAPER_LINK_TEXT else paper_links).append(lk)
            else:
                stripped = strip_markup(body)
                qm = _SURROUNDING_QUOTES.match(stripped)
                if qm and _word_count(qm.group(1)) > 8:
                    abstract_bullet = qm.group(1)
        paper_links = head_links + paper_links
        abstract = " ".join(q for q in quote if q).strip() or abstract_bullet
        if abstract:
            qm = _SURROUNDING_QUOTES.match(abstract)
            if qm:
                abstract = qm.group(1)
            abstract = strip_markup(abstract)
        if not paper_links and not abstract and not slides and not authors_bullet:
            return None  # a plain section heading, not a talk
        if authors_bullet:
            authors = authors_bullet
        arxiv_id = first_arxiv(paper_links)
        entry = PaperEntry(
            title=title,
            raw_title=heading,
            authors=list(authors),
            venue=venue,
            links=[lk for lk in paper_links if lk.text.lower() not in NON_PAPER_LINK_TEXT],
            refs=list(found_refs),
            arxiv_id=arxiv_id,
            abstract=abstract or None,
            title_column=text_start + 1,
            title_end=m.end(2),
        )
        return Row(
            line=line,
            raw=lines[i],
            presenter=presenter,
            title=title,
            raw_title=heading,
            authors=list(authors),
            venue=venue,
            paper_links=paper_links,
            slides_links=slides,
            other_links=other,
            refs=found_refs,
            arxiv_id=arxiv_id,
            abstract=abstract or None,
            title_column=text_start + 1,
            title_end=m.end(2),
            papers=[entry] if title or paper_links else [],
        )

"""Parse a Jekyll reading-group post: front matter, paper tables (or headings), footnotes.

The parser never raises on content: broken YAML and malformed tables become findings in
``Post.findings``. Only :func:`read_post` raises (:class:`~catalog.errors.PostReadError`)
when the file itself cannot be read. Stdlib + PyYAML (imported lazily) only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

from catalog.check.findings import Finding, make_finding
from catalog.errors import PostReadError
from catalog.posts.model import Cell, Footnote, FootnoteKind, FootnoteRef, Link, Post, Row
from catalog.posts.text import looks_like_venue, split_names, split_title_authors, strip_markup
from catalog.sources.arxiv.ids import arxiv_id_from_url

__all__ = [
    "COLUMN_NAMES",
    "FootnoteContent",
    "clean_title",
    "parse_footnote_text",
    "parse_post",
    "read_post",
]

# Header text (lowercased, markup stripped) -> canonical column name.
COLUMN_NAMES: dict[str, str] = {
    **dict.fromkeys(
        ["presenter", "presenters", "speaker", "speakers", "presented by", "who"], "presenter"
    ),
    **dict.fromkeys(
        ["papers", "paper", "title", "titles", "topic", "topics", "reading", "readings"],
        "paper",
    ),
    **dict.fromkeys(
        ["paper url", "paper urls", "url", "urls", "link", "links", "pdf", "paper link",
         "paper links", "arxiv", "paper pdf"],
        "url",
    ),
    **dict.fromkeys(
        ["our slides", "our presentation", "our presentations", "slides", "presentation",
         "presentations", "our slide"],
        "slides",
    ),
    **dict.fromkeys(["index", "#", "no", "no.", "id", "num"], "index"),
}

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# Lines that start another block (so they end a table without a blank line).
_BLOCK_START = re.compile(
    r"^\s{0,3}(?:```|~~~|>|[-+*]\s|\d{1,9}[.)]\s|(?:[-*_]\s*){3,}$|<|\{:|\{%|\$\$)"
)
_DEF = re.compile(r"^( {0,3})\[\^([^\]\s]+)\]:[ \t]?(.*)$")
_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_SEP_CELL = re.compile(r"^\s*:?-+:?\s*$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^\s*[-+*][ \t]+(.*)$")
_QUOTE = re.compile(r"^\s*>[ \t]?(.*)$")
# [text](url "title") with one level of balanced parentheses in the URL; images excluded.
_LINK = re.compile(
    r"(?<!!)\[([^\[\]]*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"
    r"(?:\s+\"[^\"]*\")?\s*\)"
)
_BARE_URL = re.compile(r"<?(https?://[^\s<>|\]\[()]+(?:\([^\s()]*\)[^\s<>|\]\[()]*)*)>?")
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_SENTENCE = re.compile(r"[a-z0-9)\]]\.\s+[A-Z]")
_GENERIC_LINK_TEXT = frozenset(
    "pdf url link paper arxiv html code slides slide abs abstract here web page site "
    "github video openreview".split()
)
_PRESENTER_BULLET = re.compile(
    r"^\s*(?:\*\*)?(?:presenters?|speakers?|presented by)(?:\*\*)?\s*[:\-]\s*(.*)$", re.I
)
_ABSTRACT_BULLET = re.compile(r"^\s*(?:\*\*)?abstract(?:\*\*)?\s*:\s*(.*)$", re.I)
_NON_PAPER_LINK_TEXT = frozenset("code github video blog website project talk poster".split())
_SURROUNDING_QUOTES = re.compile(r'^[\"“”\']\s*(.*?)\s*[\"“”\']$', re.S)


def read_post(path: Path) -> Post:
    """Read and parse a post file; PostReadError names the file when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PostReadError(f"{path}: cannot read post: {reason}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PostReadError(
            f"{path}: not UTF-8 (invalid byte 0x{data[exc.start]:02x} on line {line})"
        ) from exc
    return parse_post(text, str(path))


def parse_post(text: str, path: str) -> Post:
    """Parse a post's text. ``path`` is used for findings, the slug and the date."""
    return _Parser(text, path).parse()


# --------------------------------------------------------------------------- helpers


def _split_lines(text: str) -> list[str]:
    """Lines split on "\\n" only (as fix.py does), "\\r" of CRLF endings dropped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def _unescaped_pipes(line: str) -> list[int]:
    out = []
    i = line.find("|")
    while i != -1:
        backslashes = 0
        j = i - 1
        while j >= 0 and line[j] == "\\":
            backslashes += 1
            j -= 1
        if backslashes % 2 == 0:
            out.append(i)
        i = line.find("|", i + 1)
    return out


def _cell_spans(line: str) -> list[tuple[int, int]] | None:
    """0-based [start, end) spans of each cell's stripped text; None if not a table line."""
    pipes = _unescaped_pipes(line)
    if not pipes:
        return None
    left = len(line) - len(line.lstrip())
    right = len(line.rstrip())
    bounds = [left - 1] + pipes + [right]
    if pipes[0] == left:
        bounds = bounds[1:]  # leading pipe
    if pipes[-1] == right - 1 and len(bounds) > 1:
        bounds = bounds[:-1]  # trailing pipe
    spans = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        s, e = a + 1, b
        while s < e and line[s].isspace():
            s += 1
        while e > s and line[e - 1].isspace():
            e -= 1
        spans.append((s, e))
    return spans


def _is_separator(line: str) -> bool:
    spans = _cell_spans(line)
    if not spans:
        return False
    return all(_SEP_CELL.match(line[s:e]) for s, e in spans)


def _column_name(header: str) -> str:
    key = strip_markup(header).strip().strip(":").strip().lower()
    return COLUMN_NAMES.get(key, key)


def _links(text: str, line: int, offset: int) -> list[Link]:
    """Markdown links and bare URLs in ``text`` (which starts at 0-based ``offset``)."""
    found: list[tuple[int, Link]] = []
    masked = text
    for m in _LINK.finditer(text):
        found.append((m.start(), Link(m.group(1).strip(), m.group(2).strip(), line,
                                      offset + m.start() + 1)))
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    if "http" in masked:
        for m in _BARE_URL.finditer(masked):
            found.append((m.start(), Link("", m.group(1), line, offset + m.start() + 1)))
    found.sort(key=lambda t: t[0])
    return [lk for _, lk in found]


def _refs(text: str, line: int, offset: int, cell: str) -> list[FootnoteRef]:
    if "[^" not in text:
        return []
    return [FootnoteRef(m.group(1), line, offset + m.start() + 1, cell)
            for m in _REF.finditer(text)]


def clean_title(text: str) -> tuple[str, list[str], str | None]:
    """A paper cell's text -> (title, authors, venue).

    Footnote refs and bare URLs go; ``[Title](url)`` keeps its text unless the text is a
    generic word like "PDF"; venue suffixes and trailing author lists are peeled off.
    """
    text = _REF.sub(" ", text)

    def link_text(m: re.Match[str]) -> str:
        t = m.group(1).strip()
        return " " if t.lower() in _GENERIC_LINK_TEXT else t

    text = _LINK.sub(link_text, text)
    if "http" in text:
        text = _BARE_URL.sub(" ", text)
    text = strip_markup(text)
    text = text.strip(" -–—:;")
    if not text:
        return "", [], None
    title, authors, venue = split_title_authors(text)
    return title.strip(" -–—:;"), list(authors), venue


def _word_count(text: str) -> int:
    return len(text.split())


def _is_abstract_like(text: str) -> bool:
    """Long, or several sentences: an abstract (or a note), not a title."""
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


@dataclass
class FootnoteContent:
    """What a footnote holds, as :func:`parse_footnote_text` reads it."""

    kind: FootnoteKind
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    abstract: str | None = None


def parse_footnote_text(text: str) -> FootnoteContent:
    """Split a footnote's (markup-stripped) text into title / authors / venue / abstract.

    Shapes: ``Title, Authors / Venue / Abstract``; ``Title / Authors (arxiv ...) / Abstract``;
    ``Title, Authors , arxiv 2017/ Abstract``; ``Title, Venue / Authors / Abstract``; a bare
    abstract; a short note. The first segment is the title only when it is short.
    """
    text = text.strip()
    lowered = text.lower()
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
        self.fenced: set[int] = set()
        self.tables = 0

    def finding(self, line: int, column: int, code: str, message: str) -> None:
        self.findings.append(make_finding(self.path, line, column, code, message))

    # -- front matter

    def front_matter(self) -> tuple[dict[str, Any], int]:
        lines = self.lines
        if not lines or lines[0].rstrip() != "---":
            return {}, 0
        end = next((j for j in range(1, len(lines)) if lines[j].rstrip() in ("---", "...")),
                   None)
        if end is None:
            self.finding(1, 1, "frontmatter-invalid",
                         "front matter opened on line 1 is never closed with '---'")
            return {}, 1
        source = "\n".join(lines[1:end])
        import yaml  # lazy: only posts with front matter pay for it

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if exc.context_mark is not None and "end of stream" in problem:
                # "found unexpected end of stream": where the construct began says more.
                mark = exc.context_mark
            if exc.context and exc.context != problem:
                problem = f"{exc.context}, {problem}"
            line = mark.line + 2 if mark is not None else 1
            column = mark.column + 1 if mark is not None else 1
            line = min(max(line, 2), end)
            self.finding(line, column, "frontmatter-invalid",
                         f"front matter is not valid YAML: {problem}")
            return {}, end + 1
        except yaml.YAMLError as exc:
            self.finding(1, 1, "frontmatter-invalid", f"front matter is not valid YAML: {exc}")
            return {}, end + 1
        if data is None:
            return {}, end + 1
        if not isinstance(data, dict):
            self.finding(2, 1, "frontmatter-invalid",
                         f"front matter is a {type(data).__name__}, not a mapping of keys")
            return {}, end + 1
        return {str(k): v for k, v in data.items()}, end + 1

    # -- body

    def parse(self) -> Post:
        fm, body = self.front_matter()
        self.body(body)
        style = "table"
        if not self.tables:
            self.heading_rows()
            if self.rows:
                style = "headings"
        claimed = {r.line for r in self.rows}
        for i in self.free:
            if i + 1 not in claimed:
                self.other_refs.extend(_refs(self.lines[i], i + 1, 0, "text"))
        slug = PurePath(self.path).stem
        return Post(
            path=self.path,
            slug=slug,
            title=self.post_title(fm, slug),
            front_matter=fm,
            date=self.post_date(fm, slug),
            style="headings" if style == "headings" else "table",
            rows=self.rows,
            footnotes=self.footnotes,
            findings=sorted(self.findings, key=Finding.sort_key),
            other_refs=self.other_refs,
            body_line=body + 1,
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

    @staticmethod
    def post_date(fm: dict[str, Any], slug: str) -> date | None:
        m = _DATED_NAME.match(slug)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                pass
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
                self.fenced.add(i)
                if fence and fence.group(1) == in_fence:
                    in_fence = None
                i += 1
                continue
            if fence:
                in_fence = fence.group(1)
                self.fenced.add(i)
                i += 1
                continue
            if line.startswith(("[^", " [^", "  [^", "   [^")) and _DEF.match(line):
                i = self.footnote(i)
                continue
            if "|" in line:
                end = self.table(i)
                if end is not None:
                    i = end
                    continue
            self.free.append(i)
            i += 1

    # -- footnotes

    def footnote(self, i: int) -> int:
        lines = self.lines
        m = _DEF.match(lines[i])
        assert m is not None
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

    # -- tables

    def table(self, i: int) -> int | None:
        """Parse a table whose header is line ``i``; return the index after it, or None."""
        lines = self.lines
        header = lines[i]
        spans = _cell_spans(header)
        if not spans:
            return None
        headers = [header[s:e] for s, e in spans]
        names = [_column_name(h) for h in headers]
        has_sep = i + 1 < len(lines) and "|" in lines[i + 1] and _is_separator(lines[i + 1])
        is_paper = "paper" in names
        if not has_sep:
            recognised = sum(1 for nm in names if nm in COLUMN_NAMES.values())
            if not (is_paper and recognised >= 2 and header.lstrip().startswith("|")):
                return None
            self.finding(i + 1, 1, "table-malformed",
                         "table header has no separator row (| --- | --- |) after it")
            first = i + 1
        else:
            sep_spans = _cell_spans(lines[i + 1]) or []
            if len(sep_spans) != len(spans):
                self.finding(i + 2, 1, "table-malformed",
                             f"separator row has {len(sep_spans)} cells; "
                             f"the header has {len(spans)}")
            first = i + 2
        if is_paper:
            self.tables += 1
        j = first
        while j < len(lines):
            ln = lines[j]
            if not ln.strip():
                break
            cells = _cell_spans(ln)
            if _DEF.match(ln) or _HEADING.match(ln) or (cells is None and _BLOCK_START.match(ln)):
                break  # another block ends the table (kramdown IAL "{: .x}" included)
            if cells is None:
                self.finding(j + 1, 1, "table-malformed",
                             f"table ending on line {j} is not followed by a blank line; "
                             "this line would render as a table row")
                break
            if _is_separator(ln):
                j += 1
                continue
            if is_paper:
                self.table_row(j, cells, headers, names)
            else:
                self.other_refs.extend(_refs(ln, j + 1, 0, "text"))
            j += 1
        if not is_paper:
            self.other_refs.extend(_refs(header, i + 1, 0, "text"))
        return j

    def table_row(
        self, j: int, spans: list[tuple[int, int]], headers: list[str], names: list[str]
    ) -> None:
        ln = self.lines[j]
        if all(s == e for s, e in spans):
            return  # an empty row "| | |"
        if len(spans) != len(headers):
            self.finding(j + 1, 1, "table-malformed",
                         f"row has {len(spans)} cells; the header has {len(headers)}")
        cells: list[Cell] = []
        for k, (s, e) in enumerate(spans):
            if k < len(names):
                cells.append(Cell(names[k], headers[k].strip(), ln[s:e], s, e))
            else:
                cells.append(Cell("extra", "", ln[s:e], s, e))
        line = j + 1
        presenter: str | None = None
        raw_title = ""
        title, authors, venue = "", list[str](), None
        title_column, title_end = 1, len(ln.rstrip())
        paper_links: list[Link] = []
        cell_links: list[Link] = []
        slides: list[Link] = []
        other: list[Link] = []
        refs: list[FootnoteRef] = []
        index: str | None = None
        seen_paper = False
        for cell in cells:
            refs.extend(_refs(cell.text, line, cell.start, cell.name))
            links = _links(cell.text, line, cell.start)
            if cell.name == "presenter":
                who = strip_markup(_REF.sub(" ", cell.text))
                presenter = presenter or (who or None)
                other.extend(links)
            elif cell.name == "paper" and not seen_paper:
                seen_paper = True
                raw_title = cell.text
                title, authors, venue = clean_title(cell.text)
                title_column, title_end = cell.start + 1, cell.end
                cell_links.extend(links)
            elif cell.name == "url":
                paper_links.extend(links)
            elif cell.name == "slides":
                slides.extend(links)
            elif cell.name == "index":
                index = strip_markup(_REF.sub(" ", cell.text)) or None
                other.extend(links)
            else:
                other.extend(links)
        paper_links.extend(cell_links)
        self.rows.append(
            Row(
                line=line,
                raw=ln,
                presenter=presenter,
                title=title,
                raw_title=raw_title,
                authors=authors,
                venue=venue,
                paper_links=paper_links,
                slides_links=slides,
                other_links=other,
                refs=refs,
                arxiv_id=_first_arxiv(paper_links),
                index=index,
                cells=cells,
                table=self.tables - 1,
                title_column=title_column,
                title_end=title_end,
            )
        )

    # -- headings-style posts

    def heading_rows(self) -> None:
        lines = self.lines
        free = self.free
        heads = [k for k, i in enumerate(free) if _HEADING.match(lines[i])]
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
        lines = self.lines
        line = i + 1
        text_start = m.start(2)
        heading = m.group(2)
        refs = _refs(heading, line, text_start, "paper")
        head_links = _links(heading, line, text_start)
        title, authors, venue = clean_title(heading)
        presenter: str | None = None
        paper_links: list[Link] = []
        slides: list[Link] = []
        other: list[Link] = []
        quote: list[str] = []
        abstract_bullet: str | None = None
        for j in section:
            ln = lines[j]
            q = _QUOTE.match(ln)
            if q:
                quote.append(q.group(1).strip())
                refs.extend(_refs(ln, j + 1, 0, "text"))
                continue
            b = _BULLET.match(ln)
            if not b:
                refs.extend(_refs(ln, j + 1, 0, "text"))
                continue
            body = b.group(1)
            offset = b.start(1)
            refs.extend(_refs(ln, j + 1, 0, "bullet"))
            links = _links(body, j + 1, offset)
            low = body.lower()
            pm = _PRESENTER_BULLET.match(body)
            am = _ABSTRACT_BULLET.match(body)
            if pm:
                presenter = strip_markup(_LINK.sub(r"\1", pm.group(1))) or None
                other.extend(links)
            elif am:
                abstract_bullet = am.group(1).strip()
            elif "slide" in low:
                slides.extend(links)
            elif links:
                for lk in links:
                    (other if lk.text.lower() in _NON_PAPER_LINK_TEXT else paper_links).append(lk)
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
        if not paper_links and not abstract and not slides:
            return None  # a plain section heading, not a talk
        return Row(
            line=line,
            raw=lines[i],
            presenter=presenter,
            title=title,
            raw_title=heading,
            authors=authors,
            venue=venue,
            paper_links=paper_links,
            slides_links=slides,
            other_links=other,
            refs=refs,
            arxiv_id=_first_arxiv(paper_links),
            abstract=abstract or None,
            title_column=text_start + 1,
            title_end=m.end(2),
        )


def _first_arxiv(links: list[Link]) -> str | None:
    for link in links:
        if link.url:
            aid = arxiv_id_from_url(link.url)
            if aid is not None:
                return aid.id
    return None


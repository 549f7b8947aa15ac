"""Tables of papers: which lines are a table, which column holds the papers, and the
papers each row names.

* The paper column is found by its header (``Papers``, ``Title``, ``Topic``, and names
  that hold such a word: ``Title & Link``, ``Paper Title (Conf/Year)``), and when the
  header says nothing familiar, or two columns could be it (``Topic`` and ``Paper``), by
  what its cells hold: titles with paper links, ``[title](url)`` cells.
* A paper cell may name several papers: separated by ``<br>``, by `` + ``, or one
  titled link each. A part that holds only authors or a venue belongs to the paper
  before it. The URL column's links go to the papers in order when it lists as many.
* A row with fewer cells than the header is read with the missing cells empty (GFM and
  kramdown render it so: ``table-short-row``, a warning); more cells than the header,
  or a header without a separator row, is ``table-malformed``. A header without a
  separator row is a table only when at least two of its names are familiar and one of
  them is the papers or their URLs.
* A table of more than :data:`MAX_TABLE_ROWS` rows, or one that takes the post past
  :data:`MAX_POST_ROWS`, is not read (``table-too-large``); its footnote references
  still count as citations.
"""

from __future__ import annotations

import re

from catalog.posts.inline import (
    REF,
    clean_title,
    first_arxiv,
    is_paper_link,
    links,
    refs,
    title_link_text,
)
from catalog.posts.model import Cell, FootnoteRef, Link, PaperEntry, Row
from catalog.posts.text import looks_like_name, looks_like_venue, split_names, strip_markup

__all__ = [
    "COLUMN_NAMES",
    "MAX_COLUMNS",
    "MAX_POST_ROWS",
    "MAX_TABLE_ROWS",
    "NO_SEPARATOR",
    "SKIPPED",
    "TableRead",
    "cell_spans",
    "column_name",
    "is_separator",
    "read_table",
]

# Rows a table may have for check and import to read it. Reading-group tables have a
# few dozen; 3,000 rows took 45 s and 1.7 GB before the limit.
MAX_TABLE_ROWS = 1000
# Rows all the tables of one post may have together; a table that would go past it is
# not read either (a post of a dozen full tables is no post: it would take seconds).
MAX_POST_ROWS = 2000
# Cells a table line may have; a line with more is not read as table cells.
MAX_COLUMNS = 64

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
    **dict.fromkeys(["abstract", "abstracts", "summary"], "abstract"),
}
# Words that name a column inside a longer header, in the order they are tried:
# "Title & Link" holds the titles (and their links), "Slides Link" the slides.
_HEADER_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("paper papers title titles topic topics reading readings".split()), "paper"),
    (frozenset("presenter presenters speaker speakers presented".split()), "presenter"),
    (frozenset("slide slides".split()), "slides"),
    (frozenset("url urls link links pdf arxiv".split()), "url"),
    (frozenset("abstract abstracts".split()), "abstract"),
    (frozenset(["index"]), "index"),
)
_KNOWN = frozenset(COLUMN_NAMES.values())
_NOT_PAPER = frozenset({"presenter", "url", "slides", "index", "abstract"})
# A column picked by what it holds must hold paper-like cells at least this often.
_CONTENT_THRESHOLD = 0.5
_CONTENT_SAMPLE = 50  # rows looked at to judge a column

# The table-malformed message for a header without a separator row: import reads such
# a table's rows all the same, and says so.
NO_SEPARATOR = (
    "table header has no separator row (| --- | --- |) after it, so it does not render as "
    "a table; add one"
)

# The ``cell`` of the references in a table that is not read (table-too-large).
SKIPPED = "skipped"

_SEP_CELL = re.compile(r"^\s*:?-+:?\s*$")
_SEP_CHARS = re.compile(r"^[\s|:-]+$")
_DEF = re.compile(r"^( {0,3})\[\^([^\]\s]+)\]:")
_HEADING = re.compile(r"^#{1,6}[ \t]")
# Lines that start another block (so they end a table without a blank line).
_BLOCK_START = re.compile(
    r"^\s{0,3}(?:```|~~~|>|[-+*]\s|\d{1,9}[.)]\s|(?:[-*_]\s*){3,}$|<|\{:|\{%|\$\$)"
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PLUS = re.compile(r"\s\+\s")


# --------------------------------------------------------------------------- cells


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


def cell_spans(line: str) -> list[tuple[int, int]] | None:
    """0-based [start, end) spans of each cell's stripped text; None if not a table line
    (no pipe, or more than :data:`MAX_COLUMNS` cells)."""
    if "|" not in line or line.count("|") > MAX_COLUMNS + 1:
        return None
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


def is_separator(line: str) -> bool:
    """``| --- | :---: |``: the separator row under a header."""
    if "-" not in line or not _SEP_CHARS.match(line):
        return False  # (most lines: one look at the first characters)
    spans = cell_spans(line)
    if not spans:
        return False
    return all(_SEP_CELL.match(line[s:e]) for s, e in spans)


def column_name(header: str) -> str:
    """A header's canonical name (``paper``, ``presenter``, ``url``, ``slides``, ``index``,
    ``abstract``), or the header itself, lowercased."""
    key = strip_markup(header).strip().strip(":").strip().lower()
    if key in COLUMN_NAMES:
        return COLUMN_NAMES[key]
    words = set(re.findall(r"[a-z]+", key))
    for vocabulary, name in _HEADER_WORDS:
        if words & vocabulary:
            return name
    return key


# --------------------------------------------------------------------------- tables


class TableRead:
    """One table, as :func:`read_table` found it."""

    def __init__(self, end: int) -> None:
        self.end = end  # 0-based index of the first line after the table
        self.rows: list[Row] = []
        self.refs: list[FootnoteRef] = []  # refs outside paper rows
        self.findings: list[tuple[int, int, str, str]] = []  # line, column, code, message
        self.is_paper = False  # a table of talks (its rows are ``rows``)


def read_table(
    lines: list[str], i: int, table: int, rows_before: int = 0
) -> TableRead | None:
    """The table whose header is ``lines[i]``, or None when that line starts no table.

    ``table`` is the number given to its rows (``Row.table``) if it is a paper table;
    ``rows_before`` the rows of the post's tables above it (see :data:`MAX_POST_ROWS`).
    """
    header = lines[i]
    spans = cell_spans(header)
    if not spans:
        return None
    headers = [header[s:e] for s, e in spans]
    names = [column_name(h) for h in headers]
    has_sep = i + 1 < len(lines) and is_separator(lines[i + 1])
    out = TableRead(end=i + 1)
    if not has_sep:
        recognised = [nm for nm in names if nm in _KNOWN]
        if len(recognised) < 2 or not ({"paper", "url"} & set(recognised)):
            return None
        out.findings.append((i + 1, 1, "table-malformed", NO_SEPARATOR))
        first = i + 1
    else:
        sep_spans = cell_spans(lines[i + 1]) or []
        if len(sep_spans) != len(spans):
            out.findings.append((i + 2, 1, "table-malformed",
                                 f"separator row has {len(sep_spans)} cells; "
                                 f"the header has {len(spans)}"))
        first = i + 2

    # The table's extent, before reading any row: an over-long table is not read.
    body: list[int] = []
    j = first
    while j < len(lines):
        ln = lines[j]
        if not ln.strip():
            break
        if _DEF.match(ln) or _HEADING.match(ln):
            break  # another block ends the table
        if "|" not in ln:
            if not _BLOCK_START.match(ln):  # kramdown IAL "{: .x}" and the like end it
                out.findings.append((j + 1, 1, "table-malformed",
                                     f"table ending on line {j} is not followed by a blank "
                                     "line; this line would render as a table row"))
            break
        if not is_separator(ln):
            body.append(j)
        j += 1
    out.end = j

    named = [k for k, nm in enumerate(names) if nm == "paper"]
    too_large = None
    if len(body) > MAX_TABLE_ROWS:
        too_large = (f"table has {len(body):,} rows, more than the {MAX_TABLE_ROWS:,} that "
                     "check and import read; it is skipped (split it)")
    elif rows_before + len(body) > MAX_POST_ROWS:
        too_large = (f"table has {len(body):,} rows; with the {rows_before:,} above it, the "
                     f"post has more than the {MAX_POST_ROWS:,} that check and import read; "
                     "it is skipped (split the post)")
    if too_large is not None:
        out.findings.append((i + 1, 1, "table-too-large", too_large))
        out.is_paper = bool(named)
        for k in [i, *body]:  # citations all the same; but no finding of their own
            out.refs.extend(refs(lines[k], k + 1, 0, SKIPPED))
        return out

    row_spans = {k: cell_spans(lines[k]) for k in body}
    paper = _paper_column(lines, names, headers, row_spans)
    if paper is None:
        for k in [i, *body]:
            out.refs.extend(refs(lines[k], k + 1, 0, "text"))
        return out
    out.is_paper = True
    names = [
        "paper" if k == paper else (strip_markup(h).strip().lower() if nm == "paper" else nm)
        for k, (nm, h) in enumerate(zip(names, headers, strict=True))
    ]
    for k in body:
        cells = row_spans[k]
        if cells is None:  # more than MAX_COLUMNS cells
            out.findings.append((k + 1, 1, "table-malformed",
                                 f"row has more than {MAX_COLUMNS} cells; the header has "
                                 f"{len(headers)}"))
            out.refs.extend(refs(lines[k], k + 1, 0, "text"))
            continue
        row = _row(lines[k], k, cells, headers, names, table, out)
        if row is not None:
            out.rows.append(row)
    return out


def _paper_column(
    lines: list[str],
    names: list[str],
    headers: list[str],
    row_spans: dict[int, list[tuple[int, int]] | None],
) -> int | None:
    """The index of the column that holds the papers, or None (not a table of papers)."""
    exact = [k for k, h in enumerate(headers)
             if COLUMN_NAMES.get(strip_markup(h).strip().strip(":").strip().lower()) == "paper"]
    named = [k for k, nm in enumerate(names) if nm == "paper"]
    if len(exact) == 1 and len(named) == 1:
        return exact[0]  # the common case: one "Papers" column, nothing to weigh
    sample = [(k, sp) for k, sp in list(row_spans.items())[:_CONTENT_SAMPLE] if sp]
    if not sample:
        return exact[0] if exact else None
    scores = {c: _content_score(lines, sample, c) for c in range(len(headers))
              if names[c] not in _NOT_PAPER}
    if named:
        best = max(named, key=lambda c: (scores.get(c, 0.0), c in exact, -c))
        if best in exact or scores.get(best, 0.0) >= _CONTENT_THRESHOLD:
            return best
    candidates = [c for c, s in scores.items() if s >= _CONTENT_THRESHOLD]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (scores[c], -c))


def _content_score(
    lines: list[str], sample: list[tuple[int, list[tuple[int, int]]]], column: int
) -> float:
    """How much a column's cells look like papers: 1 for a titled link, 0.5 for a
    title, 0 otherwise, averaged over its non-empty cells (none: 0)."""
    total, count = 0.0, 0
    for k, spans in sample:
        if column >= len(spans):
            continue
        s, e = spans[column]
        text = lines[k][s:e]
        if not text.strip():
            continue
        count += 1
        total += _cell_score(text, k + 1, s)
    return total / count if count else 0.0


def _cell_score(text: str, line: int, offset: int) -> float:
    if any(title_link_text(lk.text) and lk.url for lk in links(text, line, offset)):
        return 1.0
    title, _authors, _venue = clean_title(text)
    words = [w for w in title.split() if any(ch.isalpha() for ch in w)]
    if len(words) >= 2 and not looks_like_name(title) and not looks_like_venue(title):
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- rows


def _row(
    ln: str,
    j: int,
    spans: list[tuple[int, int]],
    headers: list[str],
    names: list[str],
    table: int,
    out: TableRead,
) -> Row | None:
    if all(s == e for s, e in spans):
        return None  # an empty row "| | |"
    line = j + 1
    if len(spans) > len(headers):
        out.findings.append((line, 1, "table-malformed",
                             f"row has {len(spans)} cells; the header has {len(headers)}"))
    elif len(spans) < len(headers):
        out.findings.append((line, 1, "table-short-row",
                             f"row has {len(spans)} cells; the header has {len(headers)} "
                             "(the missing cells render empty)"))
    cells: list[Cell] = []
    for k, (s, e) in enumerate(spans):
        if k < len(names):
            cells.append(Cell(names[k], headers[k].strip(), ln[s:e], s, e))
        else:
            cells.append(Cell("extra", "", ln[s:e], s, e))
    end = len(ln.rstrip())
    for k in range(len(spans), len(headers)):  # a short row: its missing cells are empty
        cells.append(Cell(names[k], headers[k].strip(), "", end, end))

    presenter: str | None = None
    paper_cell: Cell | None = None
    cell_links: list[Link] = []
    url_cells: list[tuple[Cell, list[Link]]] = []
    slides: list[Link] = []
    other: list[Link] = []
    row_refs: list[FootnoteRef] = []
    index: str | None = None
    abstract: str | None = None
    for cell in cells:
        row_refs.extend(refs(cell.text, line, cell.start, cell.name))
        found = links(cell.text, line, cell.start)
        if cell.name == "presenter":
            who = strip_markup(REF.sub(" ", cell.text))
            presenter = presenter or (who or None)
            other.extend(found)
        elif cell.name == "paper" and paper_cell is None:
            paper_cell = cell
            cell_links = found
        elif cell.name == "url":
            url_cells.append((cell, found))
        elif cell.name == "slides":
            slides.extend(found)
        elif cell.name == "index":
            index = strip_markup(REF.sub(" ", cell.text)) or None
            other.extend(found)
        elif cell.name == "abstract":
            abstract = abstract or strip_markup(REF.sub(" ", cell.text)) or None
            other.extend(found)
        else:
            other.extend(found)
    paper_links = [lk for _, found in url_cells for lk in found] + cell_links
    entries = _entries(ln, line, paper_cell, url_cells, row_refs, paper_links, abstract)
    if paper_cell is not None:
        raw_title = paper_cell.text
        title_column, title_end = paper_cell.start + 1, paper_cell.end
    else:
        raw_title, title_column, title_end = "", 1, end
    if len(entries) == 1:
        title, authors, venue = entries[0].title, entries[0].authors, entries[0].venue
    else:
        title = "; ".join(e.title for e in entries if e.title)
        authors, venue = [], None
        if not title and paper_cell is not None:
            title = clean_title(paper_cell.text)[0]
    return Row(
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
        refs=row_refs,
        arxiv_id=first_arxiv(paper_links),
        abstract=abstract,
        index=index,
        cells=cells,
        table=table,
        title_column=title_column,
        title_end=title_end,
        papers=entries,
    )


class _Part:
    """A part of a cell: [start, end) offsets in the line, and what was folded into it."""

    __slots__ = ("start", "end", "authors", "venue")

    def __init__(self, start: int, end: int, authors: list[str] | None = None,
                 venue: str | None = None) -> None:
        self.start = start
        self.end = end
        self.authors = authors or []
        self.venue = venue


def _entries(
    ln: str,
    line: int,
    paper_cell: Cell | None,
    url_cells: list[tuple[Cell, list[Link]]],
    row_refs: list[FootnoteRef],
    paper_links: list[Link],
    abstract: str | None,
) -> list[PaperEntry]:
    """The papers a table row names (see the module docstring)."""
    if paper_cell is None or not paper_cell.text:
        own = _own_links(paper_links)
        if not own:
            return []
        start = url_cells[0][0].start if url_cells else 0
        return [PaperEntry("", "", links=own, refs=list(row_refs), arxiv_id=first_arxiv(own),
                           abstract=abstract, title_column=start + 1, title_end=start)]
    url_parts: list[_Part] = []
    text = paper_cell.text
    if "+" in text or "<" in text or "](" in text or "href" in text:  # maybe several papers
        url_parts = [part for cell, _ in url_cells for part in _split(ln, cell.start, cell.end)]
        url_parts = [p for p in url_parts
                     if any(is_paper_link(lk) for lk in links(ln[p.start:p.end], line, p.start))]
    parts = _paper_parts(ln, line, paper_cell, len(url_parts))
    if len(parts) == 1:
        own = _own_links(paper_links)
        joint = _joint_talk(ln, line, paper_cell, own, row_refs)
        if joint is not None:
            return joint
        p = parts[0]
        return [_entry(ln, line, p, own, list(row_refs), abstract)]
    url_links = [lk for _, found in url_cells for lk in found if is_paper_link(lk)]
    entries = []
    for k, p in enumerate(parts):
        text = ln[p.start:p.end]
        own = [lk for lk in links(text, line, p.start) if is_paper_link(lk)]
        part_refs = refs(text, line, p.start, "paper")
        if len(url_parts) == len(parts):
            u = url_parts[k]
            own = [lk for lk in links(ln[u.start:u.end], line, u.start) if is_paper_link(lk)] + own
            part_refs += refs(ln[u.start:u.end], line, u.start, "url")
        elif len(url_links) == len(parts):
            own = [url_links[k], *own]
        entries.append(_entry(ln, line, p, own, part_refs, None))
    return entries


def _own_links(found: list[Link]) -> list[Link]:
    """The links of a row's one item: its paper links, or, when a row links only a video,
    slides or code, those (the row's item is then that video: it is never matched to a paper
    of the same title)."""
    return [lk for lk in found if is_paper_link(lk)] or found


def _entry(
    ln: str, line: int, part: _Part, own: list[Link], part_refs: list[FootnoteRef],
    abstract: str | None,
) -> PaperEntry:
    raw = ln[part.start:part.end]
    title, authors, venue = clean_title(raw)
    return PaperEntry(
        title=title,
        raw_title=raw,
        authors=authors or part.authors,
        venue=venue or part.venue,
        links=own,
        refs=part_refs,
        arxiv_id=first_arxiv(own),
        abstract=abstract,
        title_column=part.start + 1,
        title_end=part.end,
    )


def _joint_talk(
    ln: str, line: int, cell: Cell, own: list[Link], row_refs: list[FootnoteRef]
) -> list[PaperEntry] | None:
    """Posts written by earlier versions of ``catalog export markdown``: one text (the
    talk's, or the titles joined by "; "), one reference per paper, and one arXiv link
    per paper joined by " + ". Each paper is then its link and its reference."""
    if len(own) < 2:
        return None
    arxiv = [lk for lk in own if first_arxiv([lk])]
    cited = [r for r in row_refs if r.cell == "paper"]
    if len(arxiv) < 2 or len(cited) != len(arxiv):
        return None
    title = clean_title(cell.text)[0]
    titles = [t.strip() for t in title.split(";")]
    if len(titles) != len(arxiv):
        titles = [""] * len(arxiv)
    return [
        PaperEntry(t, cell.text, links=[lk], refs=[r], arxiv_id=first_arxiv([lk]),
                   title_column=cell.start + 1, title_end=cell.end)
        for t, lk, r in zip(titles, arxiv, cited, strict=True)
    ]


def _split(ln: str, start: int, end: int) -> list[_Part]:
    """A cell's parts: split at ``<br>`` tags and at " + " outside links."""
    parts: list[_Part] = []
    pos = start
    for m in _BR.finditer(ln, start, end):
        parts.append(_Part(pos, m.start()))
        pos = m.end()
    parts.append(_Part(pos, end))
    out: list[_Part] = []
    for p in parts:
        pos = p.start
        for cut in _plus_cuts(ln, p.start, p.end):
            out.append(_Part(pos, cut[0]))
            pos = cut[1]
        out.append(_Part(pos, p.end))
    return [_strip(ln, p) for p in out if ln[p.start:p.end].strip()]


def _plus_cuts(ln: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the " + " separators in ln[start:end] that are outside [...] and (...)."""
    if "+" not in ln[start:end]:
        return []
    cuts = []
    depth = 0
    for m in re.finditer(r"[\[\]()]|\s\+\s", ln[start:end]):
        tok = m.group(0)
        if tok in "[(":
            depth += 1
        elif tok in "])":
            depth = max(0, depth - 1)
        elif depth == 0:
            cuts.append((start + m.start(), start + m.end()))
    return cuts


def _strip(ln: str, p: _Part) -> _Part:
    s, e = p.start, p.end
    while s < e and ln[s].isspace():
        s += 1
    while e > s and ln[e - 1].isspace():
        e -= 1
    return _Part(s, e, p.authors, p.venue)


def _paper_parts(ln: str, line: int, cell: Cell, url_parts: int) -> list[_Part]:
    """The parts of a paper cell that are papers.

    ``<br>`` always separates; " + " only when each side is a paper on its own (a link
    or a reference of its own, three words or more) or the URL column has as many
    parts; a part with several titled links is one paper per link; a part that is only
    authors or a venue belongs to the paper before it.
    """
    text = cell.text
    if ("+" not in text and "<" not in text
            and text.count("](") < 2 and "href" not in text.lower()):
        return [_Part(cell.start, cell.end)]  # one paper (most cells): nothing to split
    br_parts: list[_Part] = []
    pos = cell.start
    for m in _BR.finditer(ln, cell.start, cell.end):
        br_parts.append(_Part(pos, m.start()))
        pos = m.end()
    br_parts.append(_Part(pos, cell.end))
    pieces: list[_Part] = []
    for p in br_parts:
        cuts = _plus_cuts(ln, p.start, p.end)
        if cuts:
            sides = []
            pos = p.start
            for a, b in cuts:
                sides.append(_Part(pos, a))
                pos = b
            sides.append(_Part(pos, p.end))
            if url_parts == len(sides) or all(_stands_alone(ln[x.start:x.end]) for x in sides):
                pieces.extend(sides)
                continue
        pieces.append(p)
    split: list[_Part] = []
    for p in pieces:
        text = ln[p.start:p.end]
        titled = [lk for lk in links(text, line, p.start) if title_link_text(lk.text) and lk.url]
        if len(titled) < 2:
            split.append(p)
            continue
        starts = [lk.column - 1 for lk in titled]
        starts[0] = p.start
        for a, b in zip(starts, [*starts[1:], p.end], strict=True):
            split.append(_Part(a, b))
    parts: list[_Part] = []
    for p in (_strip(ln, x) for x in split):
        text = ln[p.start:p.end].strip(" ,;")
        if parts and not links(text, line, p.start) and "[^" not in text:
            names = split_names(strip_markup(text)) if text else None
            if not text or names is not None or looks_like_venue(strip_markup(text)):
                prev = parts[-1]  # "Title <br> Ann Lee, Bo Chen": the authors of the title
                prev.authors = prev.authors or (names or [])
                if text and names is None:
                    prev.venue = prev.venue or strip_markup(text).strip("() ")
                continue
        if text or not parts:
            parts.append(p)
    return parts or [_Part(cell.start, cell.end)]


def _stands_alone(text: str) -> bool:
    if "[^" in text or "](" in text or "href" in text.lower():
        return True
    return len(strip_markup(text).split()) >= 3

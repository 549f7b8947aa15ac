"""The parsed shape of a reading-group post: :class:`Post`, :class:`Row`, :class:`Footnote`.

Lines and columns are 1-based; columns count characters (code points) of the line.
The records are immutable and compared by identity (``eq=False``): nothing compares two
parses, and each generated method is paid for on every ``catalog check`` start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from catalog.check.findings import Finding

__all__ = [
    "Cell",
    "Footnote",
    "FootnoteKind",
    "FootnoteRef",
    "Link",
    "PaperEntry",
    "Post",
    "Row",
    "Style",
]

FootnoteKind = Literal["paper", "abstract", "note"]
Style = Literal["table", "headings"]


@dataclass(frozen=True, eq=False)
class Link:
    """A markdown link ``[text](url)`` or a bare URL; ``url`` is "" for ``[PDF]()``."""

    text: str
    url: str
    line: int
    column: int  # column of "[" (or of the bare URL's first character)


@dataclass(frozen=True, eq=False)
class FootnoteRef:
    """A footnote reference ``[^label]`` in a row (or elsewhere in the body)."""

    label: str
    line: int
    column: int  # column of "[^"
    # "presenter", "paper", "url", "slides", "index", another header, "text", or "skipped"
    # (in a table too large to read: it counts as a citation, and is not checked)
    cell: str


@dataclass(frozen=True, eq=False)
class Cell:
    """One table cell: its column name (canonical when recognised) and raw text."""

    name: str  # "presenter" | "paper" | "url" | "slides" | "index" | header text, lowercased
    header: str  # the header text as written ("" for cells beyond the header)
    text: str  # raw text, stripped
    start: int  # 0-based offset of ``text`` in the line
    end: int  # 0-based offset just past ``text``


@dataclass(frozen=True, eq=False)
class PaperEntry:
    """One paper a row names: most rows name one; a joint talk names several (a paper
    cell split by ``<br>``, `` + `` or one titled link each). Import stores one paper per
    entry and check matches each entry to its own footnote."""

    title: str  # cleaned title ("" when the row gives only a link)
    raw_title: str  # the part of the cell (or the heading) it was read from
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    links: list[Link] = field(default_factory=list)  # this paper's links, its URL first
    refs: list[FootnoteRef] = field(default_factory=list)  # footnote refs written with it
    arxiv_id: str | None = None  # from the first of ``links`` that is an arXiv link
    abstract: str | None = None  # an Abstract column, or a headings entry's abstract
    title_column: int = 1  # 1-based column where the title text starts
    title_end: int = 0  # 0-based offset just past the title text (where a ref goes)

    @property
    def labels(self) -> list[str]:
        """Labels cited with this paper, in order, without repeats."""
        return list(dict.fromkeys(ref.label for ref in self.refs))


@dataclass(frozen=True, eq=False)
class Row:
    """One talk: a table row, or a heading in a headings-style post.

    ``title``, ``authors``, ``arxiv_id``, ... describe the row as a whole (for a row
    naming one paper, that paper); ``papers`` lists each paper it names.
    """

    line: int
    raw: str  # the line as written (without the line ending)
    presenter: str | None
    title: str  # cleaned paper title ("" when the row has none)
    raw_title: str  # the paper cell (or heading) text as written
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    paper_links: list[Link] = field(default_factory=list)
    slides_links: list[Link] = field(default_factory=list)
    other_links: list[Link] = field(default_factory=list)
    refs: list[FootnoteRef] = field(default_factory=list)
    arxiv_id: str | None = None  # from the first paper link that is an arXiv link
    abstract: str | None = None  # headings-style posts: the quoted abstract
    index: str | None = None  # the Index / # cell
    cells: list[Cell] = field(default_factory=list)  # table rows: every cell, in order
    table: int = 0  # which table of the post (0-based); headings rows: 0
    title_column: int = 1  # 1-based column where the title text starts
    title_end: int = 0  # 0-based offset just past the title cell text (where a ref goes)
    papers: list[PaperEntry] = field(default_factory=list)  # each paper the row names

    @property
    def labels(self) -> list[str]:
        """Labels this row cites, in order, without repeats."""
        return list(dict.fromkeys(ref.label for ref in self.refs))


@dataclass(frozen=True, eq=False)
class Footnote:
    """A footnote definition ``[^label]: ...`` (continuation lines joined)."""

    label: str
    line: int
    column: int  # column of "[^"
    raw: str  # the text after "]:" with continuation lines, as written
    text: str  # markup stripped, whitespace collapsed
    kind: FootnoteKind
    title: str | None = None  # None when the footnote holds only an abstract or a note
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    abstract: str | None = None
    end_line: int = 0  # last line of the definition


@dataclass(frozen=True, eq=False)
class Post:
    """A parsed post. ``findings`` holds parse problems (frontmatter-invalid, table-malformed)."""

    path: str
    slug: str
    title: str
    front_matter: dict[str, Any]
    date: date | None
    style: Style
    rows: list[Row] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    other_refs: list[FootnoteRef] = field(default_factory=list)  # refs outside rows
    body_line: int = 1  # first line after the front matter

"""BibTeX export, built on bibtexparser's v2 model and writer.

Choices (the tests pin each one):

* **Entry type.** A paper that a source found published is typed by where it appeared:
  ``@inproceedings`` with ``booktitle`` (kind "proceedings"), ``@article`` with
  ``journal``, ``volume``, ``number`` and ``pages`` (kind "journal", and the comments,
  errata and reviews journals print), ``@incollection`` (a chapter, with ``booktitle``),
  ``@book``, or ``@misc`` with ``howpublished`` (a thesis: which degree is not known, so
  no ``@phdthesis``; other records). ``publisher`` where known; the arXiv ``eprint``
  fields stay, so biblatex still links the preprint. Its ``year`` is the published
  record's, with no month (the v1 date's month is not when it was published).
  ``ExportOptions.prefer == "arxiv"`` types arXiv papers as before publication: an arXiv
  paper is ``@misc``, or ``@article`` with ``journal`` = ``journal_ref`` when arXiv says
  where it appeared, with year and month of its first version. A paper imported from a
  .bib file keeps its ``entry_type``; its venue goes to ``journal`` (``@article``),
  ``booktitle`` (``@inproceedings``, ``@incollection``, ``@conference``) or
  ``howpublished`` (``@misc`` without an arXiv id), and its ``extra_fields`` are written
  back verbatim (they are BibTeX source already) when their braces balance, else
  escaped as text; where the catalog knows a volume, pages, ... that the .bib entry did
  not have, they are added.
* **Items that are not papers** (``item_type``: video, slides, blog, code, web page) are
  ``@misc`` with ``howpublished = {Video}`` (``Slides``, ``Blog post``, ``Software``,
  ``Web page``) and their ``url``. ``@misc`` and ``howpublished`` are the one type and
  field that every classic style (plain, alpha, abbrv, unsrt, plainnat) and biblatex
  all define and print; biblatex's ``@online``, ``@software`` and ``@video`` are unknown
  to the classic styles, which warn and fall back to ``@misc`` anyway, without the label.
* **Fields**, in this order: title, author, journal/booktitle/howpublished, volume,
  number, pages, publisher, year, month, eprint, archivePrefix, primaryClass, doi, url,
  extra fields, abstract (only with ``ExportOptions.abstracts``). Pages are a range with
  ``--`` ("770--778"), whatever dash the source used.
* **Month** is written as BibTeX's lowercase month macro, unenclosed (``month = nov``):
  every BibTeX style and biblatex know the macros, and bibtexparser parses them back
  (as the string ``nov``). No month is written for a January 1st date, which the .bib
  importer uses for year-only entries; a paper with no date yet (known from a post only)
  takes year and month from its arXiv id (see
  :func:`catalog.exporters.common.publication_parts`).
* **Text is plain text, except TeX math.** Titles, names, journals and abstracts are taken
  as plain text (on one line, HTML entities decoded): ``& % $ # _ { } ~ ^ \\`` are escaped
  (``\\&``, ``\\textasciitilde{}``, ``\\textbackslash{}``, ...), and so are ``< > |``
  (``\\textless{}``, ``\\textgreater{}``, ``\\textbar{}``), which LaTeX's default font
  encoding would print as other glyphs ("¡", "¿", "—"). The exception is inline
  math as arXiv titles write it, ``$\\alpha$``: a ``$...$`` span is kept verbatim, so it
  typesets as math, when it opens with ``$`` + non-space, closes with non-space + ``$``
  not followed by a digit (pandoc's rule: "5$ or 6$" is no math) and its inside is safe
  (balanced braces, no ``%``). Any other ``$`` is escaped (``\\$``). Other TeX in arXiv
  titles (``{\\em ...}``, ``\\"u``) is *not* interpreted: it comes out literally. TeX's
  ligatures (``--``, ``\'\'``) are left alone: they mean in BibTeX what they meant on arXiv.
* **Braces.** ``{`` and ``}`` become ``\\{`` and ``\\}`` when they pair up; unpaired ones
  become ``\\textbraceleft{}`` / ``\\textbraceright{}``, because BibTeX itself counts
  ``\\{`` when it matches braces and would otherwise read past the end of the field.
* **Title capitals.** Styles lowercase titles; a word whose capitals are not just its
  first letter (``{GAN}``, ``{DNA}``, ``{FBGAN}``, ``{iPhone}``, ``{3D}``) is wrapped in
  braces so that it keeps them. So is a math span with a capital (``{$N$}``), since
  BibTeX's case change does not know about math. Ordinary capitalised words are left
  to the style (no double braces around the whole title).
* **Names** are written ``von Last, Jr., First`` (see :mod:`catalog.exporters.names`),
  joined with `` and `` in the given order; one-word names and organisations are a
  single braced literal (``{The ATLAS Collaboration}``), and a word ``and`` inside a
  name is braced.
* **URLs, DOIs, eprints** are written verbatim (biblatex and ``\\url`` read them that
  way); whitespace, braces and backslashes in them are percent-encoded.
* **Non-ASCII** text stays UTF-8, except Greek letters, sub/superscripts and math signs,
  which pdflatex cannot typeset without help: they are written as LaTeX
  (``{\\ensuremath{\\alpha}}``, ``CO{\\textsubscript{2}}``; see
  :mod:`catalog.exporters.tex_symbols`). With ``ExportOptions.ascii`` all of it is
  converted with pylatexenc (``M{\\"u}ller``); characters with no LaTeX form (CJK) stay
  as they are.
* **Speed.** Field values are enclosed in braces as entries are built, so the unparse
  stack given to ``write_string`` is empty: bibtexparser's default stack deep-copies every
  block (~6x slower for 100,000 papers) and even the in-place ``AddEnclosingMiddleware``
  would walk every field again. Entries are built and written 2,000 at a time, and the
  garbage collector is paused meanwhile (see :func:`catalog.gc_pause.paused_gc`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TextIO

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat

from catalog.exporters import ExportOptions
from catalog.exporters.common import (
    ITEM_LABELS,
    clean,
    collect_papers,
    issued_parts,
    page_range,
    published_kind,
)
from catalog.exporters.keys import assign_keys
from catalog.exporters.names import NameParts, simple_name, split_name
from catalog.exporters.parallel import write_parts
from catalog.exporters.tex_symbols import tex_symbols
from catalog.gc_pause import paused_gc
from catalog.records import PaperView, SessionView

__all__ = [
    "MONTH_MACROS",
    "build_library",
    "escape_text",
    "export",
    "format_name",
    "format_title",
    "render",
]

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_SPECIALS = re.compile(r"[\\{}$&%#_~^<>|]")
_ESCAPES = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_ESCAPES_UNPAIRED_BRACES = {
    **_ESCAPES,
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
}
# An escaped character, or a math span. As in pandoc, a span opens with a "$" followed
# by a non-space and closes with a "$" preceded by a non-space and not followed by a
# digit, so that "costs 5$ or 6$" is not math.
_MATH_SPAN = re.compile(r"\\.|\$(?=\S)((?:[^$\\]|\\.)+?)(?<=\S)\$(?!\d)", re.DOTALL)
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
_JOURNAL_TYPES = frozenset({"article"})
_BOOKTITLE_TYPES = frozenset({"inproceedings", "incollection", "conference", "inbook"})
# A published record's kind -> (entry type, the field naming its venue). Comments,
# errata and book reviews are articles of the journal that prints them.
_KIND_TYPES = {
    "journal": ("article", "journal"),
    "comment": ("article", "journal"),
    "erratum": ("article", "journal"),
    "review": ("article", "journal"),
    "proceedings": ("inproceedings", "booktitle"),
    "chapter": ("incollection", "booktitle"),
}
_URL_UNSAFE = re.compile(r"[\s{}\\]")
# In an ASCII title on one line, a capital that does not start a word (where
# format_title's word loop would have something to do).
_ASCII_INNER_CAPITAL = re.compile(r"[^ ][A-Z]")
_WORD_PARTS = re.compile(r"[-\u2010-\u2015/]")
_LEADING_PUNCT = "([{\"'`\u2018\u201c"
_EDGE_PUNCT = "()[]\"'`.,;:!?\u2018\u2019\u201c\u201d"
_AND_WORD = re.compile(r"(?i)^and$")
_AND_INSIDE = re.compile(r"(?i)(?:^|\s)and(?:\s|$)")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_\-:.+]*")
_NO_FIELDS: frozenset[str] = frozenset()


def _balanced(text: str, braces: re.Pattern[str] | None = None) -> bool:
    """True if the braces in ``text`` pair up (all of them, or those ``braces`` finds)."""
    depth = 0
    for ch in braces.findall(text) if braces else (c for c in text if c in "{}"):
        depth += 1 if ch == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _math_is_safe(inner: str) -> bool:
    # Both BibTeX (which counts every brace) and bibtexparser (which skips \{ and \})
    # must see balanced braces, and a % would start a comment in LaTeX.
    return (
        _balanced(inner)
        and _balanced(inner, _UNESCAPED_BRACE)
        and not _UNESCAPED_PERCENT.search(inner)
        and not inner.endswith("\\")
    )


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into (is_math, piece) segments; only safe ``$...$`` spans are math."""
    if "$" not in text:
        return [(False, text)]
    result: list[tuple[bool, str]] = []
    pos = 0
    for m in _MATH_SPAN.finditer(text):
        if m.group(1) is None or not _math_is_safe(m.group(1)):
            continue
        if m.start() > pos:
            result.append((False, text[pos : m.start()]))
        result.append((True, m.group(0)))
        pos = m.end()
    if pos < len(text):
        result.append((False, text[pos:]))
    return result


def _escape_plain(text: str, table: dict[str, str]) -> str:
    if not _SPECIALS.search(text):
        return text
    return _SPECIALS.sub(lambda m: table[m.group(0)], text)


def _table_for(segments: list[tuple[bool, str]]) -> dict[str, str]:
    plain = "".join(piece for is_math, piece in segments if not is_math)
    if ("{" in plain or "}" in plain) and not _balanced(plain):
        return _ESCAPES_UNPAIRED_BRACES
    return _ESCAPES


def escape_text(text: str | None) -> str:
    """Plain text (with ``$...$`` math kept) as a BibTeX field value, on one line."""
    value = clean(text)
    if not _SPECIALS.search(value):
        return value
    segments = _segments(value)
    table = _table_for(segments)
    return "".join(piece if is_math else _escape_plain(piece, table) for is_math, piece in segments)


def _has_inner_capital(word: str) -> bool:
    """True for "GAN", "(FBGAN)", "iPhone", "3D", "FBGAN-based"; False for "Feedback",
    "Semi-Amortized", "Müller–Lyer": each part of a hyphenated word is judged alone."""
    for part in _WORD_PARTS.split(word):
        core = part.lstrip(_LEADING_PUNCT)
        if core[1:] != core[1:].lower():
            return True
    return False


def _protect_word(raw: str, table: dict[str, str]) -> str:
    """The escaped word, braced when it has inner capitals; punctuation around the word
    stays outside the braces ("({FBGAN})", "{DNA}:")."""
    tail = raw[1:]
    if tail == tail.lower() or not _has_inner_capital(raw):
        return _escape_plain(raw, table)
    core = raw.strip(_EDGE_PUNCT)
    if not core:
        return _escape_plain(raw, table)
    start = raw.index(core)
    lead, trail = raw[:start], raw[start + len(core) :]
    return (
        f"{_escape_plain(lead, table)}{{{_escape_plain(core, table)}}}{_escape_plain(trail, table)}"
    )


def format_title(title: str) -> str:
    """A title as a BibTeX value: escaped, with acronyms and math capitals braced."""
    value = clean(title)
    if not _SPECIALS.search(value):
        if value.isascii() and not _ASCII_INNER_CAPITAL.search(value):
            return value  # most titles: no specials, no acronyms
        # The common case: nothing to escape, so only words with inner capitals change.
        # (A plain loop: a regex that finds such words is twice as slow.)
        words = value.split(" ")
        for i, word in enumerate(words):
            tail = word[1:]
            if tail != tail.lower():
                words[i] = _protect_word(word, _ESCAPES)
        return " ".join(words)
    segments = _segments(value)
    table = _table_for(segments)
    out: list[str] = []
    for is_math, piece in segments:
        if is_math:
            out.append(f"{{{piece}}}" if piece != piece.lower() else piece)
            continue
        # Words keep the spaces around them; each word is escaped, then protected.
        words = piece.split(" ")
        out.append(" ".join(_protect_word(word, table) if word else word for word in words))
    return "".join(out)


def _escape_name_words(text: str) -> str:
    # A lone "and" would split the name in two for BibTeX.
    return " ".join(f"{{{w}}}" if _AND_WORD.match(w) else w for w in escape_text(text).split(" "))


def _plain_words(text: str) -> str:
    return text


def format_name(name: str) -> str:
    """One person as BibTeX's ``von Last, Jr., First`` (or a braced literal)."""
    simple = simple_name(name)
    if simple is not None:
        return f"{simple[1]}, {simple[0]}"
    text = clean(name)
    parts: NameParts = split_name(text)
    if parts.literal:
        literal = escape_text(parts.last)
        return f"{{{literal}}}" if literal else ""
    # Most names have nothing to escape and no word "and": skip the per-word work.
    slow = _SPECIALS.search(text) or ("and" in text.lower() and _AND_INSIDE.search(text))
    esc = _escape_name_words if slow else _plain_words
    family = esc(parts.family)
    if parts.suffix:
        if not parts.first:
            return f"{{{family} {esc(parts.suffix)}}}"
        return f"{family}, {esc(parts.suffix)}, {esc(parts.first)}"
    return f"{family}, {esc(parts.first)}" if parts.first else family


def _verbatim(value: str) -> str:
    """URLs, DOIs and eprints: verbatim, with what would break the entry percent-encoded."""
    value = value.strip()
    if not _URL_UNSAFE.search(value):
        return value
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), value)


def _extra_value(value: str) -> str:
    """A stored BibTeX source value: verbatim when the writer can enclose it safely."""
    value = " ".join(value.split())
    if _balanced(value) and _balanced(value, _UNESCAPED_BRACE) and not value.endswith("\\"):
        return value
    return escape_text(value)


def _typing(paper: PaperView, prefer: str) -> tuple[str, str | None, str | None, bool]:
    """(entry type, the field naming the venue, the venue, typed by a published record)
    of a paper; see the module docstring."""
    entry_type = (paper.entry_type or "").lower()
    arxiv_id = paper.arxiv_id
    if entry_type:  # from a .bib file: its own type
        venue = paper.venue
        if entry_type in _JOURNAL_TYPES:
            venue = venue or paper.journal_ref
            if venue:
                return entry_type, "journal", venue, False
            # Scholar and dblp call preprints articles of a pseudo-journal, which the
            # importer drops; an @article without a journal is a BibTeX warning.
            return ("misc" if arxiv_id else entry_type), None, None, False
        if venue and entry_type in _BOOKTITLE_TYPES:
            return entry_type, "booktitle", venue, False
        if venue and not arxiv_id:
            return entry_type, "howpublished", venue, False
        return entry_type, None, None, False
    if paper.item_type != "paper":
        label = ITEM_LABELS.get(paper.item_type, ITEM_LABELS["web"])
        return "misc", "howpublished", f"{label}, {paper.venue}" if paper.venue else label, False
    kind = published_kind(paper, prefer)
    if kind is not None:
        venue = paper.venue or (paper.journal_ref if arxiv_id else None)
        typed = _KIND_TYPES.get(kind)
        if typed and venue:
            return typed[0], typed[1], venue, True
        if kind == "book":
            return "book", None, None, True
        if kind == "thesis":
            return "misc", "howpublished", "Thesis", True
        # Another kind of record, or one without the name of its venue.
        return "misc", "howpublished" if venue else None, venue, True
    if arxiv_id:
        if paper.journal_ref:
            return "article", "journal", paper.journal_ref, False
        return "misc", None, None, False
    return "misc", "howpublished" if paper.venue else None, paper.venue, False


class _EntryBuilder:
    """Builds entries whose field values are already enclosed in braces, as the writer
    wants them: the unparse stack is then empty (AddEnclosingMiddleware, even in place,
    would walk every field a second time just to add them)."""

    def __init__(self, options: ExportOptions, *, share_fields: bool = False) -> None:
        self.abstracts = options.abstracts
        self.prefer = options.prefer
        # Every text value goes through convert: all non-ASCII to LaTeX with --ascii,
        # else only what pdflatex cannot typeset (Greek, sub/superscripts, math signs).
        self.convert: Callable[[str], str] = (
            _ascii_converter() if options.ascii else tex_symbols
        )
        self.names: dict[str, str] = {}  # the same authors come back paper after paper
        self.venues: dict[str, str] = {}  # so do venues and publishers, escaped once
        # With share_fields, fields whose values repeat from entry to entry (year, month,
        # archivePrefix, primaryClass, venues, publishers) are made once and shared. Only
        # for libraries that are written and dropped: the writer only reads them, but
        # a caller editing one entry's field would edit them all.
        self.shared: dict[tuple[str, str], Field] | None = {} if share_fields else None

    def shared_field(self, key: str, value: str) -> Field:
        if self.shared is None:
            return Field(key, value)
        found = self.shared.get((key, value))
        if found is None:
            found = self.shared[key, value] = Field(key, value)
        return found

    def text(self, key: str, value: str) -> Field:
        return Field(key, f"{{{self.convert(value)}}}")

    def venue_text(self, key: str, value: str) -> Field:
        """A venue or publisher (plain text): escaped once, then shared like the year."""
        enclosed = self.venues.get(value)
        if enclosed is None:
            enclosed = self.venues[value] = f"{{{self.convert(escape_text(value))}}}"
        return self.shared_field(key, enclosed)

    def number_text(self, key: str, value: str) -> Field:
        """A volume, issue or page range: most are digits, with nothing to escape."""
        if value.isdigit():
            return Field(key, f"{{{value}}}")
        return self.text(key, escape_text(value))

    def author_list(self, authors: list[str]) -> str:
        out = []
        cache = self.names
        for name in authors:
            formatted = cache.get(name)
            if formatted is None:
                formatted = self.convert(format_name(name))
                cache[name] = formatted
            if formatted:
                out.append(formatted)
        return " and ".join(out)

    def entry(self, paper: PaperView, key: str) -> Entry:
        title = self.convert(format_title(paper.title))
        fields: list[Field] = [Field("title", f"{{{title}}}")]
        add = fields.append
        if paper.authors:
            authors = self.author_list(paper.authors)
            if authors:
                add(Field("author", f"{{{authors}}}"))

        arxiv_id = paper.arxiv_id
        entry_type, venue_field, venue, published = _typing(paper, self.prefer)
        if venue_field and venue:
            add(self.venue_text(venue_field, venue))
        extra = paper.extra_fields
        # The published record's details, for a paper typed by it or kept from a .bib
        # (whose own fields of the same name, verbatim BibTeX source, win).
        if published or paper.entry_type:
            own = {name.strip().lower() for name in extra} if extra else _NO_FIELDS
            if paper.volume and "volume" not in own:
                add(self.number_text("volume", paper.volume))
            if paper.issue and entry_type == "article" and "number" not in own:
                add(self.number_text("number", paper.issue))
            if paper.pages and "pages" not in own:
                add(self.text("pages", escape_text(page_range(paper.pages, "--"))))
            if paper.publisher and "publisher" not in own:
                add(self.venue_text("publisher", paper.publisher))

        parts = issued_parts(paper, published)
        shared = self.shared_field
        if parts:
            add(shared("year", f"{{{parts[0]}}}"))
            if len(parts) > 1:
                add(shared("month", MONTH_MACROS[parts[1] - 1]))  # a macro: no braces
        category = paper.primary_category if arxiv_id else None
        doi = paper.doi
        url = paper.url or (f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None)
        # Verbatim values rarely need _verbatim's encoding: one search looks at them all.
        verbatim = _verbatim if _URL_UNSAFE.search(f"{arxiv_id}|{category}|{doi}|{url}") else str
        if arxiv_id:
            add(Field("eprint", f"{{{verbatim(arxiv_id)}}}"))
            add(shared("archivePrefix", "{arXiv}"))
            if category:
                add(shared("primaryClass", f"{{{verbatim(category)}}}"))
        if doi:
            add(Field("doi", f"{{{verbatim(doi)}}}"))
        if url:
            add(Field("url", f"{{{verbatim(url)}}}"))
        if extra:
            have = {f.key.lower() for f in fields} | {"abstract"}
            for name, value in extra.items():
                field_name = name.strip().lower()
                if field_name not in have and _FIELD_NAME.fullmatch(field_name):
                    have.add(field_name)
                    add(self.text(field_name, _extra_value(str(value))))
        if self.abstracts and paper.abstract:
            add(self.text("abstract", escape_text(paper.abstract)))
        return Entry(entry_type, key, fields)


def _ascii_converter() -> Callable[[str], str]:
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    encoder = UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",
        unknown_char_policy="keep",
        unknown_char_warning=False,
    )

    def convert(value: str) -> str:
        # The symbols first, so that they read the same with and without --ascii.
        return value if value.isascii() else str(encoder.unicode_to_latex(tex_symbols(value)))

    return convert


def build_library(papers: Sequence[PaperView], options: ExportOptions) -> Library:
    """A bibtexparser Library with one entry per paper, keys assigned (unique), field
    values already enclosed in braces (write it with :func:`render`)."""
    builder = _EntryBuilder(options)
    keys = assign_keys(papers)
    return Library([builder.entry(p, k) for p, k in zip(papers, keys, strict=True)])


def _format() -> BibtexFormat:
    fmt = BibtexFormat()  # type: ignore[no-untyped-call]
    fmt.indent = "  "
    fmt.block_separator = "\n"
    return fmt


def render(library: Library) -> str:
    """BibTeX text of a library from :func:`build_library`. Its values are enclosed
    already, so the unparse stack is empty: nothing is copied or walked again."""
    return str(write_string(library, unparse_stack=[], bibtex_format=_format()))


_CHUNK = 2000  # entries per bibtexparser Library: the output is written chunk by chunk


def export(
    papers: Sequence[PaperView],
    sessions: Sequence[SessionView],
    out: TextIO,
    options: ExportOptions,
) -> None:
    """Write one BibTeX entry per paper (``papers``, then the sessions' other papers).

    Keys are assigned for all papers first; entries are then built, written by
    bibtexparser and dropped a chunk at a time, so memory stays flat for big exports.
    Big exports are rendered on every core (:mod:`catalog.exporters.parallel`).
    """
    with paused_gc():
        all_papers = collect_papers(papers, sessions)
        keys = assign_keys(all_papers)
        builder = _EntryBuilder(options, share_fields=True)  # libraries written, then dropped

        def render_range(start: int, end: int) -> str:
            chunk = zip(all_papers[start:end], keys[start:end], strict=True)
            return render(Library([builder.entry(p, k) for p, k in chunk]))

        # "\n": the block separator the writer puts between entries.
        write_parts(len(all_papers), render_range, out, joiner="\n", chunk=_CHUNK)

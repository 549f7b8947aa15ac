"""Read a .bib file into PaperView records (``catalog import refs.bib``).

Each entry becomes a :class:`~catalog.records.PaperView` with ``id=0`` (the store
assigns ids) and ``citation_key`` = the entry key, kept as is:

* ``title`` and ``authors`` are de-LaTeXed with pylatexenc (``M{\\"u}ller`` -> "Müller",
  ``{GAN}`` -> "GAN", ``\\&`` -> "&"); inline math is kept verbatim (``$\\alpha$``), as
  arXiv titles write it. Authors are stored first-name-first ("Chris J. Maddison"), as
  arXiv writes them, except a multi-word family name without particles, which is stored
  "Ali Eslami, S. M." so that the family name survives (the exporters read both forms).
  "others" (BibTeX's "and others") is dropped.
* ``arxiv_id`` (and ``version``) come from ``eprint`` when ``archivePrefix`` or
  ``eprinttype`` says arXiv (or the eprint reads ``arXiv:...``), else from an arxiv.org
  ``url``, a ``10.48550/arXiv.`` DOI, Google Scholar's ``journal = {arXiv preprint
  arXiv:...}`` or dblp's ``journal = {CoRR}, volume = {abs/...}``; those pseudo-journals
  are then dropped. ``primaryClass`` becomes the primary category.
* ``published``: ``date`` (biblatex, ``YYYY[-MM[-DD]]``) or ``year`` + ``month``
  (``jan``, ``January``, ``1``) + ``day``; a missing month or day is stored as 1 (the
  exporters then write only what was known).
* ``journal`` or ``booktitle`` is the ``venue``; for an arXiv paper a real ``journal``
  is also its ``journal_ref``. ``doi`` (without a ``https://doi.org/`` prefix), ``url``
  and ``abstract`` (de-LaTeXed) are kept; ``entry_type`` is the lowercased entry type.
* Every other field is kept in ``extra_fields`` as BibTeX source (braces and macros as
  written), lowercased names; the BibTeX export writes them back.

Blocks bibtexparser cannot parse, duplicate keys (the later entry is skipped), entries
with a repeated field and entries without a title are reported in ``failed`` as
(1-based line, message) and skipped.

Two readers: :func:`read_bib` parses a whole text at once; :func:`read_bib_batches`
streams a file of any size, in pieces cut where bibtexparser itself must start a new
block (see :func:`_pieces`), and gives exactly what :func:`read_bib` gives for the
same text (tests/test_import_bib_stream.py compares them).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any

from catalog.records import PaperView

__all__ = [
    "BibImport",
    "PieceRead",
    "Unchanged",
    "de_latex",
    "read_bib",
    "read_bib_batches",
    "read_pieces",
    "split_persons",
]

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
# Fields turned into PaperView attributes; the rest go to extra_fields.
_CONSUMED = frozenset(
    {
        "title",
        "author",
        "year",
        "month",
        "day",
        "date",
        "doi",
        "url",
        "eprint",
        "archiveprefix",
        "eprinttype",
        "primaryclass",
        "eprintclass",
        "journal",
        "journaltitle",
        "booktitle",
        "abstract",
    }
)
# Characters or pairs that latex2text would change; text without them is taken as is.
_LATEX_SYNTAX = re.compile(r"[\\{}~$%]|--|``|''|!`|\?`")
_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_SCHOLAR_ARXIV = re.compile(r"arxiv(?:\s+preprint)?\s*(?:arxiv)?\s*:\s*(\S+)", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass
class BibImport:
    """What :func:`read_bib` read: the papers, and the blocks it had to skip."""

    path: str
    papers: list[PaperView] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, message)
    # Streamed reads (read_pieces) only: each paper's entry digest (None: not one a
    # re-import may skip), and the entries skipped unread (their digests were known).
    digests: list[bytes | None] = field(default_factory=list)
    unchanged: list[Unchanged] = field(default_factory=list)


@dataclass(slots=True)
class Unchanged:
    """An entry the reader skipped unread: its digest was among the known ones
    (catalog/importers/bib_digests.py). ``position``: how many of its batch's papers
    come before it; ``text``: its block's raw text, read again only if the store finds
    that its paper changed after all."""

    position: int
    digest: bytes
    key: str
    line: int
    text: str


@lru_cache(maxsize=1)
def _latex_to_text() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    # The macros our BibTeX export writes for specials, read back as those characters
    # (pylatexenc drops \textbraceleft and makes \textasciicircum a modifier letter).
    db = get_default_latex_context_db().filter_context()
    db.add_context_category(
        "catalog-specials",
        prepend=True,
        macros=[
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"),
            MacroTextSpec("textasciitilde", "~"),
            MacroTextSpec("textbackslash", "\\"),
            MacroTextSpec("textless", "<"),
            MacroTextSpec("textgreater", ">"),
            MacroTextSpec("textbar", "|"),
        ],
    )
    return LatexNodes2Text(latex_context=db, math_mode="verbatim")


@lru_cache(maxsize=1)
def _walker_context() -> Any:
    # LatexWalker builds this default table anew for every text it is given unless
    # handed one: a third of the cost of a short title. It is only read while parsing.
    from pylatexenc.latexwalker import get_default_latex_context_db

    return get_default_latex_context_db()


# Braces are the only LaTeX in most titles and names ("{GAN}", "{van der Berg}"); text
# with no other syntax than balanced braces reads as itself without them (checked
# against pylatexenc in tests/test_import_bib_stream.py).
_BRACES = re.compile(r"[{}]")
_OTHER_SYNTAX = re.compile(r"[\\~$%&#^_]|--|``|''|!`|\?`")


def _braces_only(value: str) -> str | None:
    """``value`` without its braces, when they are balanced and its only LaTeX."""
    depth = 0
    for m in _BRACES.finditer(value):
        depth += 1 if m.group() == "{" else -1
        if depth < 0:
            return None
    if depth:
        return None
    plain = value.replace("{", "").replace("}", "")
    return None if _OTHER_SYNTAX.search(plain) else plain


def _math_verbatim(value: str) -> str | None:
    """``value`` as pylatexenc reads it (math_mode="verbatim") when its only LaTeX is
    inline math (``$...$``, kept as written) and braces the text around the math
    balances on its own; None when anything else is in it (an escaped or doubled
    dollar, a comment sign or unbalanced braces in the math)."""
    if "\\$" in value or "$$" in value:
        return None
    parts = value.split("$")
    if len(parts) % 2 == 0:
        return None  # an unclosed math
    out: list[str] = []
    for n, part in enumerate(parts):
        if n % 2:
            if "%" in part or not _balanced(part):
                return None
            out.append(f"${part}$")
            continue
        plain = _braces_only(part)
        if plain is None:
            return None
        out.append(plain)
    return "".join(out)


def _balanced(text: str) -> bool:
    depth = 0
    for m in _BRACES.finditer(text):
        depth += 1 if m.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


@lru_cache(maxsize=1 << 16)
def _latex_text(value: str) -> str:
    """pylatexenc's reading of ``value`` (a few ms each: names and venues repeat)."""
    plain = _braces_only(value)
    if plain is None and "$" in value:
        plain = _math_verbatim(value)  # a title's math: most of what is left
    if plain is not None:
        return plain
    return str(_latex_to_text().latex_to_text(value, latex_context=_walker_context()))


def de_latex(value: str | None) -> str:
    """BibTeX/LaTeX source as plain text on one line; ``$...$`` math kept verbatim."""
    if not value:
        return ""
    if _LATEX_SYNTAX.search(value):
        value = _latex_text(value)
    return " ".join(value.split())


@contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """bibtexparser logs each syntax error as a warning; we report them in ``failed``."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _failure_message(block: Any) -> str:
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        MiddlewareErrorBlock,
    )

    if isinstance(block, DuplicateBlockKeyBlock):
        previous = block.previous_block.start_line
        return _duplicate(block.key, previous + 1 if previous is not None else None)
    if isinstance(block, DuplicateFieldKeyBlock):
        entry = block.ignore_error_block
        key = getattr(entry, "key", "?")
        fields = ", ".join(sorted(block.duplicate_keys))
        return f"entry {key!r} has the field {fields} more than once; entry skipped"
    if isinstance(block, MiddlewareErrorBlock):
        return f"could not process entry: {block.error}"
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    return f"could not parse: {' '.join(str(reason).split())}"


def _duplicate(key: str, first_line: int | None) -> str:
    where = f" (first at line {first_line})" if first_line is not None else ""
    return f"duplicate entry key {key!r}{where}; this entry is skipped"


def _author_name(parts: Any) -> str | None:
    first = de_latex(" ".join(parts.first))
    von = de_latex(" ".join(parts.von))
    last = de_latex(" ".join(parts.last))
    jr = de_latex(" ".join(parts.jr))
    if not (first or von or last):
        return None
    if not (first or von or jr) and last.lower() == "others":
        return None  # "and others": et al.
    if " " in last and not von and first:
        # Keep a multi-word family name recognisable: "Ali Eslami, S. M." (arXiv-style
        # "S. M. Ali Eslami" would make "Eslami" the family name).
        name = f"{last}, {first}"
        return f"{last}, {jr}, {first}" if jr else name
    name = " ".join(p for p in (first, von, last) if p)
    return f"{name}, {jr}" if jr else name


def split_persons(text: str) -> list[str]:
    """Split a BibTeX name list on `` and `` outside braces.

    bibtexparser's ``split_multiple_persons_names`` loses the first characters of a name
    that starts with a backslash after "and" (``A and \"Ozt\"urk, B`` gives ``"Ozt...``),
    so the splitting is done here; backslash escapes are skipped as bibtexparser does.
    """
    if "{" not in text and "\\" not in text:  # no group or escape: "and" splits alone
        return [n.strip() for n in _AND.split(text) if n.strip()]
    names: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch.isspace():
            m = _AND.match(text, i)
            if m:
                names.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    names.append(text[start:])
    return [n.strip() for n in names if n.strip()]


@dataclass
class _Parts:
    """A name's parts, as bibtexparser's NameParts (what _author_name reads)."""

    first: list[str]
    von: list[str]
    last: list[str]
    jr: list[str]


# What bibtexparser's name parser splits words on; a name of ASCII text without braces,
# escapes or ties has no other syntax.
_NAME_SPACE = re.compile(r"[ \t\r\n]+")
_NAME_SYNTAX = re.compile(r"[{}\\~]")


def _word_is_lower(word: str) -> bool:
    """bibtexparser's case of a plain word: that of its first letter."""
    for ch in word:
        if ch.isalpha():
            return ch.islower()
    return False


def _plain_name_parts(person: str) -> _Parts | None:
    """parse_single_name_into_parts of the two plain forms most names take, "Last,
    First" and "First Last" without lowercase words (no von part); None for any other
    name (tests/test_import_bib_stream.py checks them against bibtexparser)."""
    if not person.isascii() or _NAME_SYNTAX.search(person) or person.count(",") > 1:
        return None
    sections = [[w for w in _NAME_SPACE.split(part) if w] for part in person.split(",")]
    if not all(sections) or any(_word_is_lower(w) for w in sections[0]):
        return None
    if len(sections) == 2:
        return _Parts(first=sections[1], von=[], last=sections[0], jr=[])
    words = sections[0]
    return _Parts(first=words[:-1], von=[], last=words[-1:], jr=[])


@lru_cache(maxsize=1 << 17)
def _person(person: str) -> str | None:
    """One name of a name list, as stored (cached: a library names its authors often)."""
    parts = _plain_name_parts(person)
    if parts is None:
        from bibtexparser.middlewares.names import parse_single_name_into_parts

        return _author_name(parse_single_name_into_parts(person, strict=False))
    return _author_name(parts)


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [name for person in split_persons(raw) if (name := _person(person))]


def _month(raw: str | None) -> int | None:
    if not raw:
        return None
    text = de_latex(raw).strip().rstrip(".").lower()
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(text) or _MONTHS.get(text[:3])


def _published(fields: dict[str, str]) -> date | None:
    year = month = day = None
    if fields.get("date"):
        m = _ISO_DATE.match(fields["date"].strip())
        if m:
            year = int(m.group(1))
            month = int(m.group(2)) if m.group(2) else None
            day = int(m.group(3)) if m.group(3) else None
    if year is None and fields.get("year"):
        m = _YEAR.search(fields["year"])
        year = int(m.group(0)) if m else None
    if year is None:
        return None
    month = month or _month(fields.get("month"))
    if day is None and fields.get("day", "").strip().isdigit():
        day = int(fields["day"])
    try:
        return date(year, month or 1, day or 1)
    except ValueError:
        try:
            return date(year, month or 1, 1)
        except ValueError:
            return date(year, 1, 1)


def _arxiv(fields: dict[str, str]) -> tuple[Any, set[str]]:
    """The entry's arXiv id (an ArxivId or None), and the fields that only said the
    paper is on arXiv (Scholar's and dblp's pseudo-journals), to be dropped."""
    from catalog.errors import InvalidArxivId
    from catalog.sources.arxiv.ids import arxiv_id_from_url, parse_arxiv_id

    def parse(text: str) -> Any:
        try:
            return parse_arxiv_id(text.strip().rstrip(".,;"))
        except InvalidArxivId:
            return None

    journal = fields.get("journal", "").strip()
    volume = fields.get("volume", "").strip()
    from_journal = None
    pseudo: set[str] = set()
    m = _SCHOLAR_ARXIV.search(journal)
    if m and (from_journal := parse(m.group(1))):
        pseudo = {"journal"}
    elif journal.lower() == "corr" and volume.lower().startswith("abs/"):
        if from_journal := parse(volume[4:]):
            pseudo = {"journal", "volume"}

    eprint = fields.get("eprint", "").strip()
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and (archive == "arxiv" or eprint.lower().startswith("arxiv:")):
        if found := parse(eprint):
            return found, pseudo
    url = fields.get("url", "").strip()
    if url and (found := arxiv_id_from_url(url)):
        return found, pseudo
    doi = _DOI_PREFIX.sub("", fields.get("doi", "").strip())
    if doi.lower().startswith("10.48550/arxiv.") and (found := parse(doi)):
        return found, pseudo
    return from_journal, pseudo


def _paper(entry: Any) -> PaperView:
    # bibtexparser keeps field values as text, enclosing removed; macros stay as names.
    fields = {f.key: str(f.value) for f in entry.fields}
    arxiv, pseudo = _arxiv(fields)
    journal = "" if "journal" in pseudo else de_latex(fields.get("journal"))
    journal = journal or ("" if "journal" in pseudo else de_latex(fields.get("journaltitle")))
    venue = journal or de_latex(fields.get("booktitle")) or None
    doi = _DOI_PREFIX.sub("", fields.get("doi", "").strip()) or None
    primary = (fields.get("primaryclass") or fields.get("eprintclass") or "").strip() or None
    extra = {
        key: " ".join(value.split())
        for key, value in fields.items()
        if key not in _CONSUMED and key not in pseudo
    }
    if not arxiv:
        # An eprint of another archive is kept as it was written.
        for key in ("eprint", "archiveprefix", "eprinttype", "primaryclass", "eprintclass"):
            if fields.get(key):
                extra[key] = " ".join(fields[key].split())
        primary = None
    return PaperView(
        id=0,
        title=de_latex(fields.get("title")),
        authors=_authors(fields.get("author")),
        arxiv_id=arxiv.id if arxiv else None,
        version=arxiv.version if arxiv else None,
        abstract=de_latex(fields.get("abstract")) or None,
        published=_published(fields),
        primary_category=primary,
        categories=[primary] if primary else [],
        doi=doi,
        journal_ref=(journal or None) if arxiv else None,
        url=fields.get("url", "").strip() or None,
        citation_key=entry.key,
        venue=venue,
        entry_type=entry.entry_type.lower(),
        extra_fields=extra,
    )


def read_bib(text: str, path: str) -> BibImport:
    """Parse .bib ``text`` (read from ``path``, which is only recorded) into papers."""
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.middlewares import NormalizeFieldKeys

    with _quiet_bibtexparser():
        library = parse_string(text, append_middleware=[NormalizeFieldKeys()])
    result = BibImport(path=path)
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        result.failed.append((line, _failure_message(block)))
    for entry in library.entries:
        _add_entry(result, entry, (entry.start_line or 0) + 1)
    result.failed.sort()
    return result


def _add_entry(result: BibImport, entry: Any, line: int) -> None:
    paper = _paper(entry)
    if not paper.title:
        result.failed.append((line, f"entry {entry.key!r} has no title; skipped"))
    else:
        result.papers.append(paper)


# -- streaming --------------------------------------------------------------------------
#
# bibtexparser's splitter (v2) reads a whole string. A file is cut into pieces here at
# lines where the splitter must begin a block whatever came before: a block start
# (``@type{`` or ``@type(``, its own pattern) that opens a line. Outside a block it
# starts one; inside one (an unclosed brace, a missing comma) the splitter aborts that
# block there, "Unexpected block start". So every piece but the last ends where a block
# starts, and is given that block start as a sentinel (``@type{}``): an open block of
# the piece then fails with the very message the whole text gives, and whatever the
# sentinel makes is dropped. A line after a backslash-newline is never a cut: the
# splitter does not count such a newline, so the line numbers would not tell the
# sentinel's blocks from the piece's.
#
# Across pieces: line numbers are offset by the piece's first line; ``@string`` macros
# are resolved against every macro of the file (first definition of a name wins, as in
# a whole parse, which sees later ones too: they are gathered in a first, cheap pass
# over the pieces that mention ``@string``); a key seen in an earlier piece makes an
# entry a duplicate, reported with the earlier line.

_BLOCK_START = re.compile(r"@[\w]*( |\t)*(?=[{(])")  # bibtexparser.splitter's


def _counted_newlines(text: str) -> int:
    """The newlines the splitter counts: those after no backslash."""
    return text.count("\n") - text.count("\\\n")


# About this much text per piece: a few thousand entries.
PIECE_CHARS = 1 << 21
# Lines looked at together: a block that leaves its piece short of the size holds no cut.
_LINE_BLOCK = 256


@dataclass
class _Piece:
    text: str  # the piece, with its sentinel
    first_line: int  # 0-based line of its first character, as the splitter counts
    sentinel_line: int | None  # its sentinel's line within the piece; None for the last
    own_chars: int  # the piece without its sentinel: text[:own_chars]


def _block_start(line: str) -> re.Match[str] | None:
    indent = len(line) - len(line.lstrip())
    return _BLOCK_START.match(line, indent) if line[indent : indent + 1] == "@" else None


def _piece(lines: list[str], first_line: int, boundary: str | None) -> _Piece:
    text = "".join(lines)
    if boundary is None:
        return _Piece(text, first_line, None, len(text))
    m = _block_start(boundary)
    assert m is not None
    opening = boundary[m.end()]
    sentinel = boundary[: m.end() + 1] + ("}" if opening == "{" else ")")
    return _Piece(text + sentinel, first_line, _counted_newlines(text), len(text))


def _pieces(lines: Iterable[str], size: int) -> Iterator[_Piece]:
    """The text of ``lines`` in pieces of about ``size`` characters, cut at block starts."""
    buffer: list[str] = []
    chars = 0
    first_line = 0
    escaped = False  # the previous line ended with a backslash-newline
    source = iter(lines)
    for block in iter(lambda: list(islice(source, _LINE_BLOCK)), []):
        total = sum(map(len, block))
        if chars + total < size:  # no line of the block can start a piece: all at once
            buffer += block
            chars += total
            escaped = block[-1].endswith("\\\n")
            continue
        for line in block:
            if chars >= size and not escaped and _block_start(line):
                piece = _piece(buffer, first_line, line)
                assert piece.sentinel_line is not None
                yield piece
                first_line += piece.sentinel_line
                buffer, chars = [], 0
            buffer.append(line)
            chars += len(line)
            escaped = line.endswith("\\\n")
    if buffer:
        yield _piece(buffer, first_line, None)


def _kept(block: Any, piece: _Piece) -> bool:
    """Whether a parsed block is the piece's own (not made by its sentinel)."""
    line = block.start_line or 0
    return piece.sentinel_line is None or line < piece.sentinel_line


def _file_strings(open_lines: Callable[[], Iterable[str]], size: int) -> dict[str, str]:
    """Every ``@string`` macro of the file, as bibtexparser resolves them: by lowercased
    name, the first definition of each (case-sensitive) name, raw (still enclosed)."""
    from bibtexparser.model import String
    from bibtexparser.splitter import Splitter

    first: dict[str, str] = {}
    for piece in _pieces(open_lines(), size):
        own = piece.text[: piece.own_chars]
        lowered = own.lower()
        if "@string" not in lowered:
            continue
        # Only the @string blocks are split when each opens a line: a block ends by the
        # next block start at the latest (the cut rule above). Else the whole piece.
        text, count = _string_blocks(own)
        if count != lowered.count("@string"):
            text = piece.text
        with _quiet_bibtexparser():
            blocks = Splitter(text).split().blocks
        for block in blocks:
            if isinstance(block, String) and (text is not piece.text or _kept(block, piece)):
                first.setdefault(block.key, block.value)
    return {key.lower(): value for key, value in first.items()}


def _string_blocks(text: str) -> tuple[str, int]:
    """The lines of ``text`` from each line-opening ``@string`` block start to the next
    block start, and how many such blocks there are."""
    kept: list[str] = []
    count = 0
    inside = escaped = False
    for line in io.StringIO(text, newline="\n"):
        start = None if escaped else _block_start(line)
        if start is not None:
            inside = start.group().lstrip("@").strip().lower() == "string"
            count += inside
        if inside:
            kept.append(line)
        escaped = line.endswith("\\\n")
    return "".join(kept), count


def _enclosed(value: Any) -> bool:
    """bibtexparser's test of a value that is no macro name (not text, or enclosed)."""
    if not isinstance(value, str):
        return True
    return (value.startswith('"') and value.endswith('"')) or (
        value.startswith("{") and value.endswith("}")
    )


def _parse_stack(strings: dict[str, str]) -> list[Any]:
    """bibtexparser's default parse stack (+ NormalizeFieldKeys, as :func:`read_bib`),
    its first step resolving macros against the whole file's ``strings``: one step that
    does the three middlewares' work on each field in turn, in their order."""
    from bibtexparser.middlewares import RemoveEnclosingMiddleware
    from bibtexparser.middlewares.middleware import LibraryMiddleware
    from bibtexparser.model import Entry, String

    strip = RemoveEnclosingMiddleware._strip_enclosing
    removed_key = RemoveEnclosingMiddleware.metadata_key()

    class FileStringsEnclosingKeys(LibraryMiddleware):
        """ResolveStringReferencesMiddleware (given the macros instead of reading them
        from the library, which holds one piece), RemoveEnclosingMiddleware and
        NormalizeFieldKeys, applied in that order, in place. Each of those rebuilds the
        library (and checks its keys again) and visits every block: a sixth of the
        reader's time, for a result no different (tests/test_import_bib_stream.py)."""

        def transform(self, library: Any) -> Any:
            for block in library.blocks:
                if isinstance(block, Entry):
                    metadata: dict[str, str | None] = {}
                    fields: dict[str, Any] = {}
                    for fld in block.fields:
                        value = fld.value  # a macro name first (rare), then not enclosed
                        if isinstance(value, str) and value.lower() in strings:
                            if not _enclosed(value):
                                value = strings[value.lower()]
                        stripped, enclosing = strip(value)
                        fld.value = stripped
                        if enclosing == "no-enclosing" and not stripped.isdigit():
                            fld.enclosing = "no-enclosing"
                        metadata[fld.key] = enclosing
                        fld.key = fld.key.lower()  # NormalizeFieldKeys: the last one wins
                        fields[fld.key] = fld
                    block.parser_metadata[removed_key] = metadata
                    if len(fields) != len(block.fields):
                        block.fields = list(fields.values())
                elif isinstance(block, String):
                    stripped, enclosing = strip(block.value)
                    block.value = stripped
                    if enclosing == "no-enclosing" and not stripped.isdigit():
                        block.enclosing = "no-enclosing"
                    block.parser_metadata[removed_key] = enclosing
            return library

    return [FileStringsEnclosingKeys()]


def read_bib_batches(
    open_lines: Callable[[], Iterable[str]], path: str, *, size: int = PIECE_CHARS
) -> Iterator[BibImport]:
    """Read a .bib file a piece at a time: one :class:`BibImport` per piece (its papers,
    and its failed blocks with their lines in the file), the same papers and failures
    in the same order as :func:`read_bib` of the whole text.

    ``open_lines`` opens the text anew (it is read twice: the first pass gathers the
    ``@string`` macros, which a whole parse resolves wherever they are defined); a
    UnicodeDecodeError or OSError from it propagates. Memory is one piece's worth.
    """
    for read in read_pieces(open_lines, path, size=size):
        yield read.batch


@dataclass
class PieceRead:
    """One piece as read: its batch, and the keys it registered (key -> 1-based line),
    which later pieces' duplicates are checked against. A reader that resumes after
    piece ``n`` is given the keys of pieces ``0..n-1`` (:func:`read_pieces`)."""

    batch: BibImport
    entry_keys: dict[str, int]
    string_keys: dict[str, int]


def read_pieces(
    open_lines: Callable[[], Iterable[str]],
    path: str,
    *,
    size: int = PIECE_CHARS,
    skip: int = 0,
    entry_lines: dict[str, int] | None = None,
    string_lines: dict[str, int] | None = None,
    known: Mapping[bytes, str] | None = None,
) -> Iterator[PieceRead]:
    """What :func:`read_bib_batches` reads, a :class:`PieceRead` per piece; from piece
    ``skip`` on, given the keys the pieces before it registered (``entry_lines``,
    ``string_lines``; updated as pieces are read), so that a reader taken over from
    another process reads the rest exactly as one reader would.

    Each paper comes with its entry's digest (:func:`entry_digests`). An entry whose
    digest is in ``known`` (digest -> entry key) is not parsed: it is passed on as
    :class:`Unchanged` (or reported a duplicate, as parsing it would), and the text
    around it is parsed in runs cut at its block start, which a parse of the whole
    piece must begin a block at too (the cut rule above)."""
    strings = _file_strings(open_lines, size)
    stack = _parse_stack(strings)
    salt = _digest_salt(strings)
    entry_lines = {} if entry_lines is None else entry_lines
    string_lines = {} if string_lines is None else string_lines
    for index, piece in enumerate(_pieces(open_lines(), size)):
        if index < skip:
            continue
        reader = _PieceReader(path, piece, stack, entry_lines, string_lines)
        own = piece.text[: piece.own_chars]
        units = _units(own)
        digests = [_digest(salt, own[a:b]) for a, b, _ in units]
        start = 0  # first unit of the run being gathered
        for u, (a, b, line) in enumerate(units):
            if not known or digests[u] not in known:
                continue
            if start < u:
                reader.parse_run(own, units[start:u], digests[start:u])
            reader.skip(known[digests[u]], digests[u], piece.first_line + line + 1, own[a:b])
            start = u + 1
        if start < len(units) or not units:
            reader.parse_run(own, units[start:], digests[start:])
        reader.batch.failed.sort()
        entry_lines.update(reader.new_entries)
        string_lines.update(reader.new_strings)
        yield PieceRead(reader.batch, reader.new_entries, reader.new_strings)


# -- entry digests ----------------------------------------------------------------------
#
# A re-import skips an entry whose raw text the catalog has merged before
# (catalog/importers/bib_digests.py). Its text is its unit: from a line-opening block
# start (the cut rule above, the one _pieces uses) to the next; the text before a
# piece's first block start is a unit of its own. A unit's digest covers its text, the
# file's @string macros (which its values may name) and the reader's version. Only a
# unit that parsed to exactly one entry, a paper, and nothing else but implicit comments
# gets one: it reads the same wherever it stands (its entry ends before the next block
# start; nothing before it reaches into it).

# Bumped whenever reading an entry, or merging it, would give something else.
READER_VERSION = b"catalog bib reader 1\n"
_UNIT_START = re.compile(r"(?<!\\\n)^[^\S\n]*@\w*[ \t]*(?=[{(])", re.MULTILINE)


def _units(text: str) -> list[tuple[int, int, int]]:
    """``text`` cut into units: (start, end, counted line of the start within text)."""
    starts = [m.start() for m in _UNIT_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    units: list[tuple[int, int, int]] = []
    line = 0
    for n, a in enumerate(starts):
        b = starts[n + 1] if n + 1 < len(starts) else len(text)
        if a == b:
            continue
        units.append((a, b, line))
        line += _counted_newlines(text[a:b])
    return units


def _digest_salt(strings: dict[str, str]) -> Any:
    import hashlib

    salt = hashlib.blake2b(digest_size=16)
    salt.update(READER_VERSION)
    for name in sorted(strings):
        salt.update(f"{len(name)}:{name}={len(strings[name])}:{strings[name]};".encode())
    return salt


def _digest(salt: Any, text: str) -> bytes:
    h = salt.copy()
    h.update(text.encode("utf-8", "surrogatepass"))
    return bytes(h.digest())


def read_entry(text: str, stack: list[Any]) -> PaperView:
    """The paper of one unit's ``text`` that was given a digest (see above), parsed
    alone with the file's parse ``stack``."""
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import Entry

    with _quiet_bibtexparser():
        library = parse_string(text, parse_stack=stack)
    entries = [b for b in library.blocks if isinstance(b, Entry)]
    if len(entries) != 1:
        raise ValueError(f"not one entry: {text[:80]!r}")
    paper = _paper(entries[0])
    if not paper.title:
        raise ValueError(f"entry without a title: {text[:80]!r}")
    return paper


def file_parse_stack(open_lines: Callable[[], Iterable[str]], size: int = PIECE_CHARS) -> list[Any]:
    """The parse stack :func:`read_pieces` reads this file's entries with."""
    return _parse_stack(_file_strings(open_lines, size))


class _PieceReader:
    """One piece's batch, gathered from the runs of units parsed and the units skipped."""

    def __init__(
        self,
        path: str,
        piece: _Piece,
        stack: list[Any],
        entry_lines: dict[str, int],
        string_lines: dict[str, int],
    ) -> None:
        self.piece = piece
        self.stack = stack
        self.entry_lines = entry_lines  # earlier pieces' keys
        self.string_lines = string_lines
        self.new_entries: dict[str, int] = {}  # this piece's
        self.new_strings: dict[str, int] = {}
        self.batch = BibImport(path=path)

    def _seen(self, key: str, entry: bool) -> int | None:
        if entry:
            return self.entry_lines.get(key, self.new_entries.get(key))
        return self.string_lines.get(key, self.new_strings.get(key))

    def skip(self, key: str, digest: bytes, line: int, text: str) -> None:
        earlier = self._seen(key, True)
        if earlier is not None:
            self.batch.failed.append((line, _duplicate(key, earlier)))
            return
        self.new_entries[key] = line
        self.batch.unchanged.append(Unchanged(len(self.batch.papers), digest, key, line, text))

    def parse_run(
        self, own: str, units: list[tuple[int, int, int]], digests: list[bytes]
    ) -> None:
        """Parse the consecutive ``units`` of the piece's own text, as a piece of their
        own (a sentinel at the block start after them), and gather what they hold."""
        from bisect import bisect_right

        from bibtexparser.entrypoint import parse_string
        from bibtexparser.model import (
            DuplicateBlockKeyBlock,
            Entry,
            ImplicitComment,
            MiddlewareErrorBlock,
            ParsingFailedBlock,
            String,
        )

        piece = self.piece
        a, b, first = (units[0][0], units[-1][1], units[0][2]) if units else (0, 0, 0)
        text = own[a:b]
        if b == len(own):  # the piece's own end, and its sentinel
            sentinel_line = None if piece.sentinel_line is None else _counted_newlines(text)
            run = _Piece(text + piece.text[piece.own_chars :], 0, sentinel_line, len(text))
        else:
            end = own.find("\n", b)
            boundary = own[b : end + 1 if end >= 0 else len(own)]
            run = _piece([text], 0, boundary)
        first_line = piece.first_line + first
        starts = [u[2] - first for u in units]
        with _quiet_bibtexparser():
            library = parse_string(run.text, parse_stack=self.stack)
        significant = [0] * len(units)
        papers: list[tuple[int, int]] = []  # (paper index, unit)
        batch = self.batch
        for block in library.blocks:
            if not _kept(block, run):
                continue
            unit = max(0, bisect_right(starts, block.start_line or 0) - 1)
            if not isinstance(block, ImplicitComment) and units:
                significant[unit] += 1
            line = (block.start_line or 0) + first_line + 1
            registered = (
                block.ignore_error_block if isinstance(block, MiddlewareErrorBlock) else block
            )
            if isinstance(registered, Entry | String):
                # A block the splitter registered: a duplicate of an earlier key?
                is_entry = isinstance(registered, Entry)
                earlier = self._seen(registered.key, is_entry)
                if earlier is not None:
                    batch.failed.append((line, _duplicate(registered.key, earlier)))
                    significant[unit] += 1  # never skipped: not a paper
                    continue
                (self.new_entries if is_entry else self.new_strings)[registered.key] = line
            if isinstance(block, DuplicateBlockKeyBlock):
                earlier = self._seen(block.key, isinstance(block.previous_block, Entry))
                if earlier is None:
                    earlier = (block.previous_block.start_line or 0) + first_line + 1
                batch.failed.append((line, _duplicate(block.key, earlier)))
            elif isinstance(block, Entry):
                count = len(batch.papers)
                _add_entry(batch, block, line)
                at_start = units and (block.start_line or 0) == starts[unit]
                if len(batch.papers) > count and at_start:
                    papers.append((count, unit))
                elif units:
                    significant[unit] += 1
            elif isinstance(block, ParsingFailedBlock):
                batch.failed.append((line, _failure_message(block)))
        batch.digests += [None] * (len(batch.papers) - len(batch.digests))
        for index, unit in papers:
            if significant[unit] == 1:
                batch.digests[index] = digests[unit]

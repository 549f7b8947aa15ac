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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from catalog.records import PaperView

__all__ = ["BibImport", "de_latex", "read_bib", "split_persons"]

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


def de_latex(value: str | None) -> str:
    """BibTeX/LaTeX source as plain text on one line; ``$...$`` math kept verbatim."""
    if not value:
        return ""
    if _LATEX_SYNTAX.search(value):
        value = str(_latex_to_text().latex_to_text(value))
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
        where = f" (first at line {previous + 1})" if previous is not None else ""
        return f"duplicate entry key {block.key!r}{where}; this entry is skipped"
    if isinstance(block, DuplicateFieldKeyBlock):
        entry = block.ignore_error_block
        key = getattr(entry, "key", "?")
        fields = ", ".join(sorted(block.duplicate_keys))
        return f"entry {key!r} has the field {fields} more than once; entry skipped"
    if isinstance(block, MiddlewareErrorBlock):
        return f"could not process entry: {block.error}"
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    return f"could not parse: {' '.join(str(reason).split())}"


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


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    names = []
    for person in split_persons(raw):
        name = _author_name(parse_single_name_into_parts(person, strict=False))
        if name:
            names.append(name)
    return names


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
        line = (entry.start_line or 0) + 1
        paper = _paper(entry)
        if not paper.title:
            result.failed.append((line, f"entry {entry.key!r} has no title; skipped"))
            continue
        result.papers.append(paper)
    result.failed.sort()
    return result

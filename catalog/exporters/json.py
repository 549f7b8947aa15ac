"""JSON export: the catalog's papers, sessions and presenters as one document.

The shape is described by ``catalog/exporters/schema.json`` (JSON Schema 2020-12)::

    {"papers": [...], "sessions": [...], "presenters": [...]}

* Papers carry every field of :class:`~catalog.records.PaperView` except the database
  id, as stored (text is not escaped or rewritten: JSON is the lossless format), plus
  ``citation_key``: the stored key, or the one generated for this export (the same
  key the BibTeX and CSL exports give the paper). Dates are ISO ``YYYY-MM-DD`` or null.
  ``identifiers`` is a list of ``{"scheme", "value"}`` in the order of
  :data:`~catalog.records.SCHEMES`; ``extra_fields`` and ``field_sources`` are sorted
  by name.
* Sessions name their papers by citation key: every paper of an export has one, unique
  in the document, while arXiv ids are missing for papers from .bib files or posts.
* Ordering is stable across runs: papers by citation key (case-insensitively), sessions
  by date (undated last) then slug, presentations by position, presenters by name.
* Output: UTF-8 (``ensure_ascii=False``), indented by 2, with a trailing newline.
  Formatting is byte-for-byte ``json.dumps(doc, ensure_ascii=False, indent=2)`` (the
  tests check it), but written by our own code: the stdlib indents only with its
  pure-Python encoder, and papers, the bulk, are written straight from the records with
  the stdlib's C string encoder, without a dict per paper; big exports on every core
  (:mod:`catalog.exporters.parallel`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from json import dumps
from json.encoder import encode_basestring
from typing import Any, TextIO

from catalog.exporters import ExportOptions
from catalog.exporters.common import collect_papers, paper_identity
from catalog.exporters.keys import assign_keys
from catalog.exporters.parallel import write_parts
from catalog.gc_pause import paused_gc
from catalog.records import SCHEMES, Identifier, PaperView, SessionView

__all__ = ["document", "dump_into", "dumps_indented", "export", "paper_record", "render", "write"]

# The stdlib's C string encoder, without ASCII escaping (what ensure_ascii=False uses).
_encode_str: Callable[[str], str] = encode_basestring


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


_SCHEME_RANK = {scheme: i for i, scheme in enumerate(SCHEMES)}


def _scheme_order(ident: Identifier) -> tuple[int, str, str]:
    return (_SCHEME_RANK.get(ident.scheme, len(SCHEMES)), ident.scheme, ident.value)


def _identifiers(paper: PaperView) -> list[Identifier]:
    """The paper's identifiers in SCHEMES order (the store gives them so; a view built
    elsewhere may not), so that the output does not depend on who made the view."""
    ids = paper.identifiers
    return sorted(ids, key=_scheme_order) if len(ids) > 1 else list(ids)


def paper_record(paper: PaperView, key: str) -> dict[str, Any]:
    """One paper as a JSON object (see the module docstring)."""
    return {
        "citation_key": key,
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in _identifiers(paper)],
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "published": _iso(paper.published),
        "updated": _iso(paper.updated),
        "year": paper.year,
        "primary_category": paper.primary_category,
        "categories": list(paper.categories),
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comment": paper.comment,
        "url": paper.url,
        "item_type": paper.item_type,
        "kind": paper.kind,
        "venue": paper.venue,
        "volume": paper.volume,
        "issue": paper.issue,
        "pages": paper.pages,
        "publisher": paper.publisher,
        "entry_type": paper.entry_type,
        "extra_fields": dict(sorted(paper.extra_fields.items())),
        "field_sources": dict(sorted(paper.field_sources.items())),
    }


def _plain(value: Any) -> Any:
    """Front-matter values made JSON-able: dates as ISO text, mappings with text keys,
    sets sorted, anything else unknown as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=str)
    return str(value)


def _session_order(session: SessionView) -> tuple[bool, str, str]:
    return (session.date is None, _iso(session.date) or "", session.slug)


def _keyed(
    papers: Sequence[PaperView], sessions: Sequence[SessionView]
) -> tuple[list[PaperView], list[str], list[int]]:
    """All papers of the export, their keys, and the indices in citation-key order."""
    all_papers = collect_papers(papers, sessions)
    keys = assign_keys(all_papers)
    # By casefolded key, then key: two stable sorts with C key functions (a third of
    # the time of sorting (casefolded, key, index) tuples).
    order = sorted(range(len(keys)), key=keys.__getitem__)
    folded = list(map(str.casefold, keys))
    order.sort(key=folded.__getitem__)
    return all_papers, keys, order


def _sessions_and_presenters(
    sessions: Sequence[SessionView], all_papers: list[PaperView], keys: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not sessions:
        return [], []
    key_of = {paper_identity(p): k for p, k in zip(all_papers, keys, strict=True)}
    session_records = []
    talks: dict[str, int] = {}
    presented: dict[str, set[str]] = {}
    session_count: dict[str, set[str]] = {}
    for session in sorted(sessions, key=_session_order):
        rows = []
        for row in sorted(session.presentations, key=lambda r: r.position):
            row_keys = [key_of[paper_identity(p)] for p in row.papers]
            rows.append(
                {
                    "position": row.position,
                    "presenter": row.presenter,
                    "title": row.title,
                    "papers": row_keys,
                    "slides_url": row.slides_url,
                    "link_url": row.link_url,
                    "links": [{"text": t, "url": u} for t, u in row.links],
                }
            )
            if row.presenter:
                talks[row.presenter] = talks.get(row.presenter, 0) + 1
                presented.setdefault(row.presenter, set()).update(row_keys)
                session_count.setdefault(row.presenter, set()).add(session.slug)
        session_records.append(
            {
                "slug": session.slug,
                "date": _iso(session.date),
                "title": session.title,
                "desc": session.desc,
                "term": session.term,
                "layout": session.layout,
                "categories": list(session.categories),
                "tags": list(session.tags),
                "extra": _plain(dict(session.extra)),
                "presentations": rows,
            }
        )
    presenters = [
        {
            "name": name,
            "talks": talks[name],
            "papers": len(presented[name]),
            "sessions": len(session_count[name]),
        }
        for name in sorted(talks, key=lambda n: (n.casefold(), n))
    ]
    return session_records, presenters


def document(papers: Sequence[PaperView], sessions: Sequence[SessionView]) -> dict[str, Any]:
    """The whole export as plain Python data (what :func:`export` writes)."""
    all_papers, keys, order = _keyed(papers, sessions)
    records = [paper_record(all_papers[i], keys[i]) for i in order]
    session_records, presenters = _sessions_and_presenters(sessions, all_papers, keys)
    return {"papers": records, "sessions": session_records, "presenters": presenters}


def _dump(value: Any, indent: str, parts: list[str]) -> None:
    """Append ``value`` as json.dumps(indent=2, ensure_ascii=False) writes it at the
    nesting level whose indentation is ``indent``."""
    if isinstance(value, str):
        parts.append(_encode_str(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif type(value) is int:
        parts.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = indent + "  "
        sep = "{\n" + inner
        for k, v in value.items():
            parts.append(sep)
            parts.append(_encode_str(k))
            parts.append(": ")
            _dump(v, inner, parts)
            sep = ",\n" + inner
        parts.append("\n" + indent + "}")
    elif isinstance(value, list):
        if not value:
            parts.append("[]")
            return
        inner = indent + "  "
        if all(type(v) is str for v in value):  # the common case: authors, categories
            parts.append(
                "[\n" + inner + (",\n" + inner).join(map(_encode_str, value)) + "\n" + indent + "]"
            )
            return
        sep = "[\n" + inner
        for v in value:
            parts.append(sep)
            _dump(v, inner, parts)
            sep = ",\n" + inner
        parts.append("\n" + indent + "]")
    else:  # numbers, and anything else the stdlib knows
        parts.append(dumps(value, ensure_ascii=False))


def dump_into(value: Any, indent: str, parts: list[str]) -> None:
    """Append ``value`` to ``parts`` as json.dumps(indent=2, ensure_ascii=False) writes
    it when nested at the level indented by ``indent``."""
    _dump(value, indent, parts)


def dumps_indented(value: Any) -> str:
    """Exactly ``json.dumps(value, ensure_ascii=False, indent=2)`` for JSON data with
    text keys, only faster."""
    parts: list[str] = []
    _dump(value, "", parts)
    return "".join(parts)


def _opt(value: str | None) -> str:
    return "null" if value is None else _encode_str(value)


def _str_list(values: list[str]) -> str:
    """A list of strings as a paper field value (items at indent 8)."""
    if not values:
        return "[]"
    return "[\n        " + ",\n        ".join(map(_encode_str, values)) + "\n      ]"


# Each identifier object up to its value, per scheme (there are a handful of schemes).
_ID_HEAD: dict[str, str] = {}


def _id_text(ident: Identifier) -> str:
    head = _ID_HEAD.get(ident.scheme)
    if head is None:
        head = _ID_HEAD[ident.scheme] = (
            '{\n          "scheme": ' + _encode_str(ident.scheme) + ',\n          "value": '
        )
    return head + _encode_str(ident.value) + "\n        }"


def _id_list(paper: PaperView) -> str:
    """The identifiers as a paper field value (objects at indent 8)."""
    ids = paper.identifiers
    if len(ids) == 1:  # most papers: their arXiv id, or their DOI
        return "[\n        " + _id_text(ids[0]) + "\n      ]"
    ordered = sorted(ids, key=_scheme_order)
    return "[\n        " + ",\n        ".join(map(_id_text, ordered)) + "\n      ]"


def _sorted_map(values: dict[str, str]) -> str:
    """A dict of strings as a paper field value, sorted by key (items at indent 8)."""
    items = sorted(values.items())
    if all(type(v) is str for _, v in items):  # as PaperView declares them
        body = ",\n        ".join([_encode_str(k) + ": " + _encode_str(v) for k, v in items])
        return "{\n        " + body + "\n      }"
    parts: list[str] = []
    _dump(dict(items), "      ", parts)
    return "".join(parts)


# %-formatting: the template is parsed in C on every call, twice as fast as str.format
# with this many fields.
_PAPER = (
    "{\n"
    '      "citation_key": %s,\n'
    '      "identifiers": %s,\n'
    '      "arxiv_id": %s,\n'
    '      "version": %s,\n'
    '      "title": %s,\n'
    '      "authors": %s,\n'
    '      "abstract": %s,\n'
    '      "published": %s,\n'
    '      "updated": %s,\n'
    '      "year": %s,\n'
    '      "primary_category": %s,\n'
    '      "categories": %s,\n'
    '      "doi": %s,\n'
    '      "journal_ref": %s,\n'
    '      "comment": %s,\n'
    '      "url": %s,\n'
    '      "item_type": %s,\n'
    '      "kind": %s,\n'
    '      "venue": %s,\n'
    '      "volume": %s,\n'
    '      "issue": %s,\n'
    '      "pages": %s,\n'
    '      "publisher": %s,\n'
    '      "entry_type": %s,\n'
    '      "extra_fields": %s,\n'
    '      "field_sources": %s\n'
    "    }"
)


def _paper_text(paper: PaperView, key: str) -> str:
    """:func:`paper_record` as it appears in the document, written directly: the same
    text as the generic writer, without building a dict per paper first. (Optional
    values are tested inline: a call per field is a tenth of the time per paper.)"""
    enc = _encode_str
    ids, extra, sources = paper.identifiers, paper.extra_fields, paper.field_sources
    kind, venue, volume = paper.kind, paper.venue, paper.volume
    issue, pages, publisher = paper.issue, paper.pages, paper.publisher
    return _PAPER % (
        enc(key),
        _id_list(paper) if ids else "[]",
        _opt(paper.arxiv_id),
        "null" if paper.version is None else int.__repr__(paper.version),
        enc(paper.title),
        _str_list(paper.authors),
        _opt(paper.abstract),
        _opt(_iso(paper.published)),
        _opt(_iso(paper.updated)),
        "null" if paper.year is None else int.__repr__(paper.year),
        _opt(paper.primary_category),
        _str_list(paper.categories),
        _opt(paper.doi),
        _opt(paper.journal_ref),
        _opt(paper.comment),
        _opt(paper.url),
        enc(paper.item_type),
        "null" if kind is None else enc(kind),
        "null" if venue is None else enc(venue),
        "null" if volume is None else enc(volume),
        "null" if issue is None else enc(issue),
        "null" if pages is None else enc(pages),
        "null" if publisher is None else enc(publisher),
        _opt(paper.entry_type),
        _sorted_map(extra) if extra else "{}",
        _sorted_map(sources) if sources else "{}",
    )


_CHUNK = 1000  # papers per write: big enough for few calls, small enough for little memory


def write(papers: Sequence[PaperView], sessions: Sequence[SessionView], out: TextIO) -> None:
    """Write the JSON text of :func:`document` (without the final newline) to ``out``,
    exactly as ``dumps_indented`` would, but streamed: papers, the bulk, are written
    straight from the records, a chunk at a time, never as one huge string."""
    all_papers, keys, order = _keyed(papers, sessions)
    session_records, presenters = _sessions_and_presenters(sessions, all_papers, keys)
    out.write('{\n  "papers": ')
    if order:

        def render_range(start: int, end: int) -> str:
            return ",\n    ".join([_paper_text(all_papers[i], keys[i]) for i in order[start:end]])

        out.write("[\n    ")
        write_parts(len(order), render_range, out, joiner=",\n    ", chunk=_CHUNK)
        out.write("\n  ]")
    else:
        out.write("[]")
    # Sessions and presenters are few: the generic writer will do.
    rest: list[str] = [',\n  "sessions": ']
    _dump(session_records, "  ", rest)
    rest.append(',\n  "presenters": ')
    _dump(presenters, "  ", rest)
    rest.append("\n}")
    out.write("".join(rest))


def render(papers: Sequence[PaperView], sessions: Sequence[SessionView]) -> str:
    """:func:`write` into a string."""
    buffer = io.StringIO()
    write(papers, sessions, buffer)
    return buffer.getvalue()


def export(
    papers: Sequence[PaperView],
    sessions: Sequence[SessionView],
    out: TextIO,
    options: ExportOptions,
) -> None:
    """Write the JSON document (``options`` changes nothing: JSON carries everything)."""
    with paused_gc():
        write(papers, sessions, out)
    out.write("\n")

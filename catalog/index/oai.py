"""OAI-PMH ``ListRecords`` as arXiv serves it, read by meaning.

A page is parsed whole (one page: memory stays at one page of records whatever the
list's size). A page with a DTD is refused (entity declarations and external entities
are never read): a UTF-8 page goes through ElementTree's C parser after a look for
``<!DOCTYPE``/``<!ENTITY``, one in any other encoding through defusedxml (see
:func:`_tree`). Elements are found by namespace
and local name, never by prefix or position:

* OAI-PMH ``http://www.openarchives.org/OAI/2.0/``: ``record``/``header`` (``identifier``,
  ``datestamp``, ``status="deleted"``), ``resumptionToken`` (``cursor`` and
  ``completeListSize`` optional: arXiv's current server omits them; an empty token ends
  the list), ``error`` with its ``code`` (``noRecordsMatch``, ``badResumptionToken``,
  ``badArgument``, ...);
* arXivRaw ``http://arxiv.org/OAI/arXivRaw/``: ``version`` elements with RFC 2822
  ``date`` and ``size`` (``0kb``: withdrawn), ``authors`` as one string, ``doi`` possibly
  holding several DOIs;
* arXiv ``http://arxiv.org/OAI/arXiv/``: ``created``/``updated`` dates and ``authors``
  as ``keyname``/``forenames``/``suffix``; no versions beyond v1's date.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any

from catalog.index.fields import (
    name_from_parts,
    one_line,
    parse_day,
    parse_dois,
    parse_size_kb,
    parse_version_date,
    split_authors,
)
from catalog.index.record import IndexRecord, Version

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIVRAW_NS = "http://arxiv.org/OAI/arXivRaw/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
PREFIXES = {"arXivRaw": ARXIVRAW_NS, "arXiv": ARXIV_NS}
_O = "{" + OAI_NS + "}"


class MalformedPage(Exception):
    """A 200 answer that is not a complete OAI-PMH document (truncated, not XML)."""


@dataclass(frozen=True)
class OaiError:
    code: str
    message: str


@dataclass
class Page:
    records: list[IndexRecord] = field(default_factory=list)
    token: str | None = None  # None or "": the list is complete
    cursor: int | None = None
    complete_list_size: int | None = None
    errors: list[OaiError] = field(default_factory=list)
    skipped: int = 0  # records in a metadata format this reader does not know
    response_date: str | None = None

    @property
    def error(self) -> OaiError | None:
        return self.errors[0] if self.errors else None


def list_records_params(
    prefix: str, set_spec: str | None, from_: date | None, until: date | None
) -> dict[str, str]:
    """The first request of a list (later ones carry only the token)."""
    params = {"verb": "ListRecords", "metadataPrefix": prefix}
    if set_spec:
        params["set"] = set_spec
    if from_ is not None:
        params["from"] = from_.isoformat()
    if until is not None:
        params["until"] = until.isoformat()
    return params


def resume_params(token: str) -> dict[str, str]:
    return {"verb": "ListRecords", "resumptionToken": token}


def parse_page(source: IO[bytes]) -> Page:
    """Read one ``ListRecords`` answer. Raises :class:`MalformedPage`."""
    with _collector_paused():
        return _parse_page(source)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a page is read: its 56,000 elements and
    2,500 records (none of which refer to each other in a cycle) made it sweep over and
    over, a quarter of reading a page. A page is bounded, so the memory is."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _parse_page(source: IO[bytes]) -> Page:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    try:
        root = _tree(source)
    except ParseError as exc:
        raise MalformedPage(f"the page is not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise MalformedPage(f"the page was refused: {type(exc).__name__}") from None
    if root is None or root.tag != _O + "OAI-PMH":
        raise MalformedPage(f"not an OAI-PMH answer (root element {getattr(root, 'tag', None)})")
    page = Page()
    for elem in root.iter(_O + "responseDate"):
        page.response_date = (elem.text or "").strip()
    for elem in root.iter(_O + "error"):
        page.errors.append(OaiError((elem.get("code") or "").strip(), one_line(elem.text) or ""))
    for elem in root.iter(_O + "record"):
        record = _read_record(elem)
        if record is None:
            page.skipped += 1
        else:
            page.records.append(record)
    for elem in root.iter(_O + "resumptionToken"):
        page.token = (elem.text or "").strip() or None
        page.cursor = _int(elem.get("cursor"))
        page.complete_list_size = _int(elem.get("completeListSize"))
    return page


_CHUNK = 1 << 16
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_PLAIN_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _tree(source: IO[bytes]) -> Any:
    """The page's root element. A page in UTF-8 (or ASCII) without a DTD, as every
    OAI-PMH answer is, is built by ElementTree's C parser in one go, a fraction of the
    time of defusedxml's pure-Python one (whose handlers run for each of a page's
    56,000 elements); with no DTD there is nothing to declare an entity (the only way
    to one in UTF-8 is the literal ``<!DOCTYPE``/``<!ENTITY``, looked for across chunk
    joins too), and a page that has one is refused as defusedxml would. A page in any
    other encoding is read by defusedxml, from the start. A page is at most a few
    megabytes (2,500 records at arXiv), so its whole tree is what memory holds."""
    from xml.etree.ElementTree import XMLParser

    from defusedxml import DTDForbidden

    first = source.read(_CHUNK)
    if not _utf8(first):
        from defusedxml.ElementTree import parse

        return parse(_Rewound(first, source)).getroot()
    parser = XMLParser()
    chunk, tail = first, b""
    while chunk:
        if any(mark in tail + chunk[:16] or mark in chunk for mark in _DTD):
            raise DTDForbidden(None, None, None)
        parser.feed(chunk)
        tail = chunk[-16:]
        chunk = source.read(_CHUNK)
    return parser.close()  # a truncated page raises here


def _utf8(head: bytes) -> bool:
    """Whether a page starting with ``head`` is UTF-8 (or ASCII) by its bytes and its
    XML declaration."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
        return False  # UTF-16 or UTF-32
    m = _PLAIN_ENCODING.match(head)
    return m is None or m.group(1).strip().lower() in (b"utf-8", b"utf8", b"us-ascii", b"ascii")


class _Rewound:
    """``source`` with its first bytes (already read) in front again."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self.head, self.source = head, source

    def read(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.source.read(size)


def _read_record(elem: Any) -> IndexRecord | None:
    header = elem.find(_O + "header")
    if header is None:
        return None
    ident = _text(header.find(_O + "identifier"))
    datestamp = parse_day(_text(header.find(_O + "datestamp")))
    arxiv_id = _id_from_oai_identifier(ident)
    if header.get("status") == "deleted":
        if not arxiv_id:
            return None
        return IndexRecord(arxiv_id=arxiv_id, title="", datestamp=datestamp, deleted=True)
    metadata = elem.find(_O + "metadata")
    if metadata is None:
        return None
    for child in metadata:
        if child.tag == "{" + ARXIVRAW_NS + "}arXivRaw":
            return _read_arxivraw(child, arxiv_id, datestamp)
        if child.tag == "{" + ARXIV_NS + "}arXiv":
            return _read_arxiv(child, arxiv_id, datestamp)
    return None


def _id_from_oai_identifier(ident: str | None) -> str:
    """``oai:arXiv.org:0704.0001`` -> ``0704.0001`` (``hep-th/9901001`` keeps its slash)."""
    if not ident:
        return ""
    ident = ident.strip()
    if ident.lower().startswith("oai:"):
        ident = ident.split(":", 2)[-1]
    return ident


_RAW = "{" + ARXIVRAW_NS + "}"
_RAW_VERSION = _RAW + "version"
_RAW_DATE, _RAW_SIZE = _RAW + "date", _RAW + "size"


def _read_arxivraw(node: Any, fallback_id: str, datestamp: date | None) -> IndexRecord | None:
    # The record's children are read in one pass into their texts by local name (a
    # ``find`` for each of a dozen fields scanned them a dozen times).
    fields: dict[str, str] = {}
    versions = []
    for child in node:
        tag = child.tag
        if tag == _RAW_VERSION:
            number = _version_number(child.get("version"))
            if number is None:
                continue
            when = size_text = None
            for part in child:
                if part.tag == _RAW_DATE and when is None:
                    when = _text(part)
                elif part.tag == _RAW_SIZE and size_text is None:
                    size_text = _text(part)
            size = parse_size_kb(size_text)
            versions.append(
                Version(
                    number=number,
                    date=parse_version_date(when),
                    size_kb=size,
                    withdrawn=None if size is None else size == 0,
                )
            )
        elif tag[: len(_RAW)] == _RAW:
            name = tag[len(_RAW) :]
            if name not in fields:  # the first of a name, as find() gave
                fields[name] = _text(child) or ""
    arxiv_id = fields.get("id") or fallback_id
    if not arxiv_id:
        return None
    if len(versions) > 1:
        versions.sort(key=lambda v: v.number)
    get = fields.get
    return IndexRecord(
        arxiv_id=arxiv_id.strip(),
        title=one_line(get("title")),
        authors=split_authors(get("authors")),
        abstract=one_line(get("abstract")),
        categories=tuple((get("categories") or "").split()),
        versions=tuple(versions),
        dois=parse_dois(get("doi")),
        journal_ref=one_line(get("journal-ref")) or None,
        comments=one_line(get("comments")) or None,
        datestamp=datestamp,
    )


def _read_arxiv(node: Any, fallback_id: str, datestamp: date | None) -> IndexRecord | None:
    ns = "{" + ARXIV_NS + "}"
    arxiv_id = _text(node.find(ns + "id")) or fallback_id
    if not arxiv_id:
        return None
    authors = []
    for author in node.iterfind(f"{ns}authors/{ns}author"):
        parts = [_text(author.find(ns + k)) or "" for k in ("keyname", "forenames", "suffix")]
        name = name_from_parts(parts)
        if name:
            authors.append(name)
    created = parse_day(_text(node.find(ns + "created")))
    versions: tuple[Version, ...] = ()
    if created is not None:  # the arXiv format dates v1 only (to the day)
        versions = (Version(1, datetime(created.year, created.month, created.day, tzinfo=UTC)),)
    return IndexRecord(
        arxiv_id=arxiv_id.strip(),
        title=one_line(_text(node.find(ns + "title"))),
        authors=tuple(authors),
        abstract=one_line(_text(node.find(ns + "abstract"))),
        categories=tuple((_text(node.find(ns + "categories")) or "").split()),
        versions=versions,
        dois=parse_dois(_text(node.find(ns + "doi"))),
        journal_ref=one_line(_text(node.find(ns + "journal-ref"))) or None,
        comments=one_line(_text(node.find(ns + "comments"))) or None,
        datestamp=datestamp,
    )


def _version_number(text: str | None) -> int | None:
    if not text:
        return None
    text = text.strip().lower().lstrip("v")
    return int(text) if text.isdigit() else None


def _text(elem: Any) -> str | None:
    if elem is None:
        return None
    if not len(elem):  # no child elements: the text is all there is
        return str(elem.text or "")
    return "".join(elem.itertext())


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and text.strip() else None
    except ValueError:
        return None

"""Turn an arXiv API answer (an Atom 1.0 feed, as bytes) into plain records.

Parsing is done by ``defusedxml``'s ElementTree with DTDs forbidden: a document that
declares a DTD or entities (billion laughs, external entities, an HTML error page with a
doctype) is refused as :class:`MalformedFeed` before anything is expanded. One vetted parse
reads the entries too; matching elements by local name keeps it tolerant of the small
variations arXiv's answers have had (http/https ids, element order, namespace spelling).

Nothing from a feed is ever executed or used as a file path: the values become strings,
ints and datetimes in :class:`~catalog.records.ArxivRecord`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from catalog.errors import CatalogError
from catalog.records import ArxivRecord
from catalog.sources.arxiv.ids import ArxivId, arxiv_id_from_url

__all__ = ["FeedAnswer", "FeedError", "MalformedFeed", "clean_text", "parse_feed"]

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV_NS = "http://arxiv.org/schemas/atom"

_ERROR_ID = re.compile(r"^https?://(?:[\w-]+\.)*arxiv\.org/api/errors\b", re.IGNORECASE)
# "incorrect id format for 1234.5" / "... for id 1234.5" / "#incorrect_id_format_for_1234.5"
_ID_IN_MESSAGE = re.compile(r"\bid(?:\s+format)?\s+for\s+(?:id\s+)?['\"]?([^\s'\"]+)", re.I)
_ID_IN_FRAGMENT = re.compile(r"#.*?_for_(.+)$", re.IGNORECASE)


class MalformedFeed(CatalogError):
    """The answer is not a well-formed Atom feed (truncated, HTML, empty, or has a DTD)."""

    exit_code = 3


@dataclass(frozen=True)
class FeedError:
    """An arXiv error entry: ``message`` is its summary; ``id`` the id it names, if any."""

    message: str
    id: str | None = None


@dataclass
class FeedAnswer:
    records: list[ArxivRecord] = field(default_factory=list)
    errors: list[FeedError] = field(default_factory=list)
    total_results: int | None = None
    # Entries that could not be read (no usable id or dates); their ids end up "missing".
    skipped: list[str] = field(default_factory=list)


def parse_feed(data: bytes) -> FeedAnswer:
    """Parse an arXiv Atom answer. Raises :class:`MalformedFeed` if it is not one."""
    root = _vetted_root(data)
    answer = FeedAnswer()
    total = _child_text(root, "totalResults")
    if total is not None:
        try:
            answer.total_results = int(total.strip())
        except ValueError:
            answer.total_results = None
    for entry in _children(root, "entry"):
        error = _error_of(entry)
        if error is not None:
            answer.errors.append(error)
            continue
        record = _record_of(entry)
        if isinstance(record, str):
            answer.skipped.append(record)
        else:
            answer.records.append(record)
    return answer


def clean_text(text: str | None) -> str:
    """Join hard line breaks and collapse runs of whitespace; TeX and Unicode kept as is."""
    return " ".join((text or "").split())


# --- internals --------------------------------------------------------------------------------


def _vetted_root(data: bytes) -> Element:
    if not data or not data.strip():
        raise MalformedFeed("arXiv sent an empty answer instead of an Atom feed")
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DTDForbidden as exc:
        raise MalformedFeed(
            "arXiv's answer declares a DTD (an HTML page or an entity payload), not an Atom feed"
        ) from exc
    except defusedxml.DefusedXmlException as exc:  # entities, external references
        raise MalformedFeed(f"arXiv's answer was refused as unsafe XML: {exc}") from exc
    except ParseError as exc:
        raise MalformedFeed(f"arXiv's answer is not well-formed XML ({exc})") from exc
    if _local(root.tag) != "feed":
        raise MalformedFeed(f"arXiv's answer is <{_local(root.tag)}>, not an Atom <feed>")
    return root


def _local(tag: object) -> str:
    # Comments and processing instructions have non-string tags.
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> Iterator[Element]:
    return (child for child in el if _local(child.tag) == name)


def _child(el: Element, name: str) -> Element | None:
    return next(_children(el, name), None)


def _child_text(el: Element, name: str) -> str | None:
    child = _child(el, name)
    if child is None:
        return None
    return "".join(child.itertext())


def _optional(el: Element, name: str) -> str | None:
    text = clean_text(_child_text(el, name))
    return text or None


def _error_of(entry: Element) -> FeedError | None:
    entry_id = clean_text(_child_text(entry, "id"))
    title = clean_text(_child_text(entry, "title"))
    is_error_id = bool(_ERROR_ID.match(entry_id))
    if not is_error_id and not (title.lower() == "error" and "/abs/" not in entry_id):
        return None
    message = clean_text(_child_text(entry, "summary")) or title or "unknown arXiv error"
    named: str | None = None
    m = _ID_IN_MESSAGE.search(message)
    if m:
        named = m.group(1)
    else:
        m = _ID_IN_FRAGMENT.search(entry_id)
        if m:
            named = m.group(1)
    if named is not None:
        named = named.rstrip(".,;:)") or None
    return FeedError(message=message, id=named)


def _record_of(entry: Element) -> ArxivRecord | str:
    """An ArxivRecord, or a short reason (str) why the entry was skipped."""
    raw_id = clean_text(_child_text(entry, "id"))
    ident = arxiv_id_from_url(raw_id) if raw_id else None
    if ident is None:
        return f"entry id {raw_id!r} is not an arXiv abs URL"
    version = ident.version
    if version is None:
        version = _version_from_links(entry, ident)
    if version is None:
        return f"entry {raw_id!r} names no version"
    updated = _date(_child_text(entry, "updated"))
    published = _date(_child_text(entry, "published"))
    if updated is None and published is None:
        return f"entry {raw_id!r} has no readable dates"
    published = published or updated
    updated = updated or published
    assert published is not None and updated is not None  # one of them was readable

    authors = tuple(
        name
        for author in _children(entry, "author")
        if (name := clean_text(_child_text(author, "name")))
    )
    primary = _child(entry, "primary_category")
    primary_term = clean_text(primary.get("term")) if primary is not None else ""
    categories: list[str] = []
    for cat in _children(entry, "category"):
        term = clean_text(cat.get("term"))
        if term and term not in categories:
            categories.append(term)
    return ArxivRecord(
        arxiv_id=ident.id,
        version=version,
        title=clean_text(_child_text(entry, "title")),
        authors=authors,
        abstract=clean_text(_child_text(entry, "summary")),
        published=published,
        updated=updated,
        primary_category=primary_term or None,
        categories=tuple(categories),
        doi=_optional(entry, "doi"),
        journal_ref=_optional(entry, "journal_ref"),
        comment=_optional(entry, "comment"),
        url=f"https://arxiv.org/abs/{ident.id}",
    )


def _version_from_links(entry: Element, ident: ArxivId) -> int | None:
    for link in _children(entry, "link"):
        found = arxiv_id_from_url(link.get("href") or "")
        if found is not None and found.id == ident.id and found.version is not None:
            return found.version
    return None


def _date(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:  # arXiv writes Z; a bare time is taken as UTC too
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

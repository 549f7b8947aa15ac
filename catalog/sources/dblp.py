"""DBLP: title search and records by DBLP key, as plain WorkRecords.

Endpoints under ``CATALOG_DBLP_URL`` (default ``https://dblp.org``):

* ``GET /search/publ/api?q=TITLE&format=json&h=N``: hits at ``result.hits.hit[].info``
  (title, authors.author, venue, year, type, key, doi, ee, url, pages, volume, number);
* ``GET /rec/KEY.xml``: one record (``<article>``, ``<inproceedings>``, ``<phdthesis>``,
  ...); an unknown key is a 404. DBLP has no way to ask for several keys at once, so
  keys are asked one by one, politely.

At least 2 s between requests (``CATALOG_DBLP_DELAY`` overrides); DBLP answers 429 with
``Retry-After`` when pushed, which the HTTP layer honours.

DBLP's quirks, read by meaning: titles end with "." and carry entities (``&amp;``); names
carry homonym numbers ("Ehsan Kazemi 0001"); a single author is an object, not a list; a
zero-hit answer has no ``hit`` key; ``ee`` and ``venue`` may be a string or a list; types
are phrases ("Conference and Workshop Papers", "Informal and Other Publications", "Books
and Theses") whose wording has changed over the years, so ``kind`` looks for words in them.
CoRR entries are arXiv preprints; a "Books and Theses" entry with a school (or a ``phd/``
key) is a thesis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from catalog.errors import SourceUnavailable
from catalog.records import Identifier, WorkRecord
from catalog.sources import FetchOutcome
from catalog.sources.arxiv.ids import arxiv_id_from_url
from catalog.sources.base import HttpSource
from catalog.sources.http import BadAnswer, Failure, Http, HttpEvent, Reply, env_delay, env_url
from catalog.sources.markup import kind_from_title, plain_text, strip_dblp_title

__all__ = ["DEFAULT_DELAY", "DEFAULT_URL", "DblpSource", "hit_record", "xml_record"]

DEFAULT_URL = "https://dblp.org"
DEFAULT_DELAY = 2.0
_HOMONYM = re.compile(r"\s+\d{4}$")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)
_XML_KINDS = {
    "article": "journal",
    "inproceedings": "proceedings",
    "incollection": "chapter",
    "book": "book",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "proceedings": "other",  # an editorship: the volume, not a paper
    "www": "other",
    "data": "other",
}


class DblpSource(HttpSource):
    """DBLP's search API and record pages. Use as a context manager."""

    name = "dblp"

    def __init__(
        self,
        base_url: str | None = None,
        delay: float | None = None,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        on_event: Callable[[HttpEvent], None] | None = None,
    ) -> None:
        self.base_url = (base_url or env_url("CATALOG_DBLP_URL", DEFAULT_URL)).rstrip("/")
        configured = env_delay("CATALOG_DBLP_DELAY", DEFAULT_DELAY) if delay is None else delay
        assert configured is not None  # a default was given
        self.http = Http(
            self.name,
            [self.base_url],
            delay=configured,
            timeout=timeout,
            max_attempts=max_attempts,
            on_event=on_event,
        )

    # -- capabilities

    def knows(self, ident: Identifier) -> bool:
        return ident.scheme == "dblp"

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome:
        """Records by DBLP key (``conf/icml/KazemiZK18``), one request per key."""
        with self.counted() as out:
            for ident in dict.fromkeys(i for i in idents if self.knows(i)):
                key = ident.value.strip().strip("/")
                outcome = self.http.get(
                    f"{self.base_url}/rec/{quote(key, safe='/')}.xml",
                    read=_read_xml,
                    accept_status=(200, 404, 410),
                )
                if isinstance(outcome, Failure):
                    out.failed[ident] = f"DBLP: {outcome}"
                elif outcome is None:
                    out.missing.append(ident)
                else:
                    out.records[ident] = outcome
        return out

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        """DBLP's hits for ``title``, in its order (candidates, not a decision).
        Raises :class:`SourceUnavailable` when DBLP cannot answer."""
        # DBLP reads "|", "-", "$" and "*" as operators; a title is just words.
        query = " ".join(re.sub(r"[^\w']+", " ", title).split())
        if not query:
            return []
        params = {"q": query, "format": "json", "h": str(max(1, min(limit, 1000)))}
        outcome = self.http.get(f"{self.base_url}/search/publ/api", params, read=_read_hits)
        if isinstance(outcome, Failure):
            raise SourceUnavailable(f"DBLP could not be searched at {self.base_url}: {outcome}")
        return [r for r in (hit_record(info) for info in outcome) if r is not None]


# --- search answers -------------------------------------------------------------------------


def _read_hits(reply: Reply) -> list[dict[str, Any]]:
    data = reply.json()
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        raise BadAnswer("DBLP's answer has no result object")
    status = result.get("status")
    code = str(status.get("@code", "200")) if isinstance(status, dict) else "200"
    if code != "200":
        raise BadAnswer(f"DBLP's result says status {code}")
    hits = result.get("hits")
    if not isinstance(hits, dict):
        raise BadAnswer("DBLP's result has no hits object")
    found = []
    for hit in _list(hits.get("hit")):  # absent when nothing matched
        info = hit.get("info") if isinstance(hit, dict) else None
        if isinstance(info, dict):
            found.append(info)
    return found


def hit_record(info: dict[str, Any]) -> WorkRecord | None:
    """One search hit's ``info`` as a WorkRecord; None when it has no title."""
    title = strip_dblp_title(plain_text(_text(info.get("title"))))
    if not title:
        return None
    authors_field = info.get("authors")
    people = authors_field.get("author") if isinstance(authors_field, dict) else None
    authors = []
    for person in _list(people):
        name = person.get("text") if isinstance(person, dict) else person
        if isinstance(name, str) and name.strip():
            authors.append(_name(name))
    key = _text(info.get("key"))
    venue = " ".join(_text(v) for v in _list(info.get("venue")) if _text(v)) or None
    kind = _kind_of_type(_text(info.get("type")), key, venue, title, school=None)
    links = tuple(_text(e) for e in _list(info.get("ee")) if _text(e))
    return WorkRecord(
        source="dblp",
        title=title,
        authors=tuple(authors),
        year=_year(_text(info.get("year"))),
        kind=kind,
        venue=None if kind in ("preprint", "thesis", "book") else venue,
        volume=None if kind == "preprint" else _text(info.get("volume")) or None,
        issue=_text(info.get("number")) or None,
        pages=_text(info.get("pages")) or None,
        publisher=_text(info.get("publisher")) or None,
        url=_text(info.get("url")) or None,
        identifiers=_identifiers(key, _text(info.get("doi")), links),
        links=links,
        source_id=key or None,
    )


# --- record pages ---------------------------------------------------------------------------


def _read_xml(reply: Reply) -> WorkRecord | None:
    if reply.status in (404, 410):
        return None
    try:
        root: Element = SafeET.fromstring(reply.content, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:  # a DTD, entities: an HTML page, a payload
        raise BadAnswer(f"DBLP's record is not plain XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise BadAnswer(f"DBLP's record is not well-formed XML ({exc})") from None
    entry = root if root.tag != "dblp" else next(iter(root), None)
    if entry is None:
        raise BadAnswer("DBLP's record page holds no record")
    record = xml_record(entry)
    if record is None:
        raise BadAnswer("DBLP's record has no title")
    return record


def xml_record(entry: Element) -> WorkRecord | None:
    """One ``<article>``/``<inproceedings>``/... element of a DBLP record as a WorkRecord."""

    def texts(name: str) -> list[str]:
        return [" ".join("".join(e.itertext()).split()) for e in entry.findall(name)]

    def first(name: str) -> str | None:
        found = [t for t in texts(name) if t]
        return found[0] if found else None

    title = strip_dblp_title(plain_text(first("title")))
    if not title:
        return None
    key = entry.get("key", "")
    school = first("school")
    venue = first("journal") or first("booktitle")
    if entry.tag == "article" and (entry.get("publtype") == "informal" or venue == "CoRR"):
        kind = "preprint"
    elif entry.tag in ("book", "phdthesis", "mastersthesis") and (
        school or key.startswith("phd/") or entry.tag != "book"
    ):
        kind = "thesis"
    else:
        kind = _XML_KINDS.get(entry.tag, "other")
    kind = kind_from_title(title) or kind
    links = tuple(t for t in texts("ee") if t)
    url = f"https://dblp.org/rec/{key}" if key else None
    return WorkRecord(
        source="dblp",
        title=title,
        authors=tuple(_name(a) for a in texts("author") + texts("editor") if a),
        year=_year(first("year")),
        kind=kind,
        venue=None if kind in ("preprint", "thesis", "book") else venue,
        volume=None if kind == "preprint" else first("volume"),
        issue=first("number"),
        pages=first("pages"),
        publisher=school if kind == "thesis" else first("publisher"),
        url=url,
        identifiers=_identifiers(key, "", links),
        links=links,
        source_id=key or None,
    )


# --- shared -----------------------------------------------------------------------------------


def _kind_of_type(
    dblp_type: str, key: str, venue: str | None, title: str, school: str | None
) -> str:
    from_title = kind_from_title(title)
    if from_title is not None:
        return from_title
    words = dblp_type.casefold()
    if venue == "CoRR" or "informal" in words:
        return "preprint"
    if "journal" in words:
        return "journal"
    if "conference" in words or "workshop" in words:
        return "proceedings"
    if "parts in books" in words or "collection" in words:
        return "chapter"
    if "book" in words or "thes" in words:
        return "thesis" if school or key.startswith("phd/") or "thesis" in key else "book"
    return "other"


def _identifiers(key: str, doi: str, links: Sequence[str]) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    if key:
        found.append(Identifier("dblp", key))
    dois = [doi] if doi else []
    dois += [
        m.group(1) for link in links if (m := re.match(r"https?://(?:dx\.)?doi\.org/(.+)", link))
    ]
    for value in dois:
        value = value.strip().lower()
        arxiv = _ARXIV_DOI.match(value)
        ident = Identifier("arxiv", arxiv.group(1)) if arxiv else Identifier("doi", value)
        if ident not in found:
            found.append(ident)
    for link in links:
        parsed = arxiv_id_from_url(link)
        if parsed is not None and Identifier("arxiv", parsed.id) not in found:
            found.append(Identifier("arxiv", parsed.id))
    return tuple(found)


def _name(name: str) -> str:
    return _HOMONYM.sub("", " ".join(plain_text(name).split()))


def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if len(text) == 4 and text.isdigit() else None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""

"""Proceedings pages: PMLR, NeurIPS and the ACL Anthology, read from their landing pages.

These sites have no API in the issue's list, but their paper pages carry Highwire
``citation_*`` meta tags (citation_title, citation_author, citation_publication_date or
citation_date, citation_conference_title or citation_journal_title, citation_volume,
citation_firstpage, citation_lastpage, citation_doi, citation_pdf_url), the tags Google
Scholar reads. This source fetches the page an identifier names and reads those tags
with the stdlib HTML parser, up to the end of ``<head>``; pages are bounded to 2 MiB.

One endpoint variable per site, with the real defaults:

===========  =======================  ==============================  ========================
scheme       variable                 default                         page of an identifier
===========  =======================  ==============================  ========================
``pmlr``     ``CATALOG_PMLR_URL``     https://proceedings.mlr.press   ``/v80/kazemi18a.html``
``neurips``  ``CATALOG_NEURIPS_URL``  https://proceedings.neurips.cc  ``/paper/Y/hash/H-...``
``acl``      ``CATALOG_ACL_URL``      https://aclanthology.org        ``/N19-1423/``
===========  =======================  ==============================  ========================

(``/paper/Y/hash/H-...`` is ``/paper/2014/hash/<32 hex>-Abstract.html``.)

A legacy NeurIPS number (``neurips:5346``, or ``2014/5346``, from
``papers.nips.cc/paper/5346-...``) is asked as ``/paper/5346`` and the site's redirect to
the hash page is followed. Same-host redirects are followed (up to three); a redirect to
another host of the *same site* (papers.nips.cc and proceedings.neurips.cc, aclweb.org
and aclanthology.org, jmlr.org and proceedings.mlr.press) is not followed there: its path
is asked again on the configured endpoint, so a mirror or stand-in set by the variable
keeps serving, and nothing talks to a host without a variable. A redirect anywhere else
fails that identifier. ``CATALOG_PROCEEDINGS_DELAY`` spaces the requests to each site
(default 1 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from urllib.parse import urlsplit

from catalog.records import Identifier, WorkRecord
from catalog.sources import FetchOutcome
from catalog.sources.base import HttpSource
from catalog.sources.http import (
    BadAnswer,
    Failure,
    Http,
    HttpEvent,
    Reply,
    env_delay,
    env_url,
)
from catalog.sources.ids import identifier_url
from catalog.sources.markup import display_name, kind_from_title, plain_text

__all__ = ["DEFAULT_URLS", "SCHEMES", "ProceedingsSource", "page_record", "read_meta"]

SCHEMES = ("pmlr", "neurips", "acl")
VARIABLES = {"pmlr": "CATALOG_PMLR_URL", "neurips": "CATALOG_NEURIPS_URL", "acl": "CATALOG_ACL_URL"}
DEFAULT_URLS = {
    "pmlr": "https://proceedings.mlr.press",
    "neurips": "https://proceedings.neurips.cc",
    "acl": "https://aclanthology.org",
}
# The hosts each site has answered from over the years.
SITE_HOSTS = {
    "pmlr": {"proceedings.mlr.press", "jmlr.org", "www.jmlr.org"},
    "neurips": {
        "proceedings.neurips.cc",
        "papers.neurips.cc",
        "papers.nips.cc",
        "nips.cc",
        "neurips.cc",
    },
    "acl": {"aclanthology.org", "www.aclanthology.org", "aclweb.org", "www.aclweb.org"},
}
DEFAULT_DELAY = 1.0
MAX_PAGE_BYTES = 2 * 1024 * 1024
_HASH = re.compile(r"/paper(?:_files/paper)?/(\d{4})/hash/([0-9a-f]{32})-", re.I)
_LEGACY = re.compile(r"^(?:(\d{4})/)?(\d{1,5})(?:-[\w-]*)?$")


class ProceedingsSource(HttpSource):
    """PMLR, NeurIPS and ACL Anthology landing pages. Use as a context manager."""

    name = "proceedings"

    def __init__(
        self,
        urls: dict[str, str] | None = None,
        delay: float | None = None,
        *,
        timeout: float = 30.0,
        max_attempts: int = 4,
        on_event: Callable[[HttpEvent], None] | None = None,
    ) -> None:
        given = urls or {}
        self.urls = {
            site: (given.get(site) or env_url(VARIABLES[site], DEFAULT_URLS[site])).rstrip("/")
            for site in SCHEMES
        }
        configured = (
            env_delay("CATALOG_PROCEEDINGS_DELAY", DEFAULT_DELAY) if delay is None else delay
        )
        assert configured is not None  # a default was given
        self.http = Http(
            self.name,
            self.urls.values(),
            delay=configured,
            timeout=timeout,
            max_attempts=max_attempts,
            max_redirects=3,
            max_bytes=MAX_PAGE_BYTES,
            accept="text/html,application/xhtml+xml",
            on_event=on_event,
        )

    # -- capabilities

    def knows(self, ident: Identifier) -> bool:
        return ident.scheme in SCHEMES and self.page_url(ident) is not None

    def page_url(self, ident: Identifier) -> str | None:
        """The landing page an identifier names on its site's configured endpoint."""
        value = ident.value.strip().strip("/")
        base = self.urls.get(ident.scheme)
        if base is None or not value:
            return None
        if ident.scheme == "pmlr":
            m = re.fullmatch(r"(v\d+)/([\w.-]+?)(?:\.html|\.pdf)?", value)
            return f"{base}/{m.group(1)}/{m.group(2)}.html" if m else None
        if ident.scheme == "acl":
            return f"{base}/{value}/" if re.fullmatch(r"[\w.-]+", value) else None
        m = re.fullmatch(r"(\d{4})/hash/([0-9a-fA-F]{32})", value)
        if m:
            return f"{base}/paper/{m.group(1)}/hash/{m.group(2).lower()}-Abstract.html"
        legacy = _LEGACY.fullmatch(value)
        return f"{base}/paper/{legacy.group(2)}" if legacy else None

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome:
        """Records from the landing pages, one request (or a few redirects) per page."""
        with self.counted() as out:
            for ident in dict.fromkeys(i for i in idents if i.scheme in SCHEMES):
                url = self.page_url(ident)
                if url is None:
                    out.missing.append(ident)
                    continue
                outcome = self._page(ident.scheme, url)
                if isinstance(outcome, Failure):
                    out.failed[ident] = f"{ident.scheme.upper()} page {url}: {outcome}"
                elif outcome is None:
                    out.missing.append(ident)
                else:
                    meta, page = outcome
                    record = page_record(meta, ident, page)
                    if record is None:
                        out.failed[ident] = (
                            f"{ident.scheme.upper()} page {url} has no citation_title"
                        )
                    else:
                        out.records[ident] = record
        return out

    # -- internals

    def _page(self, site: str, url: str) -> tuple[dict[str, list[str]], str] | Failure | None:
        outcome = self.http.get(url, read=_read_page, accept_status=(200, 404, 410))
        if isinstance(outcome, Failure) and outcome.location:
            moved = urlsplit(outcome.location)
            if (moved.hostname or "").lower() in SITE_HOSTS[site]:
                # The same site on another of its hosts: ask that path where we were told to.
                path = _local_path(site, moved.path) + (f"?{moved.query}" if moved.query else "")
                outcome = self.http.get(
                    self.urls[site] + path, read=_read_page, accept_status=(200, 404, 410)
                )
        return outcome


def _local_path(site: str, path: str) -> str:
    if site == "acl" and path.startswith("/anthology/"):
        # aclweb.org/anthology/N19-1423 is aclanthology.org/N19-1423/
        return "/" + path[len("/anthology/") :].strip("/") + "/"
    return path


def _read_page(reply: Reply) -> tuple[dict[str, list[str]], str] | None:
    if reply.status in (404, 410):
        return None
    parser = _parse_head(reply.text())
    meta = parser.meta
    if not parser.ended:
        # Tags may be lost after the cut (the PDF link, the pages): ask again.
        raise BadAnswer("the page ends before its <head> does (cut short)")
    if not meta.get("citation_title"):
        # An error or maintenance page served with 200: asking again may give the paper.
        raise BadAnswer("the page has no citation_title meta tag")
    return meta, reply.url


class _Stop(Exception):
    pass


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.ended = False  # the end of <head> (or the start of <body>) was reached

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            if tag == "body":
                self.ended = True
                raise _Stop
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        name = (values.get("name") or values.get("property") or "").strip().lower()
        content = " ".join(values.get("content", "").split())
        if name.startswith(("citation_", "dc.")) and content:
            self.meta.setdefault(name, []).append(content)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.ended = True
            raise _Stop


def read_meta(html: str) -> dict[str, list[str]]:
    """The ``citation_*`` (and ``DC.*``) meta tags of a page's head, name -> values in
    page order (names in lower case, entities decoded)."""
    return _parse_head(html).meta


def _parse_head(html: str) -> _MetaParser:
    parser = _MetaParser()
    try:
        parser.feed(html)
        parser.close()
    except _Stop:
        pass
    return parser


def page_record(meta: dict[str, list[str]], ident: Identifier, page_url: str) -> WorkRecord | None:
    """A landing page's Highwire tags as a WorkRecord of the site ``ident`` belongs to."""

    def first(*names: str) -> str | None:
        for name in names:
            for value in meta.get(name, []):
                text = plain_text(value)
                if text:
                    return text
        return None

    title = first("citation_title", "dc.title")
    if not title:
        return None
    authors = tuple(
        display_name(plain_text(a)) for a in meta.get("citation_author", []) if a.strip()
    )
    conference = first("citation_conference_title", "citation_inbook_title")
    journal = first("citation_journal_title")
    kind = "journal" if ident.scheme == "acl" and journal and not conference else "proceedings"
    kind = kind_from_title(title) or kind
    year = None
    for value in (
        meta.get("citation_publication_date", [])
        + meta.get("citation_date", [])
        + meta.get("citation_year", [])
    ):
        m = re.search(r"\b(1[89]\d\d|20\d\d)\b", value)
        if m:
            year = int(m.group(1))
            break
    firstpage, lastpage = first("citation_firstpage"), first("citation_lastpage")
    pages = f"{firstpage}-{lastpage}" if firstpage and lastpage else firstpage
    identifiers = [ident]
    m = _HASH.search(urlsplit(page_url).path)
    if ident.scheme == "neurips" and m:
        canonical = Identifier("neurips", f"{m.group(1)}/hash/{m.group(2).lower()}")
        if canonical != ident:
            identifiers.append(canonical)
    doi = first("citation_doi")
    if doi:
        doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi, flags=re.I).lower()
        identifiers.append(Identifier("doi", doi))
    pdf = first("citation_pdf_url")
    # The site's own page of the paper, not the endpoint that answered (a mirror).
    site = [i for i in identifiers if i.scheme in SCHEMES]
    url = next((u for i in reversed(site) if (u := identifier_url(i))), None) or page_url
    return WorkRecord(
        source="proceedings",
        title=title,
        authors=authors,
        year=year,
        kind=kind,
        venue=conference or journal,
        volume=first("citation_volume"),
        issue=first("citation_issue"),
        pages=pages,
        publisher=first("citation_publisher", "dc.publisher"),
        abstract=first("citation_abstract"),
        url=url,
        identifiers=tuple(identifiers),
        links=(pdf,) if pdf else (),
        source_id=str(ident),
    )

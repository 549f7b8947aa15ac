"""Crossref: works by DOI (many per request) and title search, as plain WorkRecords.

Endpoints under ``CATALOG_CROSSREF_URL`` (default ``https://api.crossref.org``):

* ``GET /works/{doi}`` for one DOI; an unknown DOI is a 404 with a plain-text body
  ("Resource not found."), which means *missing*, not *failed*;
* ``GET /works?filter=doi:A,doi:B,...&rows=N`` for many at once (``batch_size`` per
  request; a DOI holding a comma cannot go in a filter and is asked alone);
* ``GET /works?query.bibliographic=TITLE&rows=N`` to search.

Answers are JSON in the ``{"status", "message-type", "message"}`` envelope; a 200 whose
body is not that (truncated, HTML, ``"status": "failed"``) is retried by the HTTP layer.
Spacing follows Crossref's ``x-rate-limit-limit`` / ``x-rate-limit-interval`` headers, one
request at a time, at most one a second until the headers say otherwise;
``CATALOG_CROSSREF_DELAY`` sets a fixed floor instead (tests set 0). With
``CATALOG_CONTACT_EMAIL`` set, every request carries ``mailto=`` (Crossref's polite pool).

Titles hold HTML and MathML and abstracts JATS: records carry plain text. ``kind`` comes
from Crossref's ``type`` and is overridden by what says the work answers another one
(``update-to`` an erratum or correction, ``relation`` is-comment-on / is-reply-to /
is-review-of, a title such as "Comment on ..."), so such works are never taken for the
paper they are about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from catalog.errors import SourceUnavailable
from catalog.records import Identifier, WorkRecord
from catalog.sources import FetchOutcome
from catalog.sources.base import HttpSource
from catalog.sources.http import (
    BadAnswer,
    Failure,
    Http,
    HttpEvent,
    Refused,
    Reply,
    contact_email,
    env_delay,
    env_url,
)
from catalog.sources.markup import kind_from_title, plain_text

__all__ = ["DEFAULT_URL", "CrossrefSource", "work_record"]

DEFAULT_URL = "https://api.crossref.org"
DEFAULT_DELAY = 1.0  # until Crossref's rate headers say otherwise
BATCH_SIZE = 40  # DOIs per filter request: the query stays well under 2,000 characters

_TYPE_KINDS = {
    "journal-article": "journal",
    "proceedings-article": "proceedings",
    "posted-content": "preprint",
    "dissertation": "thesis",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "reference-entry": "chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "peer-review": "review",
}
_ERRATUM_UPDATES = {
    "erratum",
    "correction",
    "corrigendum",
    "addendum",
    "retraction",
    "removal",
    "expression_of_concern",
    "clarification",
}


class CrossrefSource(HttpSource):
    """Crossref's REST API. Use as a context manager so its connection is closed."""

    name = "crossref"

    def __init__(
        self,
        base_url: str | None = None,
        delay: float | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        timeout: float = 30.0,
        max_attempts: int = 5,
        on_event: Callable[[HttpEvent], None] | None = None,
    ) -> None:
        self.base_url = (base_url or env_url("CATALOG_CROSSREF_URL", DEFAULT_URL)).rstrip("/")
        fixed = env_delay("CATALOG_CROSSREF_DELAY", None) if delay is None else delay
        self.batch_size = max(1, batch_size)
        self.http = Http(
            self.name,
            [self.base_url],
            delay=DEFAULT_DELAY if fixed is None else fixed,
            # A delay someone set is a floor the rate headers may raise, never lower.
            min_delay=0.0 if fixed is None else fixed,
            rate_headers=True,
            timeout=timeout,
            max_attempts=max_attempts,
            accept="application/json",
            on_event=on_event,
        )

    # -- capabilities

    def knows(self, ident: Identifier) -> bool:
        return ident.scheme == "doi"

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome:
        """Records for DOIs: one request for one DOI, ``filter=doi:...`` for several."""
        with self.counted() as out:
            wanted: dict[str, Identifier] = {}
            for ident in idents:
                if self.knows(ident):
                    wanted.setdefault(ident.value.lower(), ident)
            alone = [d for d in wanted if "," in d]
            grouped = [d for d in wanted if "," not in d]
            batches = [
                grouped[i : i + self.batch_size] for i in range(0, len(grouped), self.batch_size)
            ]
            batches += [[d] for d in alone]
            for batch in batches:
                if len(batch) == 1:
                    self._fetch_one(batch[0], wanted[batch[0]], out)
                else:
                    self._fetch_many(batch, wanted, out)
        return out

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        """Crossref's best matches for ``title``, in its order (candidates, not a
        decision). Raises :class:`SourceUnavailable` when Crossref cannot answer."""
        query = " ".join(title.split())
        if not query:
            return []
        params = self._params({"query.bibliographic": query, "rows": str(max(1, limit))})
        outcome = self.http.get(
            f"{self.base_url}/works", params, read=_read_list, accept_status=(200, 400)
        )
        if isinstance(outcome, Failure):
            raise SourceUnavailable(f"Crossref could not be searched at {self.base_url}: {outcome}")
        return [r for r in (work_record(item) for item in outcome) if r is not None]

    # -- internals

    def _params(self, params: dict[str, str]) -> dict[str, str]:
        email = contact_email()
        if email:
            params["mailto"] = email
        return params

    def _fetch_one(self, doi: str, ident: Identifier, out: FetchOutcome) -> None:
        outcome = self.http.get(
            f"{self.base_url}/works/{quote(doi, safe='/')}",
            self._params({}),
            read=_read_one,
            accept_status=(200, 404),
        )
        if isinstance(outcome, Failure):
            out.failed[ident] = f"Crossref: {outcome}"
        elif outcome is None:
            out.missing.append(ident)
        else:
            record = work_record(outcome)
            if record is None:
                out.failed[ident] = "Crossref: the record has no title"
            else:
                out.records[ident] = record

    def _fetch_many(
        self, batch: list[str], wanted: dict[str, Identifier], out: FetchOutcome
    ) -> None:
        params = self._params(
            {"filter": ",".join(f"doi:{d}" for d in batch), "rows": str(len(batch))}
        )
        outcome = self.http.get(
            f"{self.base_url}/works", params, read=_read_list, accept_status=(200, 400)
        )
        if isinstance(outcome, Failure):
            for doi in batch:
                out.failed[wanted[doi]] = f"Crossref: {outcome}"
            return
        found: dict[str, WorkRecord] = {}
        for item in outcome:
            record = work_record(item)
            doi = str(item.get("DOI") or "").lower()
            if record is not None and doi in wanted:
                found[doi] = record
        for doi in batch:
            if doi in found:
                out.records[wanted[doi]] = found[doi]
            else:
                out.missing.append(wanted[doi])


# --- reading answers ------------------------------------------------------------------------


def _envelope(reply: Reply, message_type: str) -> Any:
    data = reply.json()
    if not isinstance(data, dict) or "message" not in data:
        raise BadAnswer("Crossref's answer is not its {status, message-type, message} envelope")
    if data.get("status") != "ok":
        raise BadAnswer(f"Crossref answered status {data.get('status')!r}: {_why(data)}")
    if data.get("message-type") != message_type:
        raise BadAnswer(
            f"Crossref answered a {data.get('message-type')!r} message, not {message_type!r}"
        )
    return data["message"]


def _read_one(reply: Reply) -> dict[str, Any] | None:
    if reply.status == 404:
        return None  # "Resource not found." (plain text): Crossref has no such DOI
    message = _envelope(reply, "work")
    if not isinstance(message, dict):
        raise BadAnswer("Crossref's work message is not an object")
    return message


def _read_list(reply: Reply) -> list[dict[str, Any]]:
    if reply.status == 400:  # a validation failure: asking again cannot help
        try:
            data = reply.json()
        except BadAnswer:
            data = {"message": reply.text()[:200]}
        raise Refused(
            f"Crossref refused the request: {_why(data) if isinstance(data, dict) else data}"
        )
    message = _envelope(reply, "work-list")
    items = message.get("items") if isinstance(message, dict) else None
    if not isinstance(items, list):
        raise BadAnswer("Crossref's work-list has no items")
    return [item for item in items if isinstance(item, dict)]


def _why(data: dict[str, Any]) -> str:
    message = data.get("message")
    if isinstance(message, list) and message and isinstance(message[0], dict):
        return str(message[0].get("message") or message[0])
    if isinstance(message, dict):
        return str(message.get("description") or message.get("name") or message)
    return str(message)


# --- one item -> WorkRecord -----------------------------------------------------------------


def work_record(item: dict[str, Any]) -> WorkRecord | None:
    """A Crossref work (the ``message`` of ``/works/{doi}``, or an ``items`` entry) as a
    plain WorkRecord; None when it has no title."""
    title = _first_text(item.get("title"))
    if not title:
        return None
    subtitle = _first_text(item.get("subtitle"))
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    doi = str(item.get("DOI") or "").strip().lower()
    identifiers = [Identifier("doi", doi)] if doi else []
    raw_relation = item.get("relation")
    relation: dict[str, Any] = raw_relation if isinstance(raw_relation, dict) else {}
    for entry in _list(relation.get("has-preprint")) + _list(relation.get("is-preprint-of")):
        if isinstance(entry, dict) and str(entry.get("id-type", "")).lower() == "arxiv":
            identifiers.append(Identifier("arxiv", str(entry.get("id", "")).strip()))
    kind = _kind(item, title, relation)
    venue = _first_text(item.get("container-title")) or None
    if kind == "thesis":
        venue = None
    links = []
    resource = item.get("resource")
    if isinstance(resource, dict) and isinstance(resource.get("primary"), dict):
        primary = resource["primary"].get("URL")
        if isinstance(primary, str) and primary:
            links.append(primary)
    institution = _list(item.get("institution"))
    publisher = _text(item.get("publisher")) or None
    if kind == "thesis" and institution and isinstance(institution[0], dict):
        publisher = _text(institution[0].get("name")) or publisher
    return WorkRecord(
        source="crossref",
        title=title,
        authors=tuple(_authors(item.get("author"))),
        year=_year(item),
        kind=kind,
        venue=venue,
        volume=_text(item.get("volume")) or None,
        issue=_text(item.get("issue")) or None,
        pages=_pages(item.get("page")),
        publisher=publisher,
        abstract=plain_text(_text(item.get("abstract"))) or None,
        url=_text(item.get("URL")) or (f"https://doi.org/{doi}" if doi else None),
        identifiers=tuple(identifiers),
        links=tuple(links),
        source_id=doi or None,
    )


def _kind(item: dict[str, Any], title: str, relation: dict[str, Any]) -> str:
    for update in _list(item.get("update-to")):
        if isinstance(update, dict) and str(update.get("type", "")).lower() in _ERRATUM_UPDATES:
            return "erratum"
    if relation.get("is-comment-on") or relation.get("is-reply-to"):
        return "comment"
    if relation.get("is-review-of"):
        return "review"
    from_title = kind_from_title(title)
    if from_title is not None:
        return from_title
    kind = _TYPE_KINDS.get(str(item.get("type", "")).lower(), "other")
    if kind == "preprint" and str(item.get("subtype", "")).lower() == "dissertation":
        return "thesis"
    return kind


def _authors(value: Any) -> list[str]:
    names = []
    for person in _list(value):
        if not isinstance(person, dict):
            continue
        given = plain_text(_text(person.get("given")))
        family = plain_text(_text(person.get("family")))
        name = " ".join(p for p in (given, family) if p) or plain_text(_text(person.get("name")))
        if name:
            names.append(name)
    return names


def _year(item: dict[str, Any]) -> int | None:
    for key in ("issued", "published-print", "published-online", "published", "created"):
        value = item.get(key)
        parts = value.get("date-parts") if isinstance(value, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = parts[0][0]
            if isinstance(year, int) and 1000 <= year <= 9999:
                return year
            if isinstance(year, str) and year.isdigit() and len(year) == 4:
                return int(year)
    return None


def _pages(value: Any) -> str | None:
    text = _text(value).replace("–", "-").replace("—", "-").replace(" ", "")
    return text or None


def _first_text(value: Any) -> str:
    for entry in _list(value):
        text = plain_text(_text(entry))
        if text:
            return text
    return ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""

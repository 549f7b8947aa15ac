"""A loopback stand-in for Crossref's REST API (``api.crossref.org``), for tests, benchmarks
and the README tour. It serves the shared corpus (tests/fixtures/works.py): every work
with a DOI and a Crossref type.

As Crossref does:

* ``GET /works/{doi}``: ``{"status": "ok", "message-type": "work", "message": {...}}``; an
  unknown DOI is a 404 with the plain-text body ``Resource not found.``;
* ``GET /works?filter=doi:A,doi:B&rows=N``: a ``work-list`` message with the works found
  (DOIs compared case-insensitively); an unknown filter name or ``rows`` above 1,000 is a
  400 ``validation-failure`` whose message is a list of problems;
* ``GET /works?query.bibliographic=TITLE&rows=N``: a ``work-list`` ranked by word overlap
  with a ``score``, as loose as Crossref's (decoys and weak matches come back too);
* titles carry HTML/MathML and abstracts JATS where the corpus says so;
* every answer carries ``x-rate-limit-limit`` / ``x-rate-limit-interval`` (settable:
  ``server.rate_limit = (2, "1s")``); a scripted 429 carries them too.

Fault words (besides those of :mod:`tests.standin`): ``error`` (200 with ``"status":
"failed"``), ``wrongtype`` (200, a ``work-list`` where a ``work`` was asked, and the other
way round). ``server.log`` records each request's DOIs in ``ids``.

Run by hand: ``python tests/crossref_server.py --port 8766``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

if __package__ in (None, ""):  # run as a script: python tests/crossref_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.works import WORKS, Work
from tests.standin import Answer, Request, StandIn, run_standalone

__all__ = ["CrossrefStandIn", "crossref_item"]

JSON = "application/json;charset=utf-8"


def crossref_item(work: Work, score: float | None = None) -> dict[str, Any]:
    """A work as Crossref's ``message`` describes it."""
    assert work.doi is not None
    date = [work.year, work.month] if work.month else [work.year]
    item: dict[str, Any] = {
        "indexed": {"date-parts": [[2024, 3, 1]], "timestamp": 1709251200000},
        "reference-count": 40,
        "publisher": work.publisher or "Invented Publishing",
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "DOI": work.doi.lower() if work.doi.startswith("10.18653") else work.doi,
        "type": work.crossref_type,
        "created": {"date-parts": [date + [1] if len(date) == 2 else date]},
        "source": "Crossref",
        "is-referenced-by-count": 1234,
        "title": [work.crossref_title or work.title],
        "prefix": work.doi.split("/", 1)[0],
        "member": "297",
        "container-title": [work.venue] if work.venue and work.kind != "thesis" else [],
        "short-container-title": [],
        "author": [
            {
                "given": person.given,
                "family": person.family,
                "sequence": "first" if i == 0 else "additional",
                "affiliation": [],
            }
            for i, person in enumerate(work.authors)
        ],
        "issued": {"date-parts": [date]},
        "published-print": {"date-parts": [date]},
        "URL": f"https://doi.org/{work.doi}",
        "resource": {"primary": {"URL": f"https://publisher.example/{work.doi}"}},
        "language": "en",
    }
    for name, value in (("volume", work.volume), ("issue", work.issue), ("page", work.pages)):
        if value:
            item[name] = value
    if work.crossref_abstract:
        item["abstract"] = work.crossref_abstract
    if work.kind == "thesis" and work.school:
        item["institution"] = [{"name": work.school}]
    item.update(work.crossref_extra)
    if score is not None:
        item["score"] = score
    return item


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", text).casefold()))


class CrossrefStandIn(StandIn):
    name = "crossref"
    error_content_type = "text/plain"

    def __init__(self, works: tuple[Work, ...] = WORKS, host: str = "127.0.0.1", port: int = 0):
        self.works = [w for w in works if w.doi and w.crossref_type]
        self.rate_limit: tuple[int, str] = (50, "1s")
        super().__init__(host, port)

    @property
    def url(self) -> str:
        """For ``CATALOG_CROSSREF_URL``."""
        return self.base

    def _rate_headers(self) -> dict[str, str]:
        limit, interval = self.rate_limit
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-interval": interval}

    def _json(self, status: int, data: Any) -> Answer:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return Answer(status, body, JSON, self._rate_headers())

    def error_answer(self, status: int, request: Request) -> Answer:
        text = b"Too many requests" if status == 429 else b"Service unavailable"
        return Answer(status, text, "text/plain", self._rate_headers())

    def request_ids(self, request: Request) -> tuple[str, ...]:
        path = unquote(request.path)
        if path.startswith("/works/"):
            return (path[len("/works/") :],)
        filters = ",".join(request.params.get("filter", []))
        return tuple(f[4:] for f in filters.split(",") if f.startswith("doi:"))

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        if word == "error":
            return self._json(
                200,
                {
                    "status": "failed",
                    "message-type": "exception",
                    "message": {"name": "class java.lang.Exception", "description": "Timeout"},
                },
            )
        if word == "wrongtype":  # the other message type than the one asked
            single = unquote(request.path).startswith("/works/")
            message_type = "work-list" if single else "work"
            message: dict[str, Any] = {"items": []} if single else {"DOI": "10.5555/other"}
            return self._json(
                200, {"status": "ok", "message-type": message_type, "message": message}
            )
        return None

    def answer(self, request: Request) -> Answer:
        path = unquote(request.path).rstrip("/")
        by_doi = {w.doi.lower(): w for w in self.works if w.doi}
        if path.startswith("/works/"):
            work = by_doi.get(path[len("/works/") :].lower())
            if work is None:
                return Answer(404, b"Resource not found.", "text/plain", self._rate_headers())
            return self._json(
                200,
                {
                    "status": "ok",
                    "message-type": "work",
                    "message-version": "1.0.0",
                    "message": crossref_item(work),
                },
            )
        if path != "/works":
            return Answer(404, b"Resource not found.", "text/plain", self._rate_headers())
        rows_text = (request.params.get("rows") or ["20"])[0]
        rows = int(rows_text) if rows_text.isdigit() else -1
        problems = []
        if not 0 <= rows <= 1000:
            problems.append(
                {
                    "type": "integer-not-valid",
                    "value": rows_text,
                    "message": "Integer specified as rows must be a positive integer less "
                    "than or equal to 1000.",
                }
            )
        dois: list[str] = []
        for part in ",".join(request.params.get("filter", [])).split(","):
            if not part:
                continue
            name, _, value = part.partition(":")
            if name != "doi":
                problems.append(
                    {
                        "type": "filter-not-available",
                        "value": name,
                        "message": f"Filter {name} specified but there is no such filter for "
                        "this route. Valid filters for this route are: doi, from-pub-date, ...",
                    }
                )
            dois.append(value.lower())
        if problems:
            return self._json(
                400, {"status": "failed", "message-type": "validation-failure", "message": problems}
            )
        items: list[dict[str, Any]]
        query = (request.params.get("query.bibliographic") or [""])[0]
        if dois:
            items = [crossref_item(by_doi[d]) for d in dict.fromkeys(dois) if d in by_doi]
        elif query:
            asked = _words(query)
            scored = []
            for work in self.works:
                words = _words(work.crossref_title or work.title) | {
                    p.family.casefold() for p in work.authors
                }
                common = len(asked & words)
                if common:
                    scored.append((round(100.0 * common / len(asked | words), 3), work))
            scored.sort(key=lambda pair: -pair[0])
            items = [crossref_item(w, score) for score, w in scored]
        else:
            items = [crossref_item(w) for w in self.works]
        total = len(items)
        return self._json(
            200,
            {
                "status": "ok",
                "message-type": "work-list",
                "message-version": "1.0.0",
                "message": {
                    "facets": {},
                    "total-results": total,
                    "items": items[:rows],
                    "items-per-page": rows,
                    "query": {"start-index": 0, "search-terms": query or None},
                },
            },
        )


def main(argv: list[str] | None = None) -> None:
    run_standalone(
        "Loopback stand-in for Crossref's REST API",
        lambda args: CrossrefStandIn(host=args.host, port=args.port),
        lambda s: (
            f"Crossref stand-in at {s.base} ({len(s.works)} works); Ctrl-C stops it\n"
            f"  CATALOG_CROSSREF_URL={s.base} CATALOG_CROSSREF_DELAY=0 ..."
        ),
        argv,
        default_port=8766,
    )


if __name__ == "__main__":
    main()

"""A loopback stand-in for DBLP (``dblp.org``): the publication search API and record
pages, for tests, benchmarks and the README tour. It serves the shared corpus
(tests/fixtures/works.py): every work with a DBLP key, plus a CoRR (arXiv) entry for each
work whose ``dblp_corr`` names one.

As DBLP does:

* ``GET /search/publ/api?q=WORDS&format=json&h=N``: every query word must begin a word of
  the title, an author's name, the venue or the year; hits at ``result.hits.hit[].info``,
  best first (then newest); titles end with "." and carry ``&amp;``; names carry homonym
  numbers ("Ehsan Kazemi 0001"); a single author is an object, not a list; ``ee`` is a
  string when there is one, a list when there are several; a zero-hit answer has no
  ``hit`` key; ``format`` other than json gives XML, which clients here never ask for;
* ``GET /rec/KEY.xml``: ``<dblp><inproceedings key=...>...</inproceedings></dblp>`` with
  non-ASCII written as character references; an unknown key is a 404 HTML page;
* a scripted ``429`` comes with ``Retry-After`` when the script gives one
  (``429:retry-after=N``), as DBLP's throttling does.

``server.log`` records each request's key (record pages) or query (search) in ``ids``.

Run by hand: ``python tests/dblp_server.py --port 8767``.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

if __package__ in (None, ""):  # run as a script: python tests/dblp_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.works import WORKS, Work
from tests.standin import Answer, Request, StandIn, run_standalone

__all__ = ["DblpEntry", "DblpStandIn", "entries"]

NOT_FOUND_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>dblp: Error 404</title></head>"
    b"<body><h1>Error 404: Not Found</h1></body></html>\n"
)


class DblpEntry:
    """One DBLP record: a corpus work, or the CoRR entry of one."""

    def __init__(self, work: Work, corr: bool = False) -> None:
        self.work = work
        self.corr = corr
        key = work.dblp_corr if corr else work.dblp
        assert key is not None
        self.key = key

    @property
    def type(self) -> str:
        return "Informal and Other Publications" if self.corr else (self.work.dblp_type or "")

    @property
    def year(self) -> int:
        if self.corr and self.work.arxiv:
            return 2000 + int(self.work.arxiv[:2])
        return self.work.year

    @property
    def venue(self) -> str | None:
        return "CoRR" if self.corr else self.work.dblp_venue

    @property
    def ee(self) -> list[str]:
        if self.corr:
            return [f"https://arxiv.org/abs/{self.work.arxiv}"]
        return list(self.work.dblp_ee)

    @property
    def doi(self) -> str | None:
        if self.corr:
            return f"10.48550/ARXIV.{self.work.arxiv}".upper()
        return self.work.doi.upper() if self.work.doi else None

    @property
    def title(self) -> str:
        title = self.work.dblp_title or self.work.title
        return title if title.endswith(("?", "!")) else title + "."

    def words(self) -> list[str]:
        text = " ".join(
            [self.title, *(p.name for p in self.work.authors), self.venue or "", str(self.year)]
        )
        return re.findall(r"\w+", text.casefold())

    def info(self) -> dict[str, Any]:
        people = [
            {"@pid": f"{zlib.crc32(p.name.encode()) % 1000}/{i}", "text": p.dblp_name}
            for i, p in enumerate(self.work.authors)
        ]
        info: dict[str, Any] = {
            "authors": {"author": people[0] if len(people) == 1 else people},
            # DBLP's JSON keeps HTML entities in titles: "&" arrives as "&amp;".
            "title": self.title.replace("&", "&amp;"),
            "year": str(self.year),
            "type": self.type,
            "access": "open" if self.corr else "closed",
            "key": self.key,
            "url": f"https://dblp.org/rec/{self.key}",
        }
        if self.venue:
            info["venue"] = self.venue
        if self.corr:
            info["volume"] = f"abs/{self.work.arxiv}"
        else:
            for name, value in (
                ("volume", self.work.volume),
                ("number", self.work.issue),
                ("pages", self.work.pages),
            ):
                if value:
                    info[name] = value
        if self.doi:
            info["doi"] = self.doi
        if self.ee:
            info["ee"] = self.ee[0] if len(self.ee) == 1 else self.ee
        return info

    def xml(self) -> bytes:
        work = self.work
        tag = {
            "Journal Articles": "article",
            "Conference and Workshop Papers": "inproceedings",
            "Informal and Other Publications": "article",
            "Books and Theses": "phdthesis" if work.school else "book",
        }.get(self.type, "article")
        attrs = f' key="{self.key}" mdate="2024-01-01"'
        if self.corr:
            attrs += ' publtype="informal"'
        lines = [f"<{tag}{attrs}>"]
        lines += [f"<author>{escape(p.dblp_name)}</author>" for p in work.authors]
        lines.append(f"<title>{escape(self.title)}</title>")
        if tag == "inproceedings" and self.venue:
            lines.append(f"<booktitle>{escape(self.venue)}</booktitle>")
        elif tag == "article" and self.venue:
            lines.append(f"<journal>{escape(self.venue)}</journal>")
        if self.corr:
            lines.append(f"<volume>abs/{work.arxiv}</volume>")
        elif work.volume:
            lines.append(f"<volume>{work.volume}</volume>")
        if work.issue and not self.corr:
            lines.append(f"<number>{work.issue}</number>")
        if work.pages and not self.corr:
            lines.append(f"<pages>{work.pages}</pages>")
        lines.append(f"<year>{self.year}</year>")
        if work.school:
            lines.append(f"<school>{escape(work.school)}</school>")
        if work.kind == "book" and work.publisher:
            lines.append(f"<publisher>{escape(work.publisher)}</publisher>")
        lines += [f"<ee>{escape(e)}</ee>" for e in self.ee]
        lines.append(f"<url>db/{self.key.rsplit('/', 1)[0]}.html</url>")
        lines.append(f"</{tag}>")
        body = "\n".join(lines)
        # DBLP's record pages are US-ASCII: everything else is a character reference.
        ascii_body = body.encode("ascii", "xmlcharrefreplace").decode("ascii")
        return (
            f'<?xml version="1.0" encoding="US-ASCII"?>\n<dblp>\n{ascii_body}\n</dblp>\n'
        ).encode("ascii")


def entries(works: tuple[Work, ...] = WORKS) -> list[DblpEntry]:
    out = [DblpEntry(w) for w in works if w.dblp]
    out += [DblpEntry(w, corr=True) for w in works if w.dblp_corr and w.arxiv]
    return out


class DblpStandIn(StandIn):
    name = "dblp"

    def __init__(self, works: tuple[Work, ...] = WORKS, host: str = "127.0.0.1", port: int = 0):
        self.entries = entries(works)
        super().__init__(host, port)

    @property
    def url(self) -> str:
        """For ``CATALOG_DBLP_URL``."""
        return self.base

    def request_ids(self, request: Request) -> tuple[str, ...]:
        path = unquote(request.path)
        if path.startswith("/rec/"):
            return (path[len("/rec/") :].removesuffix(".xml"),)
        return tuple(request.params.get("q", []))

    def answer(self, request: Request) -> Answer:
        path = unquote(request.path)
        if path.startswith("/rec/") and path.endswith(".xml"):
            key = path[len("/rec/") : -len(".xml")]
            for entry in self.entries:
                if entry.key == key:
                    return Answer(200, entry.xml(), "application/xml; charset=US-ASCII")
            return Answer(404, NOT_FOUND_PAGE, "text/html; charset=utf-8")
        if path.rstrip("/") != "/search/publ/api":
            return Answer(404, NOT_FOUND_PAGE, "text/html; charset=utf-8")
        query = (request.params.get("q") or [""])[0]
        wanted = re.findall(r"\w+", query.casefold())
        size = (request.params.get("h") or ["30"])[0]
        h = int(size) if size.isdigit() else 30
        scored = []
        for entry in self.entries:
            words = entry.words()
            if wanted and all(any(w.startswith(q) for w in words) for q in wanted):
                exact = sum(q in words for q in wanted)
                scored.append((exact, entry.year, entry))
        scored.sort(key=lambda t: (-t[0], -t[1]))
        hits: dict[str, Any] = {
            "@total": str(len(scored)),
            "@computed": str(len(scored)),
            "@sent": str(min(h, len(scored))),
            "@first": "0",
        }
        if scored:  # DBLP leaves "hit" out altogether when nothing matched
            hits["hit"] = [
                {"@score": str(exact), "@id": str(1000 + i), "info": entry.info(), "url": ""}
                for i, (exact, _, entry) in enumerate(scored[:h])
            ]
        result = {
            "result": {
                "query": query,
                "status": {"@code": "200", "text": "OK"},
                "time": {"@unit": "msecs", "text": "1.00"},
                "completions": {"@total": "0", "@computed": "0", "@sent": "0"},
                "hits": hits,
            }
        }
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
        return Answer(200, body, "application/json")


def main(argv: list[str] | None = None) -> None:
    run_standalone(
        "Loopback stand-in for DBLP's search API and record pages",
        lambda args: DblpStandIn(host=args.host, port=args.port),
        lambda s: (
            f"DBLP stand-in at {s.base} ({len(s.entries)} records); Ctrl-C stops it\n"
            f"  CATALOG_DBLP_URL={s.base} CATALOG_DBLP_DELAY=0 ..."
        ),
        argv,
        default_port=8767,
    )


if __name__ == "__main__":
    main()

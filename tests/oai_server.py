"""A loopback stand-in for arXiv's OAI-PMH endpoint (``/oai``), for tests and benchmarks.

A :class:`tests.standin.StandIn` (a real ``ThreadingHTTPServer`` on 127.0.0.1, in a
background thread) answering ``ListRecords`` as arXiv's current server writes it: the
OAI-PMH 2.0 namespace, ``arXivRaw`` records (``version`` elements with RFC 2822 dates and
sizes, ``0kb`` for a withdrawn version, several DOIs in one ``doi``, TeX accents in
``authors``, titles and abstracts with hard line breaks) or ``arXiv`` records
(``keyname``/``forenames``), setSpecs such as ``cs:cs:LG`` and ``physics:hep-th``, pages of
``page_size`` records, opaque tokens without ``cursor`` or ``completeListSize``
(``list_size=True`` adds them, as the old server did), an empty ``<resumptionToken/>``
closing the list, and errors with the code in a single-quoted attribute
(``noRecordsMatch``, ``badArgument``, ``badResumptionToken``, ``cannotDisseminateFormat``).

The corpus is generated from a seed (:func:`generate_papers`): any number of records,
the same every time; record ``i``'s datestamp grows with ``i``. :func:`snapshot_line`
writes the same papers in the published snapshot's JSON-lines format.

Faults: ``server.script("503:retry-after=2", "slow:1.5", "truncated", ...)`` queues one
fault per request, first in first out. The words every stand-in knows (``503``,
``503:retry-after=N``, ``truncated``, ``cut``, ``slow:S``, ``reset``, ``redirect:PATH``,
``html``, ``garbage``, ...: see tests/standin.py) come from :class:`StandIn`, a 4xx/5xx
with arXiv's short HTML page; OAI-PMH adds:

  ``badResumptionToken``     the protocol error, as if the token had expired
  ``400:CODE``               an OAI-PMH error CODE sent with HTTP 400 (some servers do)
  ``billion``                200, an entity-expansion payload

``server.expire_tokens()`` forgets every token issued. ``server.log`` lists
:class:`LoggedRequest` ``(time, params, status)``, logged as each request arrives (status
-1 until it is answered, 0 when the answer was cut or the connection reset).

Run standalone (``--help`` for the rest, ``--fault WORD`` queues a fault)::

    python tests/oai_server.py --port 8766 --records 20000 --page-size 2500
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

if __package__ in (None, ""):  # run as a script: python tests/oai_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.standin import Answer, Request, StandIn, run_standalone

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XML = "text/xml;charset=UTF-8"

# (category, setSpec) in arXiv's current naming
_CATEGORIES = [
    ("cs.LG", "cs:cs:LG"),
    ("cs.AI", "cs:cs:AI"),
    ("cs.CL", "cs:cs:CL"),
    ("stat.ML", "stat:stat:ML"),
    ("math.GT", "math:math:GT"),
    ("math.PR", "math:math:PR"),
    ("hep-th", "physics:hep-th"),
    ("hep-ph", "physics:hep-ph"),
    ("astro-ph.GA", "physics:astro-ph:GA"),
    ("q-bio.BM", "q-bio:q-bio:BM"),
]
_SET_OF = dict(_CATEGORIES)
_GIVEN = ["Ana", "B.", "Chen", "D. K.", "Emil", "Fatima", "G.", "Hiroshi", "Ines", "J.-P."]
_FAMILY = [
    ("Müller", 'M\\"uller'),
    ("Balázs", "Bal\\'azs"),
    ("Smith", "Smith"),
    ("Nadolsky", "Nadolsky"),
    ("Yuan", "Yuan"),
    ("García", "Garc\\'ia"),
    ("Øresund", "{\\O}resund"),
    ("Teh", "Teh"),
    ("Maddison", "Maddison"),
    ("Kowalski", "Kowalski"),
]


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str  # with a hard line break, as arXiv has them
    authors: tuple[tuple[str, str, str], ...]  # (forenames, family in Unicode, family in TeX)
    abstract: str
    categories: tuple[str, ...]
    versions: tuple[tuple[datetime, int], ...]  # (date, size in kB; 0 = withdrawn)
    dois: tuple[str, ...]
    journal_ref: str | None
    comments: str | None
    datestamp: date

    @property
    def sets(self) -> list[str]:
        return [_SET_OF[c] for c in self.categories if c in _SET_OF]

    @property
    def flat_title(self) -> str:
        return " ".join(self.title.split())

    @property
    def author_names(self) -> list[str]:
        return [f"{given} {family}" for given, family, _ in self.authors]


@lru_cache(maxsize=4)
def _vocabulary(seed: int) -> tuple[list[str], list[float]]:
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ra", "si", "tu", "ve", "zo", "qua", "tri", "bel", "dor"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)})
    words += ["learning", "quantum", "graph", "neural", "diffusion", "kernel", "topology"]
    rng.shuffle(words)
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):  # Zipf-like: a few words are very common
        total += 1.0 / rank
        cumulative.append(total)
    return words, cumulative


def make_paper(
    i: int, n: int, seed: int = 1, start: date = date(2024, 1, 1), days: int = 60
) -> Paper:
    """Record ``i`` of ``n`` (0-based); its datestamp grows with ``i``."""
    rng = random.Random(seed * 1_000_003 + i)
    words, weights = _vocabulary(seed)
    stamp = start + timedelta(days=(i * days) // max(n, 1))
    if i % 50 == 7:  # old-style ids, distinct for i below 6 million
        k = i // 50
        arxiv_id = f"hep-th/{99 - (k // 12_000) % 10:02d}{1 + k % 12:02d}{k // 12 % 1000:03d}"
        categories: tuple[str, ...] = ("hep-th",)
    else:
        month = 1 + (i // 99_999) % 12
        arxiv_id = f"{stamp.year % 100:02d}{month:02d}.{1 + i % 99_999:05d}"
        first = rng.randrange(len(_CATEGORIES))
        categories = (_CATEGORIES[first][0],) + tuple(
            c for c, _ in rng.sample(_CATEGORIES, rng.randint(0, 2)) if c != _CATEGORIES[first][0]
        )
    title_words = rng.choices(words, cum_weights=weights, k=rng.randint(5, 12))
    cut = len(title_words) // 2
    title = " ".join(title_words[:cut]).capitalize() + "\n  " + " ".join(title_words[cut:])
    abstract = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(80, 200))) + "."
    authors = tuple((rng.choice(_GIVEN),) + rng.choice(_FAMILY) for _ in range(rng.randint(1, 6)))
    first_date = datetime(stamp.year, stamp.month, stamp.day, tzinfo=UTC) - timedelta(
        days=rng.randint(0, 400), seconds=rng.randint(0, 86399)
    )
    versions = []
    when = first_date
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        versions.append((when, rng.randint(12, 4000)))
        when += timedelta(days=rng.randint(1, 90), seconds=rng.randint(0, 86399))
    if i % 97 == 5:  # a withdrawn last version
        versions.append((when, 0))
    dois: tuple[str, ...] = ()
    if i % 3 == 0:
        dois = (f"10.1103/PhysRevD.{i % 100}.{i:06d}",)
    if i % 31 == 0:
        dois += (f"10.5555/extra.{i}",)
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        abstract=abstract,
        categories=categories,
        versions=tuple(versions),
        dois=dois,
        journal_ref=f"Phys.Rev.D {i % 100}:{i:06d},2024" if i % 4 == 0 else None,
        comments=f"{rng.randint(4, 40)} pages" if i % 2 else None,
        datestamp=stamp,
    )


def generate_papers(n: int, seed: int = 1, **kwargs: Any) -> list[Paper]:
    """``n`` papers (ids distinct up to 1.2 million), in datestamp order."""
    return [make_paper(i, n, seed, **kwargs) for i in range(n)]


# --- rendering ---------------------------------------------------------------------------------


def _rfc2822(when: datetime) -> str:
    return format_datetime(when, usegmt=True)  # "Mon, 02 Apr 2007 19:18:42 GMT"


def render_arxivraw(p: Paper) -> str:
    versions = "".join(
        f'<version version="v{n}"><date>{_rfc2822(d)}</date><size>{size}kb</size>'
        "<source_type>D</source_type></version>"
        for n, (d, size) in enumerate(p.versions, 1)
    )
    authors = ", ".join(f"{given} {tex}" for given, _, tex in p.authors[:-1])
    last = p.authors[-1]
    authors = f"{authors} and {last[0]} {last[2]}" if authors else f"{last[0]} {last[2]}"
    optional = ""
    if p.comments:
        optional += f"<comments>{escape(p.comments)}</comments>"
    if p.journal_ref:
        optional += f"<journal-ref>{escape(p.journal_ref)}</journal-ref>"
    if p.dois:
        optional += f"<doi>{' '.join(p.dois)}</doi>"
    return (
        '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">'
        f"<id>{p.arxiv_id}</id><submitter>{escape(p.author_names[0])}</submitter>{versions}"
        f"<title>{escape(p.title)}</title><authors>{escape(authors)}</authors>"
        f"<categories>{' '.join(p.categories)}</categories>{optional}"
        "<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>"
        f"<abstract>  {escape(p.abstract)}\n</abstract></arXivRaw>"
    )


def render_arxiv(p: Paper) -> str:
    authors = "".join(
        f"<author><keyname>{escape(family)}</keyname><forenames>{escape(given)}</forenames></author>"
        for given, family, _ in p.authors
    )
    created = p.versions[0][0].date().isoformat()
    updated = (
        f"<updated>{p.versions[-1][0].date().isoformat()}</updated>" if len(p.versions) > 1 else ""
    )
    doi = f"<doi>{' '.join(p.dois)}</doi>" if p.dois else ""
    return (
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">'
        f"<id>{p.arxiv_id}</id><created>{created}</created>{updated}<authors>{authors}</authors>"
        f"<title>{escape(p.title)}</title><categories>{' '.join(p.categories)}</categories>"
        f"{doi}<abstract>  {escape(p.abstract)}\n</abstract></arXiv>"
    )


def render_record(p: Paper, prefix: str) -> str:
    sets = "".join(f"<setSpec>{s}</setSpec>" for s in dict.fromkeys(p.sets))
    body = render_arxivraw(p) if prefix == "arXivRaw" else render_arxiv(p)
    return (
        f"<record><header><identifier>oai:arXiv.org:{p.arxiv_id}</identifier>"
        f"<datestamp>{p.datestamp.isoformat()}</datestamp>{sets}</header>"
        f"<metadata>\n{body}\n</metadata></record>\n"
    )


def _envelope(request_attrs: dict[str, str], body: str, base: str) -> bytes:
    attrs = "".join(f' {k}="{escape(v)}"' for k, v in request_attrs.items())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
        'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
        f"<responseDate>{now}</responseDate>\n<request{attrs}>{escape(base)}</request>\n"
        f"{body}</OAI-PMH>\n"
    ).encode()


def render_error(code: str, message: str, request_attrs: dict[str, str], base: str) -> bytes:
    # arXiv's current server writes the code in single quotes
    return _envelope(request_attrs, f"<error code='{code}'>{escape(message)}</error>\n", base)


def snapshot_line(p: Paper) -> str:
    """The paper as a line of arXiv's published snapshot."""
    return json.dumps(
        {
            "id": p.arxiv_id,
            "submitter": p.author_names[0],
            "authors": ", ".join(f"{given} {tex}" for given, _, tex in p.authors),
            "title": p.title,
            "comments": p.comments,
            "journal-ref": p.journal_ref,
            "doi": " ".join(p.dois) or None,
            "report-no": None,
            "categories": " ".join(p.categories),
            "license": None,
            "abstract": f"  {p.abstract}\n",
            "versions": [
                {"version": f"v{n}", "created": _rfc2822(d)}
                for n, (d, _) in enumerate(p.versions, 1)
            ],
            "update_date": p.datestamp.isoformat(),
            "authors_parsed": [[family, given, ""] for given, family, _ in p.authors],
        },
        ensure_ascii=False,
    )


_BILLION = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&lol2;</responseDate>'
    b"</OAI-PMH>"
)


# --- the server ---------------------------------------------------------------------------------


class LoggedRequest(NamedTuple):
    time: float  # time.monotonic() when the request arrived
    params: dict[str, str]  # OAI-PMH arguments are single-valued (repeated: badArgument)
    status: int  # -1 until answered, 0 when the answer was cut or the connection reset


def _flat(params: Mapping[str, list[str]]) -> dict[str, str]:
    """The last non-blank value of each argument: a query read as OAI-PMH servers do."""
    flat = {}
    for name, values in params.items():
        given = [v for v in values if v]
        if given:
            flat[name] = given[-1]
    return flat


@dataclass
class _List:
    papers: list[Paper]
    prefix: str


class OaiStandIn(StandIn):
    """Use as a context manager; ``url`` is the endpoint for ``CATALOG_OAI_URL``."""

    name = "oai"
    log_on_arrival = True  # a page whose answer hangs shows in the log

    def __init__(
        self,
        papers: list[Paper] | None = None,
        *,
        records: int = 200,
        seed: int = 1,
        page_size: int = 2500,
        list_size: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.papers = papers if papers is not None else generate_papers(records, seed)
        self.page_size = page_size
        self.list_size = list_size
        self._lists: dict[str, tuple[_List, int]] = {}  # token -> (list, offset)
        super().__init__(host, port)

    @property
    def url(self) -> str:
        return f"{self.base}/oai"

    def start(self) -> OaiStandIn:
        super().start()
        return self

    def __enter__(self) -> OaiStandIn:
        return self.start()

    def expire_tokens(self) -> None:
        with self._lock:
            self._lists.clear()

    def add_papers(self, papers: list[Paper]) -> None:
        with self._lock:
            self.papers = self.papers + papers

    @property
    def log(self) -> list[LoggedRequest]:  # type: ignore[override]
        return [LoggedRequest(e.time, _flat(e.params), e.status) for e in super().log]

    # -- how arXiv's OAI-PMH server answers

    def error_answer(self, status: int, request: Request) -> Answer:
        return Answer(status, b"<html><body>busy</body></html>", "text/html")

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        params = _flat(request.params)
        if word == "400" and arg and not arg.startswith("retry-"):
            # an OAI-PMH error sent with HTTP 400, as some servers do
            return Answer(400, render_error(arg, f"{arg} (HTTP 400)", params, self.url), XML)
        if word == "badResumptionToken":  # as if the token had expired
            return Answer(200, render_error(word, "Token expired", params, self.url), XML)
        if word == "billion":
            return Answer(200, _BILLION, XML)
        return None

    def answer(self, request: Request) -> Answer:
        if request.path != "/oai":
            return Answer(404, b"not found", "text/plain")
        return Answer(200, self.document(_flat(request.params)), XML)

    def document(self, params: dict[str, str]) -> bytes:
        """The OAI-PMH document for ``params`` (no faults)."""
        base = self.url
        verb = params.get("verb", "")
        attrs = dict(params)
        if verb != "ListRecords":
            return render_error("badVerb", f"Illegal verb {verb!r}", {}, base)
        token = params.get("resumptionToken")
        if token is not None:
            if set(params) != {"verb", "resumptionToken"}:
                return render_error(
                    "badArgument", "resumptionToken is an exclusive argument", {}, base
                )
            with self._lock:
                found = self._lists.get(token)
            if found is None:
                return render_error("badResumptionToken", f"Invalid token {token!r}", attrs, base)
            listing, offset = found
        else:
            allowed = {"verb", "metadataPrefix", "set", "from", "until"}
            if set(params) - allowed:
                extra = sorted(set(params) - allowed)[0]
                return render_error("badArgument", f"Illegal argument {extra!r}", attrs, base)
            prefix = params.get("metadataPrefix")
            if prefix is None:
                return render_error("badArgument", "metadataPrefix is required", attrs, base)
            if prefix not in ("arXivRaw", "arXiv", "oai_dc"):
                return render_error(
                    "cannotDisseminateFormat", f"Unknown format {prefix!r}", attrs, base
                )
            bounds = []
            for name in ("from", "until"):
                value = params.get(name)
                try:
                    bounds.append(date.fromisoformat(value) if value else None)
                except ValueError:
                    return render_error(
                        "badArgument", f"Illegal {name} date {value!r}", attrs, base
                    )
            lo, hi = bounds
            spec = params.get("set")
            with self._lock:
                papers = list(self.papers)
            chosen = [
                p
                for p in papers
                if (lo is None or p.datestamp >= lo)
                and (hi is None or p.datestamp <= hi)
                and (not spec or any(s == spec or s.startswith(spec + ":") for s in p.sets))
            ]
            if not chosen:
                return render_error("noRecordsMatch", "No records match", attrs, base)
            listing, offset = _List(chosen, prefix), 0
        page = listing.papers[offset : offset + self.page_size]
        body = "<ListRecords>\n" + "".join(render_record(p, listing.prefix) for p in page)
        nxt = offset + len(page)
        sizes = (
            f' cursor="{offset}" completeListSize="{len(listing.papers)}"' if self.list_size else ""
        )
        if nxt < len(listing.papers):
            new_token = secrets.token_hex(8) + f"|{nxt}"
            with self._lock:
                self._lists[new_token] = (listing, nxt)
            body += f"<resumptionToken{sizes}>{new_token}</resumptionToken>\n"
        else:
            body += f"<resumptionToken{sizes}/>\n"  # the empty token closing the list
        body += "</ListRecords>\n"
        return _envelope(attrs, body, base)


def main(argv: list[str] | None = None) -> None:
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--records", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--page-size", type=int, default=2500)
        parser.add_argument("--list-size", action="store_true", help="cursor, completeListSize")

    def make(args: argparse.Namespace) -> OaiStandIn:
        named = ("records", "seed", "page_size", "list_size", "host", "port")
        return OaiStandIn(**{name: getattr(args, name) for name in named})

    def banner(server: StandIn) -> str:
        assert isinstance(server, OaiStandIn)
        return (
            f"OAI-PMH stand-in at {server.url} ({len(server.papers)} records,"
            f" {server.page_size} a page); Ctrl-C stops it\n"
            f"  CATALOG_OAI_URL={server.url} CATALOG_OAI_DELAY=0 catalog harvest"
        )

    run_standalone(
        "Loopback stand-in for arXiv's OAI-PMH endpoint",
        make,
        banner,
        argv,
        default_port=8766,
        add_arguments=add_arguments,
    )


if __name__ == "__main__":
    main()

"""A loopback stand-in for three proceedings sites at once: PMLR
(``proceedings.mlr.press``), NeurIPS (``proceedings.neurips.cc`` / ``papers.nips.cc``) and
the ACL Anthology (``aclanthology.org``). Their paths do not collide, so one server plays
all three (``CATALOG_PMLR_URL``, ``CATALOG_NEURIPS_URL`` and ``CATALOG_ACL_URL`` all point
at it). It serves the shared corpus (tests/fixtures/works.py): works with a ``pmlr``,
``neurips`` or ``acl`` id.

As the sites do, landing pages carry Highwire ``citation_*`` meta tags in their head, each
site in its own way (PMLR and NeurIPS write authors "Family, Given"; attribute order,
case and entities vary), and:

* ``/v80/kazemi18a.html``: a PMLR page;
* ``/paper/2014/hash/H-Abstract.html`` redirects (301, same host) to
  ``/paper_files/paper/2014/hash/H-Abstract.html``, the NeurIPS page;
* ``/paper/5346`` and ``/paper/5346-slug`` (legacy numbers) redirect (301) to the hash page
  on ``https://papers.nips.cc``: another host of the same site, as the real site's legacy
  links do;
* ``/N19-1423`` redirects (301, same host) to ``/N19-1423/``, the ACL Anthology page;
* anything else is a 404 HTML page.

Fault words (besides :mod:`tests.standin`'s): ``huge`` (200, a 3 MiB page), ``nometa``
(200, a page without citation tags), ``away`` (301 to a host of no site).
``server.log`` records each request's path in ``ids``.

Run by hand: ``python tests/proceedings_server.py --port 8770``.
"""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python tests/proceedings_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.works import WORKS, Work
from tests.standin import Answer, Request, StandIn, run_standalone

__all__ = ["ProceedingsStandIn", "page_of"]

HTML = "text/html; charset=utf-8"
NOT_FOUND = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not found</body></html>"
)


def _meta(name: str, content: str, flavour: int) -> str:
    # The sites differ in attribute order and case; the reader must not care.
    if flavour == 1:
        return f'<meta content="{escape(content)}" name="{name}">'
    if flavour == 2:
        return f"<META NAME='{name}' CONTENT='{escape(content, quote=True)}' />"
    return f'<meta name="{name}" content="{escape(content)}">'


def page_of(work: Work, site: str) -> bytes:
    """The landing page of ``work`` on ``site`` ("pmlr", "neurips" or "acl")."""
    flavour = {"pmlr": 0, "neurips": 1, "acl": 2}[site]
    first, _, last = (work.pages or "").partition("-")
    tags: list[tuple[str, str]] = [("citation_title", work.title)]
    for person in work.authors:
        tags.append(("citation_author", person.inverted if site != "acl" else person.name))
    if site == "pmlr":
        name = (work.pmlr or "/").split("/")[1]
        tags += [
            ("citation_publication_date", work.proceedings_date or str(work.year)),
            ("citation_conference_title", work.proceedings_venue or ""),
            ("citation_volume", work.volume or ""),
            ("citation_firstpage", first),
            ("citation_lastpage", last),
            ("citation_pdf_url", f"http://proceedings.mlr.press/{work.pmlr}/{name}.pdf"),
        ]
    elif site == "neurips":
        tags += [
            ("citation_journal_title", work.proceedings_venue or ""),
            ("citation_volume", work.volume or ""),
            ("citation_firstpage", first),
            ("citation_lastpage", last),
            ("citation_date", work.proceedings_date or str(work.year)),
            (
                "citation_pdf_url",
                f"https://proceedings.neurips.cc/paper_files/paper/{work.neurips}-Paper.pdf".replace(
                    "/hash/", "/file/"
                ),
            ),
        ]
    else:
        tags += [
            ("citation_conference_title", work.proceedings_venue or ""),
            ("citation_publisher", work.publisher or ""),
            ("citation_publication_date", work.proceedings_date or str(work.year)),
            ("citation_firstpage", first),
            ("citation_lastpage", last),
            ("citation_doi", work.doi or ""),
            ("citation_pdf_url", f"https://aclanthology.org/{work.acl}.pdf"),
        ]
    metas = "\n".join(_meta(n, c, flavour) for n, c in tags if c)
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head>\n<meta charset="utf-8">\n'
        f"<title>{escape(work.title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{metas}\n"
        '<link rel="stylesheet" href="/static/css/main.css">\n</head>\n'
    )
    body = (
        f"<body><h1>{escape(work.title)}</h1>"
        f"<p>{escape(', '.join(p.name for p in work.authors))}</p>"
        # A body that quotes a tag must not be read as one: reading stops at </head>.
        '<pre>&lt;meta name="citation_title" content="Not this"&gt;</pre>'
        f"<p>{escape(work.abstract or '')}</p></body></html>\n"
    )
    return (head + body).encode("utf-8")


class ProceedingsStandIn(StandIn):
    name = "proceedings"

    def __init__(self, works: tuple[Work, ...] = WORKS, host: str = "127.0.0.1", port: int = 0):
        self.pmlr = {w.pmlr: w for w in works if w.pmlr}
        self.neurips = {w.neurips: w for w in works if w.neurips}
        self.legacy = {w.neurips_number: w for w in works if w.neurips_number}
        self.acl = {w.acl: w for w in works if w.acl}
        super().__init__(host, port)

    @property
    def url(self) -> str:
        """For ``CATALOG_PMLR_URL``, ``CATALOG_NEURIPS_URL`` and ``CATALOG_ACL_URL``."""
        return self.base

    def error_answer(self, status: int, request: Request) -> Answer:
        return Answer(status, NOT_FOUND.replace(b"404 Not Found", str(status).encode()), HTML)

    def request_ids(self, request: Request) -> tuple[str, ...]:
        return (request.path,)

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        if word == "huge":
            return Answer(200, b"<html><head>" + b" " * (3 * 1024 * 1024) + b"</head></html>", HTML)
        if word == "nometa":
            return Answer(
                200, b"<!DOCTYPE html><html><head><title>Maintenance</title></head></html>", HTML
            )
        if word == "away":
            return Answer(301, b"", HTML, {"Location": "https://elsewhere.example/paper"})
        return None

    def answer(self, request: Request) -> Answer:
        path = request.path
        m = re.fullmatch(r"/(v\d+)/([\w.-]+)\.html", path)
        if m and f"{m.group(1)}/{m.group(2)}" in self.pmlr:
            return Answer(200, page_of(self.pmlr[f"{m.group(1)}/{m.group(2)}"], "pmlr"), HTML)
        m = re.fullmatch(r"/paper(_files/paper)?/(\d{4})/hash/([0-9a-f]{32})-Abstract\.html", path)
        if m and f"{m.group(2)}/hash/{m.group(3)}" in self.neurips:
            if not m.group(1):
                return Answer(301, b"", HTML, {"Location": "/paper_files" + path})
            return Answer(
                200, page_of(self.neurips[f"{m.group(2)}/hash/{m.group(3)}"], "neurips"), HTML
            )
        m = re.fullmatch(r"/paper/(\d+)(?:-[\w-]*)?", path)
        if m and m.group(1) in self.legacy:
            work = self.legacy[m.group(1)]
            target = f"https://papers.nips.cc/paper_files/paper/{work.neurips}-Abstract.html"
            return Answer(301, b"", HTML, {"Location": target})
        m = re.fullmatch(r"/([\w.-]+?)(/?)", path)
        if m and m.group(1) in self.acl:
            if not m.group(2):
                return Answer(301, b"", HTML, {"Location": f"/{m.group(1)}/"})
            return Answer(200, page_of(self.acl[m.group(1)], "acl"), HTML)
        return Answer(404, NOT_FOUND, HTML)


def main(argv: list[str] | None = None) -> None:
    run_standalone(
        "Loopback stand-in for PMLR, NeurIPS and ACL Anthology paper pages",
        lambda args: ProceedingsStandIn(host=args.host, port=args.port),
        lambda s: (
            f"Proceedings stand-in (PMLR, NeurIPS, ACL Anthology) at {s.base}; Ctrl-C stops it\n"
            f"  CATALOG_PMLR_URL={s.base} CATALOG_NEURIPS_URL={s.base} CATALOG_ACL_URL={s.base} "
            "CATALOG_PROCEEDINGS_DELAY=0 ..."
        ),
        argv,
        default_port=8770,
    )


if __name__ == "__main__":
    main()

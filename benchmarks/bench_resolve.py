"""Resolve benchmark: 200 papers known only by a title or a link, against the stand-ins.

    .venv/bin/python benchmarks/bench_resolve.py [--papers 200] [--runs 3]

The papers are invented works (tests/fixtures/works.py's format, DOIs under Crossref's
test prefix 10.5555) served by the loopback stand-ins of tests/ (Crossref, DBLP, the
proceedings sites, OpenReview, arXiv) at zero delay, and catalogued from one post whose
rows are a mix: 40% link a DOI (doi.org), 20% a PMLR page, 40% carry a title and no
link. Two ways of finding them, in the same run, each on a fresh SQLite catalog:

* resolve: ``catalog.resolve.run.run_resolve``, as ``catalog resolve`` runs it (by the
  identifier in the link, batched per source: Crossref takes 40 DOIs per request; then
  by title, DBLP first, stopping at the first source whose candidates pass);
* every source: for each paper, every title search (DBLP, Crossref, arXiv) and a fetch
  of its link's identifier, one request each: what a resolver that asks everything for
  every paper and only then weighs the answers costs.

Printed: requests per paper (goal: at most 1.5 on average for resolve), wall time and
CPU seconds of this process (medians of ``--runs``), papers filled, and the load
average (the machine is shared: wall time is only comparable within one run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_SYLLABLES = ("ka", "lo", "mi", "ra", "tu", "ve", "zo", "ne", "pa", "si", "do", "gu")


def _word(i: int) -> str:
    """A made-up word per paper, so titles are distinct the way real ones are."""
    out = ""
    for _ in range(4):
        i, r = divmod(i, len(_SYLLABLES))
        out += _SYLLABLES[r]
    return out.capitalize()


def works(n: int) -> tuple[Any, ...]:
    from tests.fixtures.works import Person, Work

    made = []
    for i in range(n):
        kind = ("doi", "title", "pmlr", "doi", "title")[i % 5]
        author = (Person("Ada", f"Bench{_word(i)}"), Person("Grace", "Sample"))
        title = f"{_word(i)} Networks for Learning {_word(i + 7)} Representations"
        common: dict[str, Any] = {
            "key": f"bench-{i}",
            "title": title,
            "authors": author,
            "year": 2015 + i % 8,
            "why": "benchmark; invented",
            "dblp": f"conf/bench/W{i}",
            "dblp_type": "Conference and Workshop Papers",
            "dblp_venue": "BENCH",
        }
        if kind == "pmlr":
            venue = "Proceedings of Benchmarks"
            extra: dict[str, Any] = {"pmlr": f"v99/bench{i}a", "proceedings_venue": venue,
                                     "proceedings_date": str(2015 + i % 8)}  # fmt: skip
            made.append(Work(kind="proceedings", venue=venue, **extra, **common))
        else:
            doi = f"10.5555/bench.{i}"
            extra = {"doi": doi, "crossref_type": "journal-article",
                     "dblp_ee": (f"https://doi.org/{doi}",)}  # fmt: skip
            made.append(Work(kind="journal", venue="Journal of Benchmarks", **extra, **common))
    return tuple(made)


def post(path: Path, corpus: tuple[Any, ...]) -> Path:
    rows, notes = [], []
    for i, w in enumerate(corpus):
        kind = ("doi", "title", "pmlr", "doi", "title")[i % 5]
        if kind == "title":  # a title, and the footnote a post gives it (authors, venue)
            names = ", ".join(p.name for p in w.authors)
            rows.append(f"| P{i % 7} | {w.title} [^{i}] | | |")
            notes.append(f"[^{i}]: <sub><sup> {w.title}, {names} / BENCH{w.year % 100:02d} /"
                         " A summary. </sup></sub>")  # fmt: skip
            continue
        link = {
            "doi": f"[DOI](https://doi.org/{w.doi})",
            "pmlr": f"[PMLR](https://proceedings.mlr.press/{w.pmlr}.html)",
        }[kind]
        rows.append(f"| P{i % 7} | {w.title} | {link} | |")
    path.write_text(
        "---\nlayout: post\ntitle: Benchmark\n---\n\n"
        "| Presenter | Papers | Paper URL | Our Slides |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n\n" + "\n\n".join(notes) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return path


@dataclass
class Run:
    requests: int
    filled: int
    wall: float
    cpu: float


def _catalog(tmp: str, corpus: tuple[Any, ...]) -> str:
    from click.testing import CliRunner

    from catalog.cli.main import cli

    url = f"sqlite:///{tmp}/catalog.sqlite"
    posts = Path(tmp) / "_posts"
    posts.mkdir()
    result = CliRunner().invoke(cli, ["--db", url, "import", str(post(posts / "2020-01-01-b.md",
                                                                         corpus))])  # fmt: skip
    assert result.exit_code == 0, result.output
    return url


def resolve_run(corpus: tuple[Any, ...]) -> Run:
    from catalog.resolve.plan import plan_resolve
    from catalog.resolve.run import run_resolve
    from catalog.store.catalog import Catalog

    with tempfile.TemporaryDirectory() as tmp:
        url = _catalog(tmp, corpus)
        with Catalog.open(url) as catalog:
            w0, c0 = time.perf_counter(), time.process_time()
            plan = plan_resolve(catalog)
            report = run_resolve(catalog, plan)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return Run(report.requests, report.count("filled"), wall, cpu)


def every_source_run(corpus: tuple[Any, ...]) -> Run:
    """Every title search and every identifier fetch for every paper, then the rule."""
    from catalog.resolve.plan import plan_resolve
    from catalog.resolve.rule import decide
    from catalog.sources import enabled_sources
    from catalog.store.catalog import Catalog

    requests = 0

    def on_event(event: Any) -> None:
        nonlocal requests
        requests += event.kind == "request"

    with tempfile.TemporaryDirectory() as tmp:
        url = _catalog(tmp, corpus)
        with Catalog.open(url) as catalog:
            w0, c0 = time.perf_counter(), time.process_time()
            plan = plan_resolve(catalog)
            filled = 0
            with enabled_sources(on_event=on_event) as sources:
                for target in plan.targets:
                    records = []
                    for ident in target.known.identifiers:
                        for fetcher in sources.fetchers_for(ident):
                            records += fetcher.fetch([ident]).records.values()
                    for searcher in sources.title_searchers():
                        if target.search_title:
                            limit = 5 if searcher.name == "crossref" else 10
                            records += searcher.search_title(target.search_title, limit=limit)
                    if decide(target.known, records).status == "accepted":
                        filled += 1
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return Run(requests, filled, wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.arxiv_server import ArxivStandIn
    from tests.crossref_server import CrossrefStandIn
    from tests.dblp_server import DblpStandIn
    from tests.openreview_server import OpenReviewStandIn
    from tests.proceedings_server import ProceedingsStandIn

    corpus = works(args.papers)
    with ExitStack() as stack:
        crossref = stack.enter_context(CrossrefStandIn(corpus))
        dblp = stack.enter_context(DblpStandIn(corpus))
        v2 = stack.enter_context(OpenReviewStandIn(api=2, works=corpus))
        v1 = stack.enter_context(OpenReviewStandIn(api=1, works=corpus))
        proceedings = stack.enter_context(ProceedingsStandIn(corpus))
        arxiv = stack.enter_context(ArxivStandIn(corpus={}))
        os.environ.update(
            CATALOG_CROSSREF_URL=crossref.url, CATALOG_DBLP_URL=dblp.url,
            CATALOG_OPENREVIEW_URL=v2.url, CATALOG_OPENREVIEW_V1_URL=v1.url,
            CATALOG_PMLR_URL=proceedings.url, CATALOG_NEURIPS_URL=proceedings.url,
            CATALOG_ACL_URL=proceedings.url, CATALOG_ARXIV_URL=arxiv.url,
        )  # fmt: skip
        for name in ("ARXIV", "CROSSREF", "DBLP", "OPENREVIEW", "PROCEEDINGS"):
            os.environ[f"CATALOG_{name}_DELAY"] = "0"
        os.environ.pop("CATALOG_SOURCES", None)
        results: dict[str, list[Run]] = {"resolve": [], "every source": []}
        for _ in range(args.runs):
            results["resolve"].append(resolve_run(corpus))
            results["every source"].append(every_source_run(corpus))
    load = os.getloadavg()
    print(f"{args.papers} papers (40% DOI links, 20% PMLR links, 40% titles only), "
          f"stand-ins at zero delay; medians of {args.runs} runs; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print(f"{'':14}{'requests':>9}{'per paper':>11}{'filled':>8}{'wall s':>9}{'CPU s':>8}")
    for name, runs in results.items():
        requests = statistics.median(r.requests for r in runs)
        print(
            f"{name:14}{requests:>9.0f}{requests / args.papers:>11.2f}"
            f"{statistics.median(r.filled for r in runs):>8.0f}"
            f"{statistics.median(r.wall for r in runs):>9.2f}"
            f"{statistics.median(r.cpu for r in runs):>8.2f}"
        )
    print("goal: resolve at most 1.5 requests per paper on average")


if __name__ == "__main__":
    main()

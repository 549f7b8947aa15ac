"""Export benchmark: 100,000 papers to BibTeX and JSON, end to end to a file.

    .venv/bin/python benchmarks/bench_export.py [--papers 100000] [--runs 3]

Each figure is the median of ``--runs`` runs, each in a fresh subprocess so that its
peak memory (``ru_maxrss``, papers included: compare with ``papers-only``) is its own.
Times are end to end: citation keys, entries, text, and writing the file. Beside our
exporters it times bibtexparser's writer on the same entries, with the default unparse
stack (which deep-copies every block) and with the in-place one. Exports of 20,000+
papers render on every core in forked workers (catalog/exporters/parallel.py): ``cpu s``
is the parent's alone, ``worker`` the peak memory of the largest worker, and the
``+1proc`` rows are the same exports in one process. Wall time suffers on a shared
machine, so a calibration loop is printed too. Goal: bibtex and json each under 2 s for
100,000 papers. A third of the papers are published (proceedings or journal: venue,
volume, pages, publisher, a DBLP key or DOI), so the exporters' published path counts.

``--cli`` measures what a user waits for: ``catalog export bibtex|json -o FILE`` run as
a command against a SQLite catalog of the same papers (built once, first; not timed),
start-up and database reads included. The first export of a catalog also gives every
paper its citation key and stores it; later exports (the figure that matters for a
group exporting its list again and again) only read them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from typing import Any

from catalog.records import Identifier, PaperView

WORDS = (
    "learning deep neural network networks generative adversarial variational inference "
    "bayesian optimization stochastic gradient descent reinforcement policy graph attention "
    "transformer language model models representation contrastive self-supervised robust "
    "efficient scalable sparse dynamic latent diffusion causal structured prediction kernel "
    "convex nonconvex federated private differential equations manifold embedding "
    "clustering retrieval translation segmentation detection image video speech protein"
).split()
ACRONYMS = ["GAN", "VAE", "BERT", "RL", "DNA", "MCMC", "SGD", "GNN", "LSTM", "3D"]
SMALL = ["for", "of", "with", "and", "in", "via", "on", "the", "a", "to"]
SYLLABLES = (
    "ka ri mo an de la su ve ni to ha ze lu pa mi or en sa ti ko ba ru el go na "
    "yo che li wa fe dor ma stin ber gu"
).split()
ACCENTED = ["Jürgen", "Łukasz", "José", "Zoë", "Müller", "Pérez", "Søren", "Çelik"]


def _syllable_name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _author_pool(rng: random.Random, size: int) -> list[str]:
    """Prolific authors: they come back paper after paper."""
    return [
        f"{_syllable_name(rng, 2)} {chr(65 + rng.randrange(26))}. {_syllable_name(rng, 3)}"
        for _ in range(size)
    ]


def _author(rng: random.Random, pool: list[str]) -> str:
    # Half the author slots go to a pool of 5,000 frequent authors, half to names seen
    # about once (30^2 first x 30^3 last names), like arXiv's long tail.
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(pool)
    if roll < 0.52:
        return f"{rng.choice(ACCENTED)} {rng.choice(ACCENTED)}"
    return f"{_syllable_name(rng, 2)} {_syllable_name(rng, rng.randint(2, 3))}"


CATEGORIES = ["cs.LG", "stat.ML", "cs.CV", "cs.CL", "cs.AI", "math.OC", "q-bio.GN"]
# Where a third of the papers were published, as DBLP and Crossref name the venues.
PROCEEDINGS = [
    ("Advances in Neural Information Processing Systems", "Curran Associates, Inc.", "nips"),
    ("Proceedings of the International Conference on Machine Learning", "PMLR", "icml"),
    ("International Conference on Learning Representations", "OpenReview.net", "iclr"),
    ("IEEE/CVF Conference on Computer Vision and Pattern Recognition", "IEEE", "cvpr"),
]
JOURNALS = [
    ("Journal of Machine Learning Research", "JMLR"),
    ("Nature Communications", "Springer Science and Business Media LLC"),
    ("IEEE Transactions on Pattern Analysis and Machine Intelligence", "IEEE"),
]


def _published_fields(rng: random.Random, i: int, arxiv_id: str, year: int) -> dict[str, Any]:
    """PaperView's published fields for about a third of the papers (20% proceedings,
    10% journals), so that the exporters' published path is measured; the rest keep
    only their arXiv identifier, as the store gives it."""
    ids = [Identifier("arxiv", arxiv_id)]
    roll = rng.random()
    if roll >= 0.3:
        return {"identifiers": ids, "year": year}  # the store's year: v1's
    year += rng.randint(0, 1)
    first = rng.randrange(1, 2000)
    pages = f"{first}-{first + rng.randint(5, 15)}"
    if roll < 0.2:
        venue, publisher, conf = rng.choice(PROCEEDINGS)
        ids.append(Identifier("dblp", f"conf/{conf}/Paper{i}{year % 100:02d}"))
        return {
            "identifiers": ids, "year": year, "kind": "proceedings", "venue": venue,
            "volume": str(year - 1987), "pages": pages, "publisher": publisher,
            "field_sources": {"venue": "dblp", "year": "dblp", "pages": "dblp"},
        }  # fmt: skip
    venue, publisher = rng.choice(JOURNALS)
    ids.append(Identifier("doi", f"10.1000/journal.{i}"))
    return {
        "identifiers": ids, "year": year, "kind": "journal", "venue": venue,
        "volume": str(year - 1999), "issue": str(rng.randint(1, 12)),
        "pages": pages.replace("-", "\u2013"), "publisher": publisher,
        "field_sources": {"venue": "crossref", "year": "crossref", "doi": "crossref"},
    }  # fmt: skip


def make_papers(n: int, seed: int = 1) -> list[PaperView]:
    """``n`` papers of realistic size: 6-14 word titles, 3-8 authors, ~1,000-character
    abstracts, arXiv ids, dates, categories; a few with TeX math or specials, a few
    with Greek letters and subscripts as Crossref writes them; a third published
    (venue, volume, pages, publisher, year, DOI or DBLP key)."""
    rng = random.Random(seed)
    pool = _author_pool(rng, 5000)
    papers = []
    numbers: dict[str, int] = {}
    start = date(2007, 4, 1)
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        for j in range(1, len(words) - 1, 3):
            words[j] = rng.choice(SMALL)
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice(ACRONYMS)
        if rng.random() < 0.05:
            words.append(r"with $\alpha$-divergence & 50% less")
        elif rng.random() < 0.02:
            words.append("of β-Cells at CO₂ < 5%")
        title = " ".join(w.capitalize() if w not in SMALL else w for w in words)
        authors = [_author(rng, pool) for _ in range(rng.randint(3, 8))]
        abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(110, 150))) + "."
        published = start + timedelta(days=rng.randrange(6000))
        yymm = f"{published.year % 100:02d}{published.month:02d}"
        # Valid new-style ids: numbered from 1 within the month, 4 digits before 2015.
        number = numbers[yymm] = numbers.get(yymm, 0) + 1
        arxiv_id = f"{yymm}.{number:04d}" if yymm < "1501" else f"{yymm}.{number:05d}"
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        papers.append(
            PaperView(
                id=i + 1,
                title=title,
                authors=authors,
                arxiv_id=arxiv_id,
                version=rng.randint(1, 4),
                abstract=abstract,
                published=published,
                updated=published + timedelta(days=rng.randrange(400)),
                primary_category=cats[0],
                categories=cats,
                doi=f"10.1000/demo.{i}" if rng.random() < 0.2 else None,
                journal_ref="J. Demo Res. 1 (2020)" if rng.random() < 0.1 else None,
                url=f"https://arxiv.org/abs/{arxiv_id}",
                **_published_fields(rng, i, arxiv_id, published.year),
            )
        )
    return papers


def _unenclosed_library(papers: list[PaperView]) -> Any:
    """Our entries with their values un-braced, as a library built for bibtexparser's
    own unparse stack (which adds the braces) would hold them."""
    from catalog.exporters import ExportOptions
    from catalog.exporters.bibtex import build_library

    library = build_library(papers, ExportOptions())
    for entry in library.entries:
        for field in entry.fields:
            if field.key == "month":
                field.enclosing = "no-enclosing"  # a macro, as MonthAbbreviationMiddleware sets it
            else:
                field.value = field.value[1:-1]
    return library


def _run_one(kind: str, n: int) -> dict[str, float]:
    """One timed run in this process: generate, then export to a temporary file."""
    import gc

    from catalog.exporters import EXPORTERS, ExportOptions

    papers = make_papers(n)
    gc.collect()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out")
        if kind == "papers-only":
            t0, c0 = time.perf_counter(), time.process_time()
        elif kind in ("writer-inplace", "writer-default"):
            from bibtexparser.entrypoint import write_string
            from bibtexparser.middlewares import default_unparse_stack

            library = _unenclosed_library(papers)
            inplace = kind == "writer-inplace"
            t0, c0 = time.perf_counter(), time.process_time()  # the writer alone
            stack = default_unparse_stack(allow_inplace_modification=inplace)
            text = write_string(library, unparse_stack=stack)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
        else:
            fmt, _, extra = kind.partition("+")
            if extra == "1proc":
                os.environ["CATALOG_EXPORT_WORKERS"] = "1"
            options = ExportOptions(abstracts=extra == "abstracts")
            t0, c0 = time.perf_counter(), time.process_time()
            with open(path, "w", encoding="utf-8") as out:
                EXPORTERS[fmt](papers, [], out, options)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = os.path.getsize(path) if os.path.exists(path) else 0
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": size,
        "maxrss_mib": maxrss_kib / 1024,
        "worker_mib": workers_kib / 1024,
    }


def _calibration() -> float:
    """Seconds for a fixed pure-Python loop, to compare tables made under different load."""
    t0 = time.perf_counter()
    for _ in range(100):
        sum(range(100_000))
    return time.perf_counter() - t0


KINDS = [
    ("papers-only", "generate the papers only: the memory baseline"),
    ("bibtex", "our BibTeX export (keys + entries + bibtexparser write)"),
    ("json", "our JSON export"),
    ("bibtex+1proc", "the same, CATALOG_EXPORT_WORKERS=1 (no fork)"),
    ("json+1proc", "the same, CATALOG_EXPORT_WORKERS=1 (no fork)"),
    ("bibtex+abstracts", "our BibTeX export, with abstracts"),
    ("csl", "our CSL-JSON export"),
    ("writer-inplace", "bibtexparser write, in-place unparse stack (library given)"),
    ("writer-default", "bibtexparser write, DEFAULT unparse stack (library given)"),
]


ARXIV_SOURCES = {"title": "arxiv", "authors": "arxiv", "url": "arxiv", "published": "arxiv"}


def build_catalog(url: str, papers: list[PaperView]) -> None:
    """A catalog holding ``papers`` (arXiv metadata, authors in order, abstracts), written
    with bulk inserts in one transaction (adding 100,000 papers one upsert at a time
    would take minutes and is not what this benchmark measures)."""
    from datetime import UTC, datetime

    from catalog.store.catalog import Catalog, ensure_authors
    from catalog.store.models import Abstract, Paper, PaperAuthor, PaperIdentifier
    from catalog.store.search import bulk_index
    from catalog.text import title_key

    def stamp(day: date | None) -> datetime | None:
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if day else None

    def work(s: Any) -> None:
        with bulk_index(s) as touched:
            conn = s.connection()
            ids = ensure_authors(s, [a for p in papers for a in p.authors])
            conn.execute(
                Paper.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {
                        "id": p.id, "arxiv_id": p.arxiv_id, "version": p.version,
                        "title": p.title, "title_key": title_key(p.title), "url": p.url,
                        "published": stamp(p.published), "updated": stamp(p.updated),
                        "primary_category": p.primary_category, "categories": p.categories,
                        "doi": p.doi, "journal_ref": p.journal_ref, "extra_fields": {},
                        "sync_source": "arxiv", "created_at": datetime.now(UTC),
                        "field_sources": {**ARXIV_SOURCES, **({"doi": "arxiv"} if p.doi else {})},
                    }
                    for p in papers
                ],
            )  # fmt: skip
            # Their identifiers, as upsert_arxiv_record registers them.
            conn.execute(
                PaperIdentifier.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {"paper_id": p.id, "scheme": scheme, "value": value, "source": "arxiv",
                     "created_at": datetime.now(UTC)}
                    for p in papers
                    for scheme, value in (("arxiv", p.arxiv_id), ("doi", p.doi))
                    if value
                ],
            )  # fmt: skip
            conn.execute(
                PaperAuthor.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {"paper_id": p.id, "position": i, "author_id": ids[a]}
                    for p in papers
                    for i, a in enumerate(p.authors)
                ],
            )
            conn.execute(
                Abstract.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {"paper_id": p.id, "text": p.abstract, "source": "arxiv", "source_ref": ""}
                    for p in papers
                ],
            )
            touched.update(p.id for p in papers)

    catalog = Catalog.open(url)
    try:
        catalog.write(work)
    finally:
        catalog.close()


# The installed command, beside this interpreter.
CATALOG = os.path.join(os.path.dirname(sys.executable), "catalog")


def _cli_export(url: str, fmt: str, path: str, workers: str = "") -> tuple[float, float]:
    """Wall and CPU seconds (workers included) of one ``catalog export FMT -o PATH``."""
    env = {**os.environ, "CATALOG_EXPORT_WORKERS": workers}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [CATALOG, "--db", url, "export", fmt, "-o", path], check=True, capture_output=True, env=env
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cli_main(n: int, runs: int) -> None:
    """``--cli``: the export commands, end to end, from a catalog of ``n`` papers."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/catalog.sqlite"
        t0 = time.perf_counter()
        build_catalog(url, make_papers(n))
        print(f"built a catalog of {n:,} papers in {time.perf_counter() - t0:.1f} s (not timed)")
        baseline = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([CATALOG, "--db", url, "db", "info"], check=True, capture_output=True)
            baseline.append(time.perf_counter() - t0)
        print(f"{'command':<34} {'wall s':>7} {'(min)':>6} {'cpu s':>6}")
        print(f"{'catalog db info (baseline)':<34} {statistics.median(baseline):>7.2f}")
        out = os.path.join(tmp, "out")
        first = _cli_export(url, "bibtex", out)
        print(
            f"{'export bibtex, first (keys given)':<34} {first[0]:>7.2f} {'':>6} {first[1]:>6.2f}"
        )
        for fmt, workers in (("bibtex", ""), ("json", ""), ("bibtex", "1"), ("json", "1")):
            timings = [_cli_export(url, fmt, out, workers) for _ in range(runs)]
            wall = [w for w, _ in timings]
            cpu = statistics.median(c for _, c in timings)
            label = f"export {fmt}" + (", one process" if workers else "")
            print(f"{label:<34} {statistics.median(wall):>7.2f} {min(wall):>6.2f} {cpu:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated kinds to run")
    parser.add_argument("--cli", action="store_true", help="time the catalog export commands")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cli:
        cli_main(args.papers, args.runs)
        return
    if args.child:
        print(json.dumps(_run_one(args.child, args.papers)))
        return

    only = set(args.only.split(",")) if args.only else None
    print(
        f"{args.papers:,} papers, median of {args.runs} runs, each in a fresh process; "
        f"calibration loop {_calibration():.2f} s"
    )
    print(
        f"{'kind':<17} {'wall s':>7} {'(min)':>6} {'cpu s':>6} {'out MiB':>8} {'peak MiB':>9} "
        f"{'worker':>7}  what"
    )
    for kind, what in KINDS:
        if only and kind not in only:
            continue
        runs = []
        for _ in range(args.runs):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--papers", str(args.papers)],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        wall = [r["seconds"] for r in runs]
        cpu = [r["cpu"] for r in runs]
        print(
            f"{kind:<17} {statistics.median(wall):>7.2f} {min(wall):>6.2f} "
            f"{statistics.median(cpu):>6.2f} {runs[0]['bytes'] / 2**20:>8.1f} "
            f"{max(r['maxrss_mib'] for r in runs):>9.0f} "
            f"{max(r['worker_mib'] for r in runs):>7.0f}  {what}"
        )


if __name__ == "__main__":
    main()

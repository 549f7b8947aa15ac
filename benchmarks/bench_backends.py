"""Benchmark: the same store work on SQLite and PostgreSQL, side by side.

    .venv/bin/python benchmarks/bench_backends.py [--papers 2000] [--posts 1000] [--runs 3]
        [--pg postgresql+psycopg://user@host/postgres]

Each run uses a new SQLite file and a new PostgreSQL database (created with CREATE
DATABASE on the ``--pg`` server; without ``--pg`` a throwaway server is started the way
the tests start one). Steps, each timed (median of ``--runs``, wall seconds):

* ``migrate``: open a new database (all migrations);
* ``add``: upsert ``--papers`` arXiv records, 100 per transaction;
* ``re-add``: the same again (every one "unchanged");
* ``search x100``: 100 one- and two-word queries (prefixes, authors, abstracts), each
  the first page of 20, ranked, with the total;
* ``list``: every paper with authors and abstract;
* ``import posts``: ``--posts`` generated posts of 10 rows (bench_check's), then again
  (all unchanged);
* ``export bibtex`` / ``export json``: every paper and session, as ``catalog export``
  does it (the first export also gives the citation keys);
* ``4 writers``: four processes upserting the same 500 records at once.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from catalog.records import ArxivRecord  # noqa: E402
from catalog.store.catalog import Catalog  # noqa: E402

SYLLABLES = "ka ri to mu se na lo pe vi du ra zo fe gi ho ly".split()


def _vocabulary(size: int = 2000) -> list[str]:
    """Made-up words, so that a query matches a few papers rather than all of them."""
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


WORDS = _vocabulary()
SURNAMES = "Maddison Mnih Teh Jang Gu Poole Kingma Welling Rezende Mohamed Goodfellow".split()


def make_records(n: int, seed: int = 1) -> list[ArxivRecord]:
    rng = random.Random(seed)
    pool = [f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {s}{i}" for i, s in enumerate(SURNAMES * 40)]
    records = []
    for i in range(n):
        published = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=i % 3000)
        version = 1 + i % 3
        records.append(
            ArxivRecord(
                arxiv_id=f"{15 + i // 50000:02d}{1 + (i // 5000) % 12:02d}.{i % 100000:05d}",
                version=version,
                title=" ".join(rng.choice(WORDS) for _ in range(8)).capitalize(),
                authors=tuple(dict.fromkeys(rng.choice(pool) for _ in range(rng.randint(1, 6)))),
                abstract=" ".join(rng.choice(WORDS) for _ in range(120)),
                published=published,
                updated=published + timedelta(days=40 * (version - 1)),
                categories=("cs.LG",),
            )
        )
    return records


def queries(seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(100):
        word = rng.choice(WORDS)
        if i % 3 == 0:
            out.append(word[:5])  # a prefix
        elif i % 3 == 1:
            out.append(f"{word} {rng.choice(SURNAMES).lower()}")
        else:
            out.append(f"{word} {rng.choice(WORDS)}")
    return out


WRITER = """
import sys
sys.path.insert(0, {bench!r})
from bench_backends import make_records
from catalog.store.catalog import Catalog
records = make_records(500)
print("ready", flush=True)
sys.stdin.readline()
with Catalog.open(sys.argv[1]) as catalog:
    for start in range(0, len(records), 50):
        catalog.upsert_arxiv(records[start : start + 50])
"""


def concurrent_writers(url: str, n: int = 4) -> None:
    script = WRITER.format(bench=str(Path(__file__).parent))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.communicate()
        assert proc.returncode == 0


def export_all(catalog: Catalog, fmt: str) -> None:
    """What `catalog export FMT -o FILE` does: select, give keys, write."""
    from catalog.exporters import EXPORTERS, ExportOptions
    from catalog.exporters.keys import KeyAllocator
    from catalog.store.selection import Selection, assign_citation_keys, select_for_export

    papers, sessions = select_for_export(catalog, Selection(), abstracts_too=fmt == "json")
    assign_citation_keys(catalog, papers, lambda taken: KeyAllocator(taken).allocate)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        EXPORTERS[fmt](papers, sessions, sink, ExportOptions())


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_once(
    url_factory: Callable[[], str], records: list[ArxivRecord], posts: list[Path]
) -> dict[str, float]:
    from catalog.importers.posts import import_posts

    out: dict[str, float] = {}
    url = url_factory()
    holder: list[Catalog] = []
    out["migrate"] = timed(lambda: holder.append(Catalog.open(url)))
    catalog = holder[0]
    try:

        def add() -> None:
            for start in range(0, len(records), 100):
                catalog.upsert_arxiv(records[start : start + 100])

        out["add"] = timed(add)
        out["re-add"] = timed(add)
        qs = queries()
        out["search x100"] = timed(lambda: [catalog.search(q) for q in qs])
        out["list"] = timed(catalog.list_papers)
        if posts:
            out["import posts"] = timed(lambda: import_posts(catalog, posts))
            out["re-import posts"] = timed(lambda: import_posts(catalog, posts))
        for fmt in ("bibtex", "json"):
            out[f"export {fmt}"] = timed(lambda fmt=fmt: export_all(catalog, fmt))
    finally:
        catalog.close()
    out["4 writers"] = timed(lambda: concurrent_writers(url_factory()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=2000)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", metavar="URL", help="a PostgreSQL server (superuser URL)")
    args = ap.parse_args()

    from bench_check import make_post

    from tests.db_fixtures import (
        PgServer,
        PostgresUnavailable,
        external_server,
        start_postgres,
        stop_postgres,
    )

    records = make_records(args.papers)
    server: PgServer | None = None
    try:
        server = external_server(args.pg) if args.pg else start_postgres()
    except PostgresUnavailable as exc:
        print(f"PostgreSQL unavailable, SQLite only: {exc}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "_posts"
        folder.mkdir()
        rng = random.Random(20180731)
        posts = []
        for n in range(args.posts):
            path = folder / f"2019-01-01-post{n:04d}.md"
            path.write_text(make_post(rng, n, 10), encoding="utf-8")
            posts.append(path)
        counter = iter(range(10**6))
        factories: dict[str, Callable[[], str]] = {
            "sqlite": lambda: f"sqlite:///{tmp}/db{next(counter)}.sqlite"
        }
        if server is not None:
            factories["postgresql"] = server.create_database
        results: dict[str, list[dict[str, float]]] = {name: [] for name in factories}
        try:
            for _ in range(args.runs):
                for name, factory in factories.items():
                    results[name].append(run_once(factory, records, posts))
        finally:
            if server is not None:
                stop_postgres(server)
    steps = list(next(iter(results.values()))[0])
    names = list(results)
    print(f"{args.papers} papers, {args.posts} posts, median of {args.runs} runs (wall s)")
    print(f"{'step':16}" + "".join(f"{n:>12}" for n in names))
    for step in steps:
        row = [statistics.median(r[step] for r in results[n]) for n in names]
        print(f"{step:16}" + "".join(f"{v:12.3f}" for v in row))


if __name__ == "__main__":
    main()

"""Benchmark: import 1,000 generated posts of 10 rows each into a fresh catalog
(goal: under 5 s on one core), then re-import them unchanged.

Run: ``.venv/bin/python benchmarks/bench_import.py [--posts N] [--rows N] [--runs N] [--db URL]``.
The posts are the ones ``bench_check.py`` generates (rotated footnotes in every other
post). Each run imports into a new SQLite file (or a new PostgreSQL database when
``--db`` names a server URL whose database part is replaced). Medians are printed, with
parse+check of the same posts measured in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import make_post  # noqa: E402

from catalog.check import check_post  # noqa: E402
from catalog.importers.posts import import_posts  # noqa: E402
from catalog.posts import read_post  # noqa: E402
from catalog.store.catalog import Catalog  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    rng = random.Random(20180731)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "_posts"
        folder.mkdir()
        files = []
        for n in range(args.posts):
            path = folder / f"2019-01-01-post{n:04d}.md"
            path.write_text(make_post(rng, n, args.rows), encoding="utf-8")
            files.append(path)
        baseline, first, again = [], [], []
        for run in range(args.runs):
            t0 = time.process_time()
            for path in files:
                check_post(read_post(path))
            baseline.append(time.process_time() - t0)
            with Catalog.open(str(Path(tmp) / f"run{run}.sqlite")) as catalog:
                w0, c0 = time.perf_counter(), time.process_time()
                summary = import_posts(catalog, files)
                first.append((time.perf_counter() - w0, time.process_time() - c0))
                assert not summary.failed and len(summary.imported) == args.posts
                w0, c0 = time.perf_counter(), time.process_time()
                summary = import_posts(catalog, files)
                again.append((time.perf_counter() - w0, time.process_time() - c0))
                assert all(r.status == "unchanged" for r in summary.imported)

    def med(values: list[tuple[float, float]], i: int) -> float:
        return statistics.median(v[i] for v in values)

    print(f"{args.posts} posts x {args.rows} rows, SQLite, median of {args.runs} runs")
    print(f"  parse + check only (baseline)   cpu {statistics.median(baseline):6.2f} s")
    for label, runs in (("import into a new catalog", first), ("re-import (all unchanged)", again)):
        print(f"  {label:31} cpu {med(runs, 1):6.2f} s   wall {med(runs, 0):6.2f} s")


if __name__ == "__main__":
    main()

"""Sync benchmark: 1,000 catalogued papers refreshed from the loopback arXiv stand-in.

    .venv/bin/python benchmarks/bench_sync.py [--papers 1000] [--delay 0.1] [--runs 3]
                                              [--baseline-papers 100]

Both approaches run the real sync (``catalog.sync.run_sync``: the polite client, one
transaction per batch, into a fresh SQLite file seeded with never-synced papers), against
the stand-in from ``tests/arxiv_server.py`` started in this process, with the same delay
between requests:

* batched: ``--batch-size`` ids per request (200, the CLI's default), POSTed;
* one request per paper: batch size 1, the way a loop over ``catalog add ID`` would ask.
  It takes ``papers x delay`` seconds at least (100 s for 1,000 papers at 0.1 s), so it is
  run on ``--baseline-papers`` papers and its time extrapolated linearly to ``--papers``
  (requests are paced by the delay, storing is per paper: both scale linearly).

Each figure is the median of ``--runs`` runs. "store" is the time spent in the catalog's
write transactions, part of the wall time; at arXiv's real 3 s delay it is hidden inside
the waits, since the delay is counted from the start of the previous request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    papers: int
    requests: int
    wall: float
    store: float


def seed_catalog(url: str, ids: list[str]) -> None:
    """Catalogue ``ids`` as never-synced papers, the way the sync tests do."""
    from tests.test_sync import seed

    seed(url, ids)


def one_run(server_url: str, ids: list[str], batch_size: int, delay: float) -> Run:
    from catalog.sources.arxiv.client import ArxivClient
    from catalog.store.catalog import Catalog
    from catalog.sync import plan_sync, run_sync

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/catalog.sqlite"
        seed_catalog(url, ids)
        with Catalog.open(url) as catalog:
            store = [0.0]
            write = catalog.write

            def timed_write(work: Callable[[Any], Any], **kw: Any) -> Any:
                start = time.perf_counter()
                try:
                    return write(work, **kw)
                finally:
                    store[0] += time.perf_counter() - start

            catalog.write = timed_write  # type: ignore[method-assign]
            plan = plan_sync(catalog, "due", batch_size=batch_size)
            with ArxivClient(base_url=server_url, delay=delay, batch_size=batch_size) as client:
                start = time.perf_counter()
                report = run_sync(catalog, client, plan)
                wall = time.perf_counter() - start
        if report.synced != len(ids) or not report.complete:
            raise SystemExit(f"sync incomplete: {report.synced} of {len(ids)} papers")
        return Run(len(ids), report.requests, wall, store[0])


def median_run(runs: list[Run]) -> Run:
    return Run(
        runs[0].papers,
        int(statistics.median(r.requests for r in runs)),
        statistics.median(r.wall for r in runs),
        statistics.median(r.store for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--baseline-papers", type=int, default=100)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))  # tests/arxiv_server.py is not part of the package
    from tests.arxiv_server import ArxivStandIn, synthetic_papers

    corpus = synthetic_papers(args.papers)
    ids = sorted(corpus)
    base_ids = ids[: args.baseline_papers]
    with ArxivStandIn() as server:
        server.add_papers(corpus)
        batched: list[Run] = []
        single: list[Run] = []
        for i in range(args.runs):
            batched.append(one_run(server.url, ids, args.batch_size, args.delay))
            single.append(one_run(server.url, base_ids, 1, args.delay))
            print(
                f"run {i + 1}: batched {batched[-1].wall:.2f}s, "
                f"one-per-paper ({len(base_ids)} papers) {single[-1].wall:.2f}s",
                file=sys.stderr,
            )

    b, s = median_run(batched), median_run(single)
    scale = args.papers / len(base_ids)
    print(
        f"sync of {args.papers} papers, delay {args.delay:g}s, "
        f"median of {args.runs} runs (stand-in in process, SQLite in a temp folder)"
    )
    print(f"{'approach':34}{'requests':>10}{'wall s':>10}{'store s':>10}{'papers/s':>10}")
    print(
        f"{'batched, ' + str(args.batch_size) + ' ids/request':34}"
        f"{b.requests:>10}{b.wall:>10.2f}{b.store:>10.2f}{b.papers / b.wall:>10.1f}"
    )
    print(
        f"{'one request per paper, measured':34}"
        f"{s.requests:>10}{s.wall:>10.2f}{s.store:>10.2f}{s.papers / s.wall:>10.1f}"
        f"   ({s.papers} papers)"
    )
    print(
        f"{'one request per paper, x' + f'{scale:g}':34}"
        f"{round(s.requests * scale):>10}{s.wall * scale:>10.2f}{s.store * scale:>10.2f}"
        f"{s.papers / s.wall:>10.1f}   (extrapolated to {args.papers})"
    )
    print(
        f"speed-up: {s.wall * scale / b.wall:.1f}x wall time, "
        f"{s.requests * scale / b.requests:.0f}x fewer requests; "
        f"at arXiv's 3 s delay: {b.requests} requests = {(b.requests - 1) * 3:g} s vs "
        f"{round(s.requests * scale)} requests = {(s.requests * scale - 1) * 3 / 60:.0f} min"
    )


if __name__ == "__main__":
    main()

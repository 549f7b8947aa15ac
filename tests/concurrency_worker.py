"""One writer process for tests/test_concurrency.py (run as a script, not collected).

    python tests/concurrency_worker.py URL WORKER_NUMBER

Prints ``ready``, waits for a line on stdin (the barrier: the test releases every worker
at once), then opens the catalog (so fresh databases see the workers race on the first
migration) and upserts the shared papers plus its own, in a worker-specific order, in
several short transactions, twice over, with searches in between. Prints ``done`` and a
JSON summary of the statuses it saw; any exception goes to stderr with exit status 1.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta

from catalog.records import ArxivRecord

SHARED = 50  # papers every worker stores
OWN = 5  # papers only this worker stores
AUTHOR_POOL = 30
CHUNK = 5  # records per transaction
PASSES = 2


def author_names(i: int) -> tuple[str, ...]:
    """3-5 distinct authors from a small pool, so papers and workers share authors."""
    return tuple(f"Author {(i * 7 + k * 11) % AUTHOR_POOL} Name" for k in range(3 + i % 3))


def record(i: int) -> ArxivRecord:
    """The same paper for the same ``i`` in every process."""
    version = 1 + i % 3
    published = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=i)
    return ArxivRecord(
        arxiv_id=f"2101.{i:05d}",
        version=version,
        title=f"Paper {i} on topic{i % 7} relaxations",
        authors=author_names(i),
        abstract=f"Abstract of paper {i}: estimators for family{i % 4}.",
        published=published,
        updated=published + timedelta(days=30 * (version - 1)),
        primary_category="cs.LG",
        categories=("cs.LG", "stat.ML"),
        url=f"https://arxiv.org/abs/2101.{i:05d}",
    )


def own_numbers(worker: int) -> list[int]:
    return [1000 + worker * OWN + j for j in range(OWN)]


def expected_numbers(workers: int) -> list[int]:
    return list(range(SHARED)) + [n for w in range(workers) for n in own_numbers(w)]


def main(url: str, worker: int) -> None:
    from catalog.store.catalog import Catalog

    numbers = list(range(SHARED)) + own_numbers(worker)
    rng = random.Random(worker)
    print("ready", flush=True)
    sys.stdin.readline()

    statuses: dict[str, int] = {}
    with Catalog.open(url) as catalog:
        for _ in range(PASSES):
            rng.shuffle(numbers)
            for start in range(0, len(numbers), CHUNK):
                chunk = [record(i) for i in numbers[start : start + CHUNK]]
                for result in catalog.upsert_arxiv(chunk):
                    statuses[result.status] = statuses.get(result.status, 0) + 1
                catalog.search(f"topic{start % 7} relax")
    print("done", json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

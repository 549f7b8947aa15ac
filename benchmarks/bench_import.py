"""Benchmark: import 1,000 generated posts of 10 rows each into a fresh catalog
(goal: under 5 s on one core), then re-import them unchanged; or, with ``--bib N``, a
generated N-entry .bib file (goal at 100,000: at most 2x bibtexparser's own parse of the
same file, peak memory under 600 MB; re-import at most 1.5x the parse).

Run: ``.venv/bin/python benchmarks/bench_import.py [--posts N] [--rows N] [--runs N]``
or ``.venv/bin/python benchmarks/bench_import.py --bib 100000 [--known 10000] [--runs N]
[--pg URL | --no-pg]``.

The .bib case (benchmarks/bibgen.py writes the file: arXiv eprints, DOIs, venues as
macros or written out, 3-8 authors from a long-tailed pool, some non-ASCII, 1% repeated
keys, 1% papers repeated under another key, 10% papers already in the catalog) imports
into a catalog holding ``--known`` papers from arXiv (stored first, not timed), on SQLite
and on PostgreSQL (a throwaway server started as the tests start one, or ``--pg``). Each
measurement runs in a process of its own (``catalog import``'s code path, no CLI), which
reports its CPU seconds, wall time and peak RSS; bibtexparser's ``parse_string`` of the
same file is measured the same way in the same run. Medians of ``--runs``. A re-import
skips the entries the catalog holds exactly, unread (catalog/importers/bib_digests.py):
the line under the table says how many.
The posts are the ones ``bench_check.py`` generates (rotated footnotes in every other
post). Each run imports into a new SQLite file (or a new PostgreSQL database when
``--db`` names a server URL whose database part is replaced). Medians are printed, with
parse+check of the same posts measured in the same run as the baseline.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).parent))
from datetime import UTC, datetime  # noqa: E402

from bench_check import make_post  # noqa: E402

from catalog.check import check_post  # noqa: E402
from catalog.importers.posts import import_posts  # noqa: E402
from catalog.posts import read_post  # noqa: E402
from catalog.records import ArxivRecord  # noqa: E402
from catalog.store.catalog import Catalog  # noqa: E402


def _child(task: str, path: str, db: str | None) -> None:
    """One measurement, in this process: print {cpu, wall, rss_mb, ...} as JSON."""
    w0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, object] = {}
    if task == "parse":
        import bibtexparser

        library = bibtexparser.parse_string(Path(path).read_text(encoding="utf-8"))
        out["entries"] = len(library.entries)
    else:
        from catalog.importers.bib_store import import_bib

        with Catalog.open(db) as catalog:
            report = import_bib(catalog, Path(path))
        out.update(
            added=len(report.added),
            merged=len(report.merged),
            unchanged=len(report.unchanged),
            failed=len(report.failed),
        )
    out["cpu"] = time.process_time() - c0
    out["wall"] = time.perf_counter() - w0
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The import's forked reader (catalog/importers/bib_workers.py), waited for by now.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["worker_cpu"] = workers.ru_utime + workers.ru_stime
    out["worker_rss_mb"] = workers.ru_maxrss / 1024
    print(json.dumps(out))


def _server_cpu(folder: Path | None) -> float:
    """CPU seconds of a PostgreSQL server this run started: its postmaster's and its
    children's, the backends that exited included (the postmaster waited for them)."""
    if folder is None:
        return 0.0
    pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])

    def times(p: int) -> list[int]:
        stat = Path(f"/proc/{p}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # after the command's name
        return [int(fields[1]), *(int(f) for f in fields[11:15])]  # ppid, u, s, cu, cs

    ticks = sum(times(pid)[1:])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent, user, system, *_ = times(int(entry))
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if parent == pid:
                ticks += user + system
    return ticks / os.sysconf("SC_CLK_TCK")


def _measure(
    task: str, path: Path, db: str | None = None, server: Path | None = None
) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", task, str(path), db or ""]
    before = _server_cpu(server)
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if server is not None:
        time.sleep(0.2)  # the backend's exit, for the postmaster to reap
        measured["server_cpu"] = _server_cpu(server) - before
    print(f"  {task} {db or ''}: {measured}", file=sys.stderr, flush=True)  # as it goes
    return measured


def _known(n: int) -> list[ArxivRecord]:
    """Papers from arXiv already in the catalog (the .bib file cites some of them)."""
    from bibgen import _title  # the same kind of titles as the file's

    rng = random.Random(99)
    when = datetime(2019, 1, 1, tzinfo=UTC)
    return [
        ArxivRecord(
            arxiv_id=f"{rng.randint(15, 23)}{rng.randint(1, 12):02d}.{10000 + i:05d}",
            version=1, title=_title(rng).replace("{", "").replace("}", ""),
            authors=("Ann Known", f"Bo Known{i % 500}"), abstract="An abstract.",
            published=when, updated=when, doi=f"10.5555/known.{i}" if i % 4 == 0 else None,
        )
        for i in range(n)
    ]  # fmt: skip


def _seed(url: str, records: list[ArxivRecord]) -> None:
    with Catalog.open(url) as catalog:
        for start in range(0, len(records), 2000):
            catalog.upsert_arxiv(records[start : start + 2000])


def bib_main(args: argparse.Namespace) -> None:
    from bibgen import write_bib

    from catalog.records import PaperView
    from tests.db_fixtures import (
        PostgresUnavailable,
        external_server,
        start_postgres,
        stop_postgres,
    )

    records = _known(args.known)
    known = [PaperView(id=0, title=r.title, arxiv_id=r.arxiv_id, doi=r.doi) for r in records]
    rows: list[tuple[str, str, list[dict[str, float]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "refs.bib"
        write_bib(str(bib), args.bib, known)
        size = bib.stat().st_size / 2**20
        parses = [_measure("parse", bib) for _ in range(args.runs)]
        rows.append(("-", "bibtexparser.parse_string", parses))
        servers: list[tuple[str, object]] = [("SQLite", None)]
        if not args.no_pg:
            try:
                servers.append(
                    ("PostgreSQL", external_server(args.pg) if args.pg else start_postgres())
                )
            except PostgresUnavailable as exc:
                print(f"PostgreSQL unavailable, SQLite only: {exc}", file=sys.stderr)
        for backend, server in servers:
            first, again = [], []
            try:
                for run in range(args.runs):
                    if server is None:
                        url = f"sqlite:///{tmp}/run{run}.sqlite"
                    else:
                        url = server.create_database()  # type: ignore[attr-defined]
                    _seed(url, records)
                    folder = getattr(server, "folder", None)
                    first.append(_measure("import", bib, url, folder))
                    again.append(_measure("import", bib, url, folder))
            finally:
                if server is not None:
                    stop_postgres(server)  # type: ignore[arg-type]
            rows.append((backend, "import into a catalog", first))
            rows.append((backend, "re-import (unchanged)", again))
    base = statistics.median(m["cpu"] for m in parses)
    base_wall = statistics.median(m["wall"] for m in parses)
    print(
        f"{args.bib:,}-entry .bib ({size:.0f} MB), {args.known:,} papers already in the "
        f"catalog, median of {args.runs} run(s); load average {_load()}"
    )
    print("goal: import wall <= 2x the parse's, re-import <= 1.5x, peak under 600 MB each;")
    print("cpu = the importer's + its forked reader's (CATALOG_IMPORT_WORKERS=1: none);")
    print("floor = the least wall time that CPU allows on this machine's cores:")
    print("max(importer, reader, their sum / cores), the server's CPU not counted;")
    print("srv s = the PostgreSQL server's CPU meanwhile, its autovacuum workers included")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    print(
        f"{'backend':<11} {'what':<30} {'cpu s':>7} {'x parse':>8} {'imp s':>6} "
        f"{'rdr s':>6} {'srv s':>6} {'floor':>6} {'wall s':>7} {'x parse':>8} {'goal':>5} "
        f"{'peak MB':>8} {'reader MB':>9}"
    )
    for backend, label, ms in rows:
        cpu = statistics.median(m["cpu"] + m.get("worker_cpu", 0.0) for m in ms)
        own = statistics.median(m["cpu"] for m in ms)
        worker = statistics.median(m.get("worker_cpu", 0.0) for m in ms)
        floor = max(own, worker, (own + worker) / cores)
        served = [m["server_cpu"] for m in ms if "server_cpu" in m]
        srv = f"{statistics.median(served):6.1f}" if served else f"{'-':>6}"
        wall = statistics.median(m["wall"] for m in ms)
        rss = statistics.median(m["rss_mb"] for m in ms)
        reader = statistics.median(m.get("worker_rss_mb", 0.0) for m in ms)
        goal = {"import": 2.0, "re-import": 1.5}.get(label.split()[0])
        mark = "-" if goal is None else ("ok" if wall / base_wall <= goal else "MISS")
        print(
            f"{backend:<11} {label:<30} {cpu:7.1f} {cpu / base:7.2f}x {own:6.1f} "
            f"{worker:6.1f} {srv} {floor:6.1f} {wall:7.1f} "
            f"{wall / base_wall:7.2f}x {mark:>5} {rss:8.0f} {reader:9.0f}"
        )
    if len(rows) > 2:
        last, again_last = rows[1][2][-1], rows[2][2][-1]
        print(f"(import: {last['added']:,.0f} added, {last['merged']:,.0f} merged, "
              f"{last['failed']:,.0f} blocks failed; re-import: "
              f"{again_last['unchanged']:,.0f} unchanged (skipped unread), "
              f"{again_last['merged']:,.0f} merged)")  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4] or None)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bib", type=int, metavar="N", help="the .bib case: N entries")
    ap.add_argument("--known", type=int, default=10_000, help="papers already in the catalog")
    ap.add_argument("--pg", metavar="URL", help="a PostgreSQL server (superuser URL)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    if args.bib:
        bib_main(args)
        return

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

"""Web benchmark: every page and API route of ``catalog serve`` on a 100,000-paper catalog,
on SQLite and PostgreSQL, beside a static file served by the same server.

    .venv/bin/python benchmarks/bench_serve.py [--papers 100000] [--sessions 500]
        [--requests 40] [--pg postgresql+psycopg://user@host/postgres] [--sqlite-only]
        [--keep DIR] [--pg-catalog URL]

The catalog is bench_export's generated papers (authors, ~1,000-character abstracts,
arXiv ids) with ``--sessions`` sessions of 6 talks by 150 presenters, written in bulk.
The server is the real command (``catalog serve``: uvicorn, one process) on 127.0.0.1;
an httpx client asks each route ``--requests`` times after 3 warm-up requests, one at a
time. Figures are server side: the ``Server-Timing`` header the application adds to each
response (from the request reaching the application to its response starting), median
and 95th percentile in milliseconds; the client's round trip is printed beside them.
The baseline is ``/static/style.css``, served by the same server in the same run.
The machine's load average (before and after each backend) and the CPU seconds the
server used are printed with the figures: on a shared machine they say how far to trust
them.
Goal: every route under 50 ms median and 150 ms at the 95th percentile.

Without ``--pg`` a throwaway PostgreSQL is started the way the tests start one (skipped,
with the reason, if none can start).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import httpx  # noqa: E402

from catalog.records import PaperView  # noqa: E402

CATALOG = str(Path(sys.executable).with_name("catalog"))
GOAL_MEDIAN, GOAL_P95 = 50.0, 150.0  # ms, server side, every route (issue 12 part 6)
TAGS = ["generative", "discrete", "robustness", "graphs", "theory", "rl", "nlp", "vision"]


def build_sessions(url: str, papers: list[PaperView], n: int, seed: int = 3) -> None:
    """``n`` weekly sessions of 6 talks (each about one random paper) by 150 presenters,
    inserted in bulk in one transaction."""
    from catalog.store.catalog import Catalog
    from catalog.store.models import Presentation, PresentationPaper, Presenter, Session
    from catalog.text import presenter_key

    rng = random.Random(seed)
    names = [f"Presenter{i:03d} {chr(65 + i % 26)}." for i in range(150)]
    start = date(2015, 1, 6)

    def work(s: Any) -> None:
        conn = s.connection()
        conn.execute(
            Presenter.__table__.insert(),  # type: ignore[attr-defined]
            [{"id": i + 1, "name": nm, "key": presenter_key(nm)} for i, nm in enumerate(names)],
        )
        sessions, talks, links = [], [], []
        for k in range(n):
            day = start + timedelta(weeks=k)
            slug = f"{day.isoformat()}-session{k:04d}"
            sessions.append(
                {
                    "id": k + 1, "slug": slug, "title": f"Session {k}: {rng.choice(TAGS)}",
                    "date": day, "term": f"{day.year}Reads", "layout": "post",
                    "categories": [f"{k % 9}Topic"], "tags": rng.sample(TAGS, 2), "extra": {},
                }
            )  # fmt: skip
            for position in range(1, 7):
                talk_id = len(talks) + 1
                paper = rng.choice(papers)
                talks.append(
                    {
                        "id": talk_id, "session_id": k + 1, "position": position,
                        "presenter_id": rng.randrange(len(names)) + 1, "title": paper.title,
                        "slides_url": f"https://example.org/slides/{slug}-{position}.pdf",
                        "link_url": f"https://arxiv.org/abs/{paper.arxiv_id}", "links": [],
                    }
                )  # fmt: skip
                links.append({"presentation_id": talk_id, "paper_id": paper.id, "position": 0})
        conn.execute(Session.__table__.insert(), sessions)  # type: ignore[attr-defined]
        conn.execute(Presentation.__table__.insert(), talks)  # type: ignore[attr-defined]
        conn.execute(PresentationPaper.__table__.insert(), links)  # type: ignore[attr-defined]

    catalog = Catalog.open(url)
    try:
        catalog.write(work)
    finally:
        catalog.close()


def _vacuum(url: str) -> None:
    """VACUUM ANALYZE after the bulk load: the state autovacuum brings a real database
    to (planner statistics, visibility map for index-only scans)."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def routes(papers: list[PaperView], n_sessions: int) -> list[tuple[str, str]]:
    """(label, path) of every route, with arguments that exist in the catalog."""
    rng = random.Random(7)
    paper = rng.choice(papers[:n_sessions])  # an id early enough to have been presented
    word = "diffusion"
    slug = f"{date(2015, 1, 6).isoformat()}-session0000"
    return [
        ("static file (baseline)", "/static/style.css"),
        ("/", "/"),
        ("/papers", "/papers"),
        ("/papers?page=1000", "/papers?page=1000"),
        (f"/papers?q={word}", f"/papers?q={word}"),
        ("/papers?q=2 words&year", "/papers?q=causal+kernel&year=2012"),
        ("/papers?tag=", "/papers?tag=graphs"),
        ("/papers?year=", "/papers?year=2017"),
        ("/papers/{id}", f"/papers/{paper.arxiv_id}"),
        ("/papers/{id}.bib", f"/papers/{paper.arxiv_id}.bib"),
        ("/papers/{unknown} (404)", "/papers/nosuchkey2020"),
        ("/sessions", "/sessions"),
        ("/sessions/{slug}", f"/sessions/{slug}"),
        ("/sessions/{slug}/post.md", f"/sessions/{slug}/post.md"),
        ("/presenters", "/presenters"),
        ("/presenters/{name}", "/presenters/Presenter007%20H."),
        ("/export.bib?session=", f"/export.bib?session={slug}"),
        ("/api/papers", "/api/papers"),
        (f"/api/papers?q={word}", f"/api/papers?q={word}"),
        ("/api/papers/{id}", f"/api/papers/{paper.arxiv_id}"),
        ("/api/sessions", "/api/sessions"),
        ("/api/sessions/{slug}", f"/api/sessions/{slug}"),
        ("/api/presenters", "/api/presenters"),
        ("/api/presenters/{name}", "/api/presenters/Presenter007%20H."),
        ("/api/docs", "/api/docs"),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = dict(os.environ, CATALOG_DB=url)
    server = subprocess.Popen(
        [CATALOG, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/static/style.css", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("catalog serve did not start") from None
                time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


_TIMING = re.compile(r"app;dur=([0-9.]+)")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu(url: str) -> dict[int, float]:
    """CPU seconds each PostgreSQL backend serving ``url``'s database has used, by
    process id (this machine's processes titled ``postgres: USER DATABASE ...``);
    none for SQLite."""
    if not url.startswith("postgresql"):
        return {}
    from sqlalchemy.engine import make_url

    title = f" {make_url(url).database} ".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            if cmdline.startswith(b"postgres: ") and title in cmdline + b" ":
                found[int(entry.name)] = _cpu_seconds(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return found


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two :func:`_database_cpu` readings (by the backends
    alive at the second; one that exited meanwhile is not counted)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def measure(
    base: str, path: str, requests: int, budget: float, pid: int, url: str
) -> tuple[list[float], list[float], int, float, float]:
    """Server-side and round-trip milliseconds of ``requests`` GETs after 3 warm-up
    ones; the status; the server process's CPU milliseconds per measured request (what
    a loaded machine stretches the least), and PostgreSQL's backends' for it. A route
    slower than ``budget`` seconds in all stops early (after one warm-up and one
    measured request at least)."""
    server_ms: list[float] = []
    client_ms: list[float] = []
    status = 0
    cpu_start = 0.0
    db_start: dict[int, float] = {}
    started = time.monotonic()
    warmups = 3
    with httpx.Client(base_url=base, timeout=600) as client:
        while len(client_ms) < requests:
            if client_ms and time.monotonic() - started > budget:
                break
            t0 = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            status = response.status_code
            if warmups and not (warmups < 3 and time.monotonic() - started > budget):
                warmups -= 1  # first imports, caches
                cpu_start, db_start = _cpu_seconds(pid), _database_cpu(url)
                continue
            found = _TIMING.search(response.headers.get("server-timing", ""))
            client_ms.append(elapsed)
            server_ms.append(float(found.group(1)) if found else float("nan"))
    cpu_ms = (_cpu_seconds(pid) - cpu_start) * 1000 / len(client_ms)
    db_ms = _used(db_start, _database_cpu(url)) * 1000 / len(client_ms)
    return server_ms, client_ms, status, cpu_ms, db_ms


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--pg", metavar="URL", help="a PostgreSQL server (superuser URL)")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument(
        "--pg-catalog",
        metavar="URL",
        help="measure this PostgreSQL catalog, built by an earlier run (not built, not dropped)",
    )
    ap.add_argument(
        "--budget", type=float, default=30, help="seconds per route at most (3 requests at least)"
    )
    ap.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the SQLite catalog in DIR and reuse it next time (it takes minutes to build)",
    )
    args = ap.parse_args()

    from bench_export import build_catalog, make_papers

    from tests.db_fixtures import PostgresUnavailable, external_server, start_postgres

    papers = make_papers(args.papers)
    results: dict[str, dict[str, tuple[list[float], list[float], int, float, float]]] = {}
    machine: dict[str, tuple[tuple[float, ...], tuple[float, ...], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        lite = folder / f"bench-{args.papers}-{args.sessions}.sqlite"
        reuse = args.keep is not None and lite.exists()
        backends: list[tuple[str, str]] = [("sqlite", f"sqlite:///{lite}")]
        server = None
        if args.pg_catalog:
            backends.append(("postgresql", args.pg_catalog))
        elif not args.sqlite_only:
            try:
                server = external_server(args.pg) if args.pg else start_postgres()
                backends.append(("postgresql", server.create_database()))
            except PostgresUnavailable as exc:
                print(f"PostgreSQL unavailable, SQLite only: {exc}", file=sys.stderr)
        try:
            for name, url in backends:
                if not (reuse and name == "sqlite") and not (args.pg_catalog and name != "sqlite"):
                    t0 = time.perf_counter()
                    build_catalog(url, papers)
                    build_sessions(url, papers, args.sessions)
                    if name == "postgresql":
                        _vacuum(url)
                    took = time.perf_counter() - t0
                    print(f"{name}: catalog built in {took:.1f} s", file=sys.stderr)
                load_before = os.getloadavg()
                cpu_before = _children_cpu()
                with served(url) as (base, pid):
                    results[name] = {}
                    for label, path in routes(papers, args.sessions):
                        found = results[name][label] = measure(
                            base, path, args.requests, args.budget, pid, url
                        )
                        print(
                            f"{name}: {label}: median {statistics.median(found[0]):.1f} ms, "
                            f"p95 {p95(found[0]):.1f} ms, CPU {found[3]:.1f} ms "
                            f"+ database {found[4]:.1f} ms (n={len(found[0])})",
                            file=sys.stderr,
                        )
                machine[name] = (load_before, os.getloadavg(), _children_cpu() - cpu_before)
        finally:
            if server is not None:
                from tests.db_fixtures import stop_postgres

                stop_postgres(server)
    print(
        f"catalog serve, {args.papers} papers, {args.sessions} sessions; up to {args.requests} "
        f"requests per route (n: how many); server-side ms (round trip in brackets), the "
        f"server's CPU ms per request (db: PostgreSQL's backends'); goal < {GOAL_MEDIAN:.0f} "
        f"median, < {GOAL_P95:.0f} p95 "
        "(goal: ok or MISS, per backend)"
    )
    header = f"{'route':30}"
    for name in results:
        header += f"{name + ' median':>22}{'p95':>16}{'cpu':>6}"
        header += f"{'db':>5}" if name == "postgresql" else ""
        header += f"{'n':>4}{'goal':>5}"
    print(header)
    labels = list(next(iter(results.values())))
    for label in labels:
        line = f"{label:30}"
        for name in results:
            server_ms, client_ms, status, cpu_ms, db_ms = results[name][label]
            mark = "" if status < 400 or "404" in label else f" !{status}"
            line += f"{statistics.median(server_ms):10.1f} ({statistics.median(client_ms):7.1f})"
            line += f"{p95(server_ms):8.1f} ({p95(client_ms):6.1f}){cpu_ms:6.1f}"
            line += f"{db_ms:5.1f}" if name == "postgresql" else ""
            met = statistics.median(server_ms) < GOAL_MEDIAN and p95(server_ms) < GOAL_P95
            line += f"{len(server_ms):4}{'ok' if met else 'MISS':>5}{mark}"
        print(line)
    for name, (before, after, cpu) in machine.items():
        print(
            f"{name}: load average {_load(before)} before, {_load(after)} after "
            f"({os.cpu_count()} cores); server CPU {cpu:.1f} s"
        )


def _children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far: the
    servers, once stopped."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()

"""Benchmark ``catalog check``: the pre-commit case on the command line, then throughput.

Run: ``.venv/bin/python benchmarks/bench_check.py [--posts N] [--rows N] [--runs N]
[--cli-runs N] [--no-throughput]``.

1. The command line, start-up included, beside ``python -c pass`` measured in the same
   run (medians of ``--cli-runs``, wall and CPU; goals: one post under 0.15 s without a
   catalog database and under 0.3 s with one, a 127-post site under 0.3 s). The site
   is 127 posts of 3 to 9 rows, one in ten with its references rotated; "with a
   catalog" is a SQLite catalog that holds the posts' papers as synced from arXiv (so
   every row is looked up and compared). The commands run with bytecode caching on
   (in a temporary cache), as an installed ``catalog`` does. Where there are two CPUs,
   ``catalog check`` shares the site without a catalog with a second process: its CPU
   figure is both processes' (children are counted once waited for).
2. Throughput, in this process: parse + check of ``--posts`` generated posts of
   ``--rows`` rows (goal: 1,000 x 10 under 5 s, one core), timed separately.

Posts look like real ones (front matter, a table with authors and venues in the title
cells, ``<sub><sup>`` footnotes with ~150-word abstracts); for throughput, every other
post has its footnotes rotated so the matcher has work to do.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from catalog.check import check_post
from catalog.posts import Post, read_post

WORDS = (
    "learning neural network deep generative adversarial variational inference graph "
    "attention transformer robust sparse efficient stochastic gradient optimization "
    "representation latent discrete continuous policy reinforcement bayesian kernel "
    "convolutional recurrent memory program synthesis search architecture meta few shot "
    "contrastive self supervised diffusion flow energy causal fairness privacy federated"
).split()
FIRST = "Ann Bo Chen Dana Eli Fay Gus Hana Ivan Jun Kai Lena Max Nia Omar Pia".split()
LAST = "Lee Kim Wong Smith Garcia Novak Rossi Ito Khan Silva Meyer Dubois Costa".split()
VENUES = ["ICML18", "ICLR 2019", "NeurIPS 2018", "arxiv 2017", "AAAI-19"]


def title(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(4, 9))
    return " ".join(w.capitalize() if i == 0 or rng.random() < 0.6 else w
                    for i, w in enumerate(words))


def authors(rng: random.Random) -> str:
    return ", ".join(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 5)))


def abstract(rng: random.Random) -> str:
    sentences = []
    for _ in range(8):
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def make_post(rng: random.Random, n: int, rows: int, rotated: bool | None = None) -> str:
    titles = [title(rng) for _ in range(rows)]
    order = list(range(rows))
    if n % 2 if rotated is None else rotated:
        order = order[1:] + order[:1]  # footnote k is about paper k+1: a rotation
    lines = [
        "---", "layout: post", f"title: Session {n}", "desc: 2019-team", "term: 2019Reads",
        "categories: 5Generative", "tags:", "- generated", "---", "",
        "| Presenter | Papers | Paper URL | Our Slides |", "| --- | --- | --- | --- |",
    ]
    for i, t in enumerate(titles):
        lines.append(
            f"| {rng.choice(FIRST)} | {t}, {authors(rng)} [^{i + 1}] | "
            f"[PDF](https://arxiv.org/abs/18{n % 12 + 1:02d}.{n * rows + i:05d}) | "
            f"[PDF]({{{{site.baseurl}}}}/talks/{n}-{i}.pdf) |"
        )
    lines.append("")
    for k, paper in enumerate(order, start=1):
        lines.append(
            f"[^{k}]: <sub><sup> {titles[paper]}, {authors(rng)} / {rng.choice(VENUES)} / "
            f"{abstract(rng)} </sup></sub>"
        )
        lines.append("")
    return "\n".join(lines)


SITE_POSTS = 127


def run_cli(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``, CPU as the child used it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def make_site(rng: random.Random, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n in range(SITE_POSTS):
        path = folder / f"2019-{n % 12 + 1:02d}-{n % 28 + 1:02d}-session{n:03d}.md"
        path.write_text(make_post(rng, n, rng.randint(3, 9), rotated=n % 10 == 0),
                        encoding="utf-8")
        paths.append(path)
    return paths


def synced_catalog(catalog: str, db: Path, site: Path, env: dict[str, str]) -> None:
    """A catalog holding the site's papers, marked as synced from arXiv (not timed)."""
    subprocess.run([catalog, "--db", str(db), "import", str(site)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE paper SET synced_at = created_at WHERE arxiv_id IS NOT NULL")


def cli_benchmark(runs: int) -> None:
    catalog = str(Path(sys.executable).parent / "catalog")
    rng = random.Random(20180731)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env.pop("CATALOG_DB", None)
        site = Path(tmp) / "_posts"
        posts = make_site(rng, site)
        one = posts[1]  # a post whose references are right, as most are
        no_db = Path(tmp) / "none.sqlite"
        db = Path(tmp) / "catalog.sqlite"
        synced_catalog(catalog, db, site, env)
        cases = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
            ("catalog --help", [catalog, "--help"], None),
            ("check 1 post, no catalog", [catalog, "--db", str(no_db), "check", str(one)], 0.15),
            ("check 1 post, catalog", [catalog, "--db", str(db), "check", str(one)], 0.30),
            (f"check {SITE_POSTS} posts, no catalog",
             [catalog, "--db", str(no_db), "check", str(site)], 0.30),
            (f"check {SITE_POSTS} posts, catalog",
             [catalog, "--db", str(db), "check", str(site)], None),
        ]
        for _, cmd, _ in cases:
            run_cli(cmd, env)  # warm-up: fills the bytecode cache and the page cache
        load_before = os.getloadavg()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in cases}
        for _ in range(runs):  # interleaved, so that a busy moment hits every case alike
            for name, cmd, _ in cases:
                samples[name].append(run_cli(cmd, env))
        assert not no_db.exists(), "check created a catalog"
        load_after = os.getloadavg()
    print(f"catalog check on the command line, median of {runs} runs "
          f"({SITE_POSTS}-post site: 3-9 rows per post, one post in ten rotated)")
    # On a shared machine, wall time is only as good as the load it was measured under.
    print(f"  load average (1, 5, 15 min) {_load(load_before)} before, "
          f"{_load(load_after)} after; {os.cpu_count()} CPUs")
    for name, _, goal in cases:
        wall = statistics.median(w for w, _ in samples[name])
        cpu = statistics.median(c for _, c in samples[name])
        target = f"   goal < {goal:.2f} s" if goal else ""
        print(f"  {name:32} wall {wall:6.3f} s   cpu {cpu:6.3f} s{target}")


def _load(avg: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in avg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cli-runs", type=int, default=11)
    ap.add_argument("--no-throughput", action="store_true",
                    help="only the command-line figures")
    args = ap.parse_args()

    cli_benchmark(args.cli_runs)
    if args.no_throughput:
        return
    print()
    throughput(args)


def throughput(args: argparse.Namespace) -> None:
    rng = random.Random(20180731)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.posts):
            path = Path(tmp) / f"2019-01-01-post{n:04d}.md"
            path.write_text(make_post(rng, n, args.rows), encoding="utf-8")
            paths.append(path)
        check_post(read_post(paths[1]))  # warm-up: imports (rapidfuzz, yaml)

        # (wall, cpu) seconds per run; CPU time is what one core spends, and stays
        # meaningful on a busy machine where wall time does not.
        parse_t: list[tuple[float, float]] = []
        check_t: list[tuple[float, float]] = []
        findings = 0
        for _ in range(args.runs):
            w0, c0 = time.perf_counter(), time.process_time()
            posts: list[Post] = [read_post(p) for p in paths]
            w1, c1 = time.perf_counter(), time.process_time()
            findings = sum(len(check_post(p)) for p in posts)
            w2, c2 = time.perf_counter(), time.process_time()
            parse_t.append((w1 - w0, c1 - c0))
            check_t.append((w2 - w1, c2 - c1))

    n = args.posts
    print(f"{n} posts x {args.rows} rows, median of {args.runs} runs (goal: total < 5 s)")
    totals = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(parse_t, check_t, strict=True)]
    for name, runs in (("parse", parse_t), ("check", check_t), ("total", totals)):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"  {name}: wall {wall:6.3f} s ({wall / n * 1000:5.2f} ms/post)   "
              f"cpu {cpu:6.3f} s ({cpu / n * 1000:5.2f} ms/post)")
    print(f"  findings per run: {findings} (rotated posts: {n // 2})")


if __name__ == "__main__":
    main()

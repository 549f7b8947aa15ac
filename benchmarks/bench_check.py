"""Benchmark: parse + check 1,000 generated posts of 10 rows each (goal: under 5 s, one core).

Run: ``.venv/bin/python benchmarks/bench_check.py [--posts N] [--rows N] [--runs N]``.
Posts are written to a temporary folder, look like real ones (front matter, a table with
authors and venues in the title cells, ``<sub><sup>`` footnotes with ~150-word abstracts)
and have their footnotes rotated in every other post so the matcher has work to do.
Parse (read from disk) and check are timed separately; medians of the runs are printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
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


def make_post(rng: random.Random, n: int, rows: int) -> str:
    titles = [title(rng) for _ in range(rows)]
    order = list(range(rows))
    if n % 2:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    rng = random.Random(20180731)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.posts):
            path = Path(tmp) / f"2019-01-01-post{n:04d}.md"
            path.write_text(make_post(rng, n, args.rows), encoding="utf-8")
            paths.append(path)
        check_post(read_post(paths[1]))  # warm-up: imports (scipy, rapidfuzz, yaml)

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

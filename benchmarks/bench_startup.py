"""How fast `catalog --help` starts, beside a bare Python start-up in the same run.

    .venv/bin/python benchmarks/bench_startup.py [--runs 21]

Goal: `catalog --help` well under half a second (heavy modules are imported lazily).
Prints medians; also lists which heavy modules `catalog --help` imported (should be none).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = ("sqlalchemy", "sqlmodel", "httpx", "feedparser", "bibtexparser", "scipy", "rapidfuzz",
         "yaml", "alembic", "pydantic")


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    catalog = str(BIN / "catalog")
    rows = [
        ("python -c pass (baseline)", timed([sys.executable, "-c", "pass"], args.runs)),
        ("python -c 'import click'", timed([sys.executable, "-c", "import click"], args.runs)),
        ("catalog --version", timed([catalog, "--version"], args.runs)),
        ("catalog --help", timed([catalog, "--help"], args.runs)),
        ("catalog export --help", timed([catalog, "export", "--help"], args.runs)),
    ]
    print(f"start-up, median of {args.runs} runs")
    for name, seconds in rows:
        print(f"  {name:30} {seconds * 1000:7.1f} ms")
    probe = (
        "import sys; sys.argv=['catalog','--help']\n"
        "from catalog.cli.main import cli\n"
        "try:\n    cli()\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    print(f"  heavy modules imported by --help: {out.stderr.strip() or 'none'}")


if __name__ == "__main__":
    main()

"""Big exports are rendered in forked workers: the output must be byte for byte what one
process writes, whatever the number of workers, the output target, or a failing worker."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from catalog.exporters import EXPORTERS, ExportOptions, parallel
from catalog.exporters.parallel import map_parts, worker_count, write_parts
from catalog.records import PaperView
from tests.fixtures.papers import ALL_PAPERS

# pytest-xdist runs tests beside threads; Python 3.12+ warns about forking then. The
# children here only compute and write their own file.
pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*:DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent


def many_papers(copies: int = 12) -> list[PaperView]:
    """The fixture papers (every special case) many times over, each copy its own paper."""
    papers = []
    for n in range(copies):
        for p in ALL_PAPERS:
            papers.append(
                replace(
                    p,
                    id=len(papers) + 1,
                    arxiv_id=f"{p.arxiv_id}{n}" if p.arxiv_id else None,
                    citation_key=f"{p.citation_key}{n}" if p.citation_key else None,
                )
            )
    return papers


def render(start: int, end: int) -> str:
    """The text of items start..end-1; render(0, n) is what any split must add up to."""
    return "|".join(f"<{i}>" for i in range(start, end))


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
@pytest.mark.parametrize("count", [0, 1, 5, 23])
def test_write_parts_is_the_serial_text(workers: int, count: int) -> None:
    out = io.StringIO()
    write_parts(count, render, out, joiner="|", chunk=4, workers=workers)
    assert out.getvalue() == render(0, count)


def test_write_parts_into_a_real_file_copies_the_childrens_bytes(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with open(target, "w", encoding="utf-8") as out:
        out.write("head:")
        write_parts(50, lambda s, e: "é|".join(f"{i}" for i in range(s, e)), out,
                    joiner="é|", chunk=3, workers=3)  # fmt: skip
        out.write(":tail")
    assert target.read_text(encoding="utf-8") == "head:" + "é|".join(map(str, range(50))) + ":tail"


def test_a_failing_worker_costs_time_not_output() -> None:
    parent = os.getpid()
    calls: list[tuple[int, int]] = []

    def fragile(start: int, end: int) -> str:
        if os.getpid() != parent:
            raise RuntimeError("worker dies")
        calls.append((start, end))
        return render(start, end)

    out = io.StringIO()
    write_parts(30, fragile, out, joiner="|", chunk=100, workers=3)
    assert out.getvalue() == render(0, 30)
    assert calls == [(0, 10), (10, 20), (20, 30)]  # the parent did the workers' parts too


def test_map_parts_keeps_order_and_survives_a_failing_worker() -> None:
    squares = map_parts(101, lambda s, e: [i * i for i in range(s, e)], workers=3)
    assert squares == [i * i for i in range(101)]
    parent = os.getpid()

    def fragile(start: int, end: int) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)
        return list(range(start, end))

    assert map_parts(10, fragile, workers=2) == list(range(10))


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)
    assert worker_count(parallel.MIN_PARALLEL - 1) == 1  # small exports: no fork
    cores = len(os.sched_getaffinity(0))
    assert worker_count(parallel.MIN_PARALLEL) == cores
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert worker_count(10**6) == 1
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert worker_count(10) == 3  # asked for: even a small export
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    assert worker_count(10**6) == 1  # never fork a threaded process


@pytest.mark.parametrize("fmt", ["bibtex", "json", "csl"])
@pytest.mark.parametrize("abstracts", [False, True])
def test_exporters_write_the_same_text_with_workers(
    fmt: str, abstracts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = many_papers()
    options = ExportOptions(abstracts=abstracts)

    def export_with(workers: int) -> str:
        monkeypatch.setattr(parallel, "worker_count", lambda count: workers)
        out = io.StringIO()
        EXPORTERS[fmt]([replace(p) for p in papers], [], out, options)
        return out.getvalue()

    serial = export_with(1)
    assert serial.count("\n") > len(papers)
    assert export_with(2) == serial
    assert export_with(3) == serial


def test_cli_export_with_workers_matches_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real command in its own process (one thread, so the workers really fork)."""
    db = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    catalog = [sys.executable, "-m", "catalog", "--db", db]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*catalog, "import", str(ROOT / "examples" / "_posts")], check=True, env=env,
                   capture_output=True)  # fmt: skip
    for fmt in ("bibtex", "json"):
        outputs = []
        for workers in ("1", "3"):
            target = tmp_path / f"{fmt}-{workers}.out"
            subprocess.run(
                [*catalog, "export", fmt, "-o", str(target)],
                check=True,
                env={**env, parallel.WORKERS_ENV: workers},
                capture_output=True,
            )
            outputs.append(target.read_bytes())
        assert outputs[0] == outputs[1] and len(outputs[0]) > 1000

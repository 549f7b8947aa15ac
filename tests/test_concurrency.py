"""Several processes writing the same papers at once, on SQLite and PostgreSQL.

Eight worker processes (tests/concurrency_worker.py) are released together from a
barrier and upsert an overlapping set of papers in short transactions. Afterwards the
catalog holds exactly one row per paper, author and authorship, nothing written is
missing, and no worker failed or printed "locked".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from catalog.store.catalog import Catalog
from catalog.store.migrate import HEAD, current_revision
from catalog.store.models import Abstract, Author, Paper, PaperAuthor, PaperVersion
from tests.concurrency_worker import expected_numbers, record

WORKERS = 8
WORKER_SCRIPT = Path(__file__).with_name("concurrency_worker.py")
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run_together(commands: list[list[str]], timeout: float = 600) -> list[tuple[int, str, str]]:
    """Start every command, wait until each has printed ``ready``, release them at once."""
    procs = [
        subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for cmd in commands
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        for proc in procs:  # the barrier: every worker is waiting on this line
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            results.append((proc.returncode, out, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def check_catalog(url: str) -> None:
    numbers = expected_numbers(WORKERS)
    with Catalog.open(url, migrate=False) as catalog:
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        with catalog.read() as s:
            ids = [str(i) for (i,) in s.execute(select(col(Paper.arxiv_id)))]
            assert sorted(ids) == sorted(record(n).arxiv_id for n in numbers)  # one each
            names = [n for (n,) in s.execute(select(col(Author.name)))]
            assert len(names) == len(set(names))
            wanted_names = {a for n in numbers for a in record(n).authors}
            assert set(names) == wanted_names
            authorships = s.execute(select(func.count()).select_from(PaperAuthor)).scalar_one()
            assert authorships == sum(len(record(n).authors) for n in numbers)
            abstracts = s.execute(select(func.count()).select_from(Abstract)).scalar_one()
            assert abstracts == len(numbers)
            versions = s.execute(select(func.count()).select_from(PaperVersion)).scalar_one()
            assert versions == sum(1 if record(n).version == 1 else 2 for n in numbers)
        papers = {p.arxiv_id: p for p in catalog.list_papers()}
        for n in numbers:
            rec = record(n)
            view = papers[rec.arxiv_id]
            assert (view.title, view.authors, view.version, view.abstract) == (
                rec.title,
                list(rec.authors),
                rec.version,
                rec.abstract,
            )
        # The search index saw every write too.
        found = catalog.search("relaxations", limit=None)
        assert {p.arxiv_id for p in found.papers} == set(papers) and found.total == len(papers)


@pytest.mark.parametrize("fresh", [True, False], ids=["new-db", "migrated-db"])
def test_concurrent_upserts(db_url: str, fresh: bool) -> None:
    if not fresh:
        Catalog.open(db_url).close()
    commands = [[sys.executable, str(WORKER_SCRIPT), db_url, str(w)] for w in range(WORKERS)]
    results = run_together(commands)
    for code, out, err in results:
        assert "locked" not in err.lower() and "locked" not in out.lower(), err
        assert code == 0, err
        assert out.startswith("done"), (out, err)
    check_catalog(db_url)


CLI_SCRIPT = """
import sys
from click.testing import CliRunner  # noqa: F401  (imported before the barrier: startup)
from catalog.cli.main import cli
print("ready", flush=True)
sys.stdin.readline()
for args in (["db", "upgrade"], ["list"], ["search", "relax"], ["db", "info"]):
    code = cli.main(args, prog_name="catalog", standalone_mode=False)
    if code:
        sys.exit(code)
"""


def test_concurrent_cli_upgrade(db_url: str) -> None:
    """Eight ``catalog`` processes upgrading a brand-new database and reading it at once."""
    commands = [[sys.executable, "-c", CLI_SCRIPT] for _ in range(WORKERS)]
    results = run_together(commands)
    for code, out, err in results:
        assert "locked" not in err.lower(), err
        assert code == 0, err
        assert "papers:     0" in out, out
    with Catalog.open(db_url, migrate=False) as catalog, catalog.engine.connect() as conn:
        assert current_revision(conn) == HEAD

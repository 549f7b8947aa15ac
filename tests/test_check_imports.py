"""``catalog check`` of a post imports only what the post needs (pre-commit start-up):
no ORM for the catalog's lookups, the fuzzy matcher only when titles differ, scipy only
for an assignment too large for the built-in solver, PyYAML only for front matter
beyond plain text, and of the command modules only the one of ``check``. Speed itself is measured by
benchmarks/bench_check.py, not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLEAN = REPO / "examples" / "_posts" / "2018-07-31-generative.md"
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "scipy", "numpy", "rapidfuzz",
         "httpx", "yaml")  # (plain front matter is read without PyYAML)

PROBE = """
import sys
from catalog.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
commands = sorted(m for m in sys.modules
                  if m.startswith("catalog.cli.") and m not in {always!r})
print(code, ",".join([m for m in {heavy!r} if m in sys.modules] + commands), file=sys.stderr)
"""
# What every command loads: the group, its context and output helpers.
ALWAYS = ("catalog.cli.main", "catalog.cli.context", "catalog.cli.output")


def imported(*args: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, always=ALWAYS), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )
    code, _, modules = done.stderr.strip().splitlines()[-1].partition(" ")
    return code, {m for m in modules.split(",") if m}


@pytest.fixture
def catalog_db(tmp_path: Path) -> Path:
    db = tmp_path / "catalog.sqlite"
    assert subprocess.run(
        [sys.executable, "-m", "catalog", "--db", str(db), "import", str(CLEAN)],
        capture_output=True, check=False,
    ).returncode == 0
    return db


def test_a_clean_post_without_a_catalog(tmp_path: Path) -> None:
    """No heavy library, and of the command modules only the one of `check`."""
    code, modules = imported("--db", str(tmp_path / "none.sqlite"), "check", str(CLEAN))
    assert (code, modules) == ("0", {"catalog.cli.posts"})
    assert not (tmp_path / "none.sqlite").exists()


def test_a_clean_post_with_a_catalog(catalog_db: Path) -> None:
    assert imported("--db", str(catalog_db), "check", str(CLEAN)) == ("0", {"catalog.cli.posts"})


def test_a_rotated_post_needs_the_matcher_but_not_scipy(tmp_path: Path) -> None:
    post = tmp_path / "2018-07-31-rotated.md"
    lines = CLEAN.read_text(encoding="utf-8").split("\n")
    swap = {"[^1]": "[^2]", "[^2]": "[^1]"}
    for k, line in enumerate(lines):  # the rows' references, not the definitions
        if line.startswith("| ") and any(label in line for label in swap):
            old = next(label for label in swap if label in line)
            lines[k] = line.replace(old, swap[old])
    post.write_text("\n".join(lines), encoding="utf-8")
    code, modules = imported("--db", str(tmp_path / "none.sqlite"), "check", str(post))
    assert (code, modules) == ("1", {"rapidfuzz", "catalog.cli.posts"})

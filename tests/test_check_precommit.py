"""The repository's ``.pre-commit-hooks.yaml`` runs ``catalog check`` the way pre-commit
would: the hook's entry and arguments, then the changed files its ``files`` pattern and
``types`` select, in a real process."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_posts_parse import FIXTURES

REPO = Path(__file__).resolve().parents[1]
HOOKS: list[dict[str, Any]] = yaml.safe_load(
    (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def hook(hook_id: str) -> dict[str, Any]:
    return next(h for h in HOOKS if h["id"] == hook_id)


def catalog_command() -> list[str]:
    script = Path(sys.executable).with_name("catalog")
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalog"]


def run_hook(hook_id: str, site: Path, changed: list[str]) -> subprocess.CompletedProcess[str]:
    """What pre-commit runs for ``hook_id`` when a commit changes ``changed``."""
    h = hook(hook_id)
    assert h["language"] == "python" and h["types"] == ["text"]
    pattern = re.compile(h["files"])
    files = [f for f in changed if pattern.search(f)]
    entry = h["entry"].split()
    assert entry[:2] == ["catalog", "check"]
    argv = [*catalog_command(), *entry[1:], *h.get("args", []), *files]
    return subprocess.run(argv, cwd=site, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    posts = tmp_path / "_posts"
    posts.mkdir()
    shutil.copy(FIXTURES / "2019-01-15-swap.md", posts / "2019-01-15-swap.md")
    shutil.copy(FIXTURES / "2019-02-12-cells.md", posts / "2019-02-12-cells.md")
    shutil.copy(FIXTURES / "2019-03-26-url-duplicate.md", posts / "2019-03-26-old.md")
    (tmp_path / "README.md").write_text("# A site\n")
    (tmp_path / "catalog.toml").write_text('exclude = ["_posts/2019-03-*"]\n')
    return tmp_path


CHANGED = ["README.md", "_posts/2019-01-15-swap.md", "_posts/2019-02-12-cells.md",
           "_posts/2019-03-26-old.md"]


def test_the_hook_checks_the_changed_posts_and_honours_exclude(site: Path) -> None:
    done = run_hook("catalog-check", site, CHANGED)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 problems (2 errors, 0 warnings) in 2 files"
    assert all(ln.startswith("_posts/2019-01-15-swap.md:") for ln in lines[:-1])
    clean = run_hook("catalog-check", site, ["_posts/2019-02-12-cells.md", "README.md"])
    assert clean.returncode == 0 and clean.stdout == "0 problems (0 errors, 0 warnings) in 1 file\n"


def test_the_fix_hook_rewrites_the_references(site: Path) -> None:
    assert hook("catalog-check-fix")["stages"] == ["manual"]
    done = run_hook("catalog-check-fix", site, CHANGED)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "fixed _posts/2019-01-15-swap.md\n"
    assert run_hook("catalog-check", site, CHANGED).returncode == 0
    # The excluded post was left as it was.
    assert (site / "_posts" / "2019-03-26-old.md").read_bytes() == (
        FIXTURES / "2019-03-26-url-duplicate.md").read_bytes()

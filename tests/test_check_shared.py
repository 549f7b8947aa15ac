"""``catalog check`` of many posts shares them with a second process; the report is the
one a single process makes, unreadable posts included, and when the second process
cannot be had or fails, the first checks its posts itself."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.check import runner
from catalog.check.config import Resolver
from catalog.check.report import render
from catalog.check.runner import PARALLEL_MIN_POSTS, Outcome, discover, run_check
from catalog.cli.main import cli

FIXTURES = Path(__file__).parent / "fixtures" / "posts"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Twice the fixture posts (more than PARALLEL_MIN_POSTS), and two files that cannot
    be read near the end, so that they fall to the second process."""
    folder = tmp_path / "_posts"
    folder.mkdir()
    for copy in ("a", "b"):
        for post in sorted(FIXTURES.glob("*.md")):
            shutil.copy(post, folder / f"{post.stem}-{copy}.md")
    (folder / "2099-01-01-zz-binary.md").write_bytes(b"---\ntitle: x\n---\n\0\0")
    (folder / "2099-01-02-zz-latin1.md").write_bytes(b"caf\xe9\n")
    assert len(list(folder.glob("*.md"))) >= PARALLEL_MIN_POSTS
    return folder


def outcome(site: Path, *, share: bool) -> Outcome:
    resolver = Resolver()
    return run_check(discover([site], resolver), resolver, share=share)


def test_a_shared_run_reports_what_one_process_reports(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = []
    fork = os.fork

    def counted() -> int:
        forks.append(1)
        return fork()

    monkeypatch.setattr(runner, "_cpus", lambda: 2)
    monkeypatch.setattr(os, "fork", counted)
    shared = outcome(site, share=True)
    assert forks == [1]
    alone = outcome(site, share=False)
    assert shared == alone
    assert [u.path for u in shared.report.unreadable] == [
        str(site / "2099-01-01-zz-binary.md"), str(site / "2099-01-02-zz-latin1.md")]
    assert len(shared.report.findings) > 20
    for fmt in ("text", "json", "sarif"):
        assert render(shared.report, fmt) == render(alone.report, fmt)


def test_without_fork_the_run_is_checked_in_one_process(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(runner, "_cpus", lambda: 2)
    monkeypatch.setattr(os, "fork", no_fork)
    assert outcome(site, share=True) == outcome(site, share=False)


def test_when_the_second_process_fails_the_first_checks_its_posts(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_obj: object) -> bytes:
        raise MemoryError

    monkeypatch.setattr(runner, "_cpus", lambda: 2)
    monkeypatch.setattr(pickle, "dumps", broken)  # in the second process too
    assert outcome(site, share=True) == outcome(site, share=False)


def test_the_command_line_shares_and_reports_the_same(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "_cpus", lambda: 2)
    args = ["--db", str(tmp_path / "none.sqlite"), "check", str(site), "--output-format", "json"]
    shared = CliRunner().invoke(cli, args)
    monkeypatch.setattr(runner, "PARALLEL_MIN_POSTS", 10**9)
    alone = CliRunner().invoke(cli, args)
    assert (shared.exit_code, shared.stdout) == (alone.exit_code, alone.stdout)
    assert shared.exit_code == 2  # the two unreadable posts

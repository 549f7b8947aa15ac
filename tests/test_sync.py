"""`catalog sync` through the real entry point (CliRunner, or a subprocess where it must be
killed), against the loopback arXiv stand-in and a real SQLite file (CATALOG_DB, set by
conftest). Timing is only ever asserted as lower bounds read from the server's log."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.cli.sync import _Progress
from catalog.store.catalog import Catalog, utcnow
from catalog.store.models import Paper
from catalog.sync import SyncProgress
from catalog.text import title_key
from tests.arxiv_server import ArxivStandIn, LoggedRequest, synthetic_papers

REPO = Path(__file__).resolve().parents[1]
GENERATIVE_POST = REPO / "examples" / "_posts" / "2018-07-31-generative.md"
THOUSAND = [f"2101.{i:05d}" for i in range(1, 1001)]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite"


def seed(db: Path | str, ids: Iterable[str]) -> None:
    """Catalogue ``ids`` as papers known only by id (as a post import leaves them): no
    authors, a placeholder title, never synced. Store-level inserts: fast for thousands."""
    now = utcnow()
    rows = [
        {
            "arxiv_id": i,
            "title": f"placeholder {i}",
            "title_key": title_key(f"placeholder {i}"),
            "categories": [],
            "extra_fields": {},
            "sync_source": "post",
            "created_at": now,
        }
        for i in ids
    ]
    with Catalog.open(str(db)) as catalog:
        catalog.write(lambda s: s.execute(Paper.__table__.insert(), rows))  # type: ignore[attr-defined]


def seed_thousand(server: ArxivStandIn, db: Path) -> None:
    server.add_papers(synthetic_papers(1000))
    seed(db, THOUSAND)


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def synced_ids(db: Path) -> set[str]:
    return {str(a) for (a,) in query(db, "SELECT arxiv_id FROM paper WHERE synced_at IS NOT NULL")}


def asked(log: list[LoggedRequest]) -> list[str]:
    return [i for r in log for i in r.ids]


def assert_filled_like_arxiv(db: Path, server: ArxivStandIn, ids: list[str]) -> None:
    """Every paper once, whole: arXiv's title, authors in order, abstract, version rows."""
    rows = query(db, "SELECT id, arxiv_id, title, version, synced_at FROM paper")
    assert sorted(str(r[1]) for r in rows) == sorted(ids)  # no duplicate, none lost
    for pid, arxiv_id, title, version, synced_at in rows:
        paper = server.corpus[str(arxiv_id)]
        assert title == paper.title
        assert version == paper.version
        assert synced_at is not None
        authors = query(
            db,
            "SELECT a.name FROM paper_author pa JOIN author a ON a.id = pa.author_id "
            "WHERE pa.paper_id = ? ORDER BY pa.position",
            pid,
        )
        assert [a for (a,) in authors] == [name for name, _ in paper.authors]
        abstract = query(
            db, "SELECT text FROM abstract WHERE paper_id = ? AND source = 'arxiv'", pid
        )
        assert [t for (t,) in abstract] == [" ".join(paper.abstract.split())]
        versions = [v for (v,) in query(
            db, "SELECT version FROM paper_version WHERE paper_id = ? ORDER BY version", pid
        )]
        assert versions[-1] == paper.version and versions[0] == 1


# --- batching and politeness ------------------------------------------------------------------


def test_thousand_papers_in_few_requests_spaced_by_the_delay(
    arxiv_server: ArxivStandIn, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", "0.05")
    seed_thousand(arxiv_server, db)

    result = run("sync")

    assert result.exit_code == 0, result.output
    log = arxiv_server.log
    assert len(log) <= 10
    assert all(len(r.ids) >= 100 and r.method == "POST" for r in log)
    assert sorted(asked(log)) == THOUSAND  # each id asked once
    gaps = [b.time - a.time for a, b in zip(log, log[1:], strict=False)]
    assert min(gaps) >= 0.05
    assert_filled_like_arxiv(db, arxiv_server, THOUSAND)
    assert "sync done: 1000 of 1000 papers synced" in result.stdout
    assert "filled      1000" in result.stdout
    # Plain progress lines on stderr (not a terminal), one per batch.
    assert [line for line in result.stderr.splitlines() if "batch" in line] == [
        line for line in result.stderr.splitlines() if line.startswith("sync: batch ")
    ]
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("sync: batch ")]) == 5


def test_one_request_at_a_time(arxiv_server: ArxivStandIn, db: Path) -> None:
    # The first answer takes 0.3 s, far more than the 0.01 s delay: the second request can
    # only arrive that late if it waited for the first answer (no parallel connection).
    arxiv_server.add_papers(synthetic_papers(30))
    seed(db, list(synthetic_papers(30)))
    arxiv_server.script("slow:0.3")

    result = run("sync", "--batch-size", "10")

    assert result.exit_code == 0, result.output
    log = sorted(arxiv_server.log, key=lambda r: r.time)
    assert len(log) == 3
    assert log[1].time - log[0].time >= 0.3


def test_second_sync_right_after_makes_no_request(arxiv_server: ArxivStandIn, db: Path) -> None:
    arxiv_server.add_papers(synthetic_papers(250))
    seed(db, list(synthetic_papers(250)))
    assert run("sync").exit_code == 0
    arxiv_server.clear_log()

    again = run("sync")

    assert again.exit_code == 0, again.output
    assert arxiv_server.log == []
    assert "nothing to sync" in again.stdout


def test_dry_run_makes_no_request_and_counts_them(arxiv_server: ArxivStandIn, db: Path) -> None:
    seed_thousand(arxiv_server, db)

    text = run("sync", "--dry-run")
    data = json.loads(run("sync", "--all", "--dry-run", "--format", "json").stdout)

    assert text.exit_code == 0, text.output
    assert "for 1000 papers in 5 requests" in text.stdout
    assert "1000 never synced" in text.stdout
    assert data["requests"] == 5 and data["papers"] == 1000 and data["batch_size"] == 200
    assert sorted(data["ids"]) == THOUSAND
    assert "2 requests" in run("sync", "--dry-run", "--batch-size", "999").stdout
    assert arxiv_server.log == []
    assert synced_ids(db) == set()


# --- faults -----------------------------------------------------------------------------------


def test_chaos_three_runs_at_most_fill_every_paper(arxiv_server: ArxivStandIn, db: Path) -> None:
    seed_thousand(arxiv_server, db)
    # With this seed (and today's client: 5 attempts, 2 re-asks of empty answers) the first
    # run loses two batches to 503/truncated answers and the second run finishes.
    arxiv_server.set_chaos(seed=315, fail_503_rate=0.3, truncated_rate=0.1, empty_rate=0.1)

    codes = []
    for _ in range(3):
        result = run("sync")
        codes.append(result.exit_code)
        if result.exit_code == 0:
            break
        assert result.exit_code == 3, result.output  # a failed batch, never a crash
        assert "sync could not finish" in result.stderr

    assert codes[-1] == 0, codes
    statuses = [r.status for r in arxiv_server.log]
    assert statuses.count(503) > 0 and len(statuses) > 5  # the faults really happened
    assert_filled_like_arxiv(db, arxiv_server, THOUSAND)
    assert query(db, "SELECT count(*) FROM paper WHERE sync_error IS NOT NULL") == [(0,)]


def test_failed_batch_does_not_stop_the_others_and_is_asked_next_run(
    arxiv_server: ArxivStandIn, db: Path
) -> None:
    arxiv_server.add_papers(synthetic_papers(300))
    ids = sorted(synthetic_papers(300))
    seed(db, ids)
    arxiv_server.script(*["503"] * 5)  # the client's five attempts at the first batch

    first = run("sync", "--batch-size", "100")

    assert first.exit_code == 3, first.output
    assert "sync could not finish: 100 papers in 1 batch" in first.stderr
    assert "failed: 100 papers (2101.00001 .. 2101.00100): HTTP 503" in first.stdout
    assert synced_ids(db) == set(ids[100:])

    arxiv_server.clear_log()
    second = run("sync", "--batch-size", "100")
    assert second.exit_code == 0, second.output
    assert sorted(asked(arxiv_server.log)) == ids[:100]
    assert_filled_like_arxiv(db, arxiv_server, ids)


def test_batch_empty_again_and_again_is_a_failure_not_missing(
    arxiv_server: ArxivStandIn, db: Path
) -> None:
    arxiv_server.add_papers(synthetic_papers(20))
    ids = sorted(synthetic_papers(20))
    seed(db, ids)
    arxiv_server.script("empty", "empty", "empty")  # first ask and the client's two re-asks

    first = run("sync")

    assert first.exit_code == 3, first.output
    assert "no entry for any of the 20 ids" in first.stdout
    assert query(db, "SELECT count(*) FROM paper WHERE sync_attempted_at IS NOT NULL") == [(0,)]
    assert run("sync").exit_code == 0
    assert synced_ids(db) == set(ids)


def test_arxiv_down_stops_after_three_failed_batches_in_a_row(db: Path) -> None:
    # No arxiv_server: conftest points CATALOG_ARXIV_URL at a port that refuses connections.
    ids = sorted(synthetic_papers(50))
    seed(db, ids)

    result = run("sync", "--batch-size", "10", "--format", "json")

    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert [len(b["ids"]) for b in data["failed"]] == [10, 10, 10]
    assert "connection failed" in data["failed"][0]["reason"]
    assert data["stopped"] == "3 batches failed in a row" and data["not_asked"] == 20
    assert "stopped after 3 batches failed in a row, 20 papers not asked" in result.stderr
    assert query(db, "SELECT count(*) FROM paper WHERE sync_attempted_at IS NOT NULL") == [(0,)]


@pytest.mark.parametrize("payload", ["billion", "xxe"])
def test_entity_payload_fails_its_batch_cleanly(
    arxiv_server: ArxivStandIn, db: Path, payload: str
) -> None:
    ids = ["1611.00712", "1804.01694", "1711.05772", "1802.02550"]
    seed(db, ids)
    arxiv_server.script(*[payload] * 5)  # every attempt at the first batch

    result = run("sync", "--batch-size", "2")

    assert result.exit_code == 3, result.output
    assert "DTD" in result.stdout  # the feed parser refused it before expanding anything
    # Batches go in id order. The poisoned first one stored nothing (placeholder titles
    # kept); the other one is whole.
    rows = dict(query(db, "SELECT arxiv_id, title FROM paper"))
    assert rows["1611.00712"] == "placeholder 1611.00712"
    assert rows["1711.05772"] == "placeholder 1711.05772"
    assert synced_ids(db) == {"1802.02550", "1804.01694"}
    assert all("lol" not in str(t) for t in rows.values())


def test_unknown_ids_are_reported_recorded_and_not_asked_every_run(
    arxiv_server: ArxivStandIn, db: Path
) -> None:
    ids = ["1611.00712", "1804.01694", "1711.05772"]
    seed(db, ids)
    arxiv_server.missing_ids.add("1804.01694")

    first = run("sync")

    assert first.exit_code == 1, first.output
    assert "not found on arXiv:\n  1804.01694" in first.stdout
    (row,) = query(
        db,
        "SELECT title, synced_at, sync_error, sync_attempted_at FROM paper "
        "WHERE arxiv_id = '1804.01694'",
    )
    assert row[0] == "placeholder 1804.01694" and row[1] is None  # not marked synced
    assert row[2] == "not found on arXiv" and row[3] is not None

    arxiv_server.clear_log()
    assert run("sync").exit_code == 0
    assert arxiv_server.log == []  # not due again before --older-than days

    arxiv_server.missing_ids.clear()
    again = run("sync", "--older-than", "0")
    assert again.exit_code == 0, again.output
    assert "1804.01694" in asked(arxiv_server.log)
    assert query(db, "SELECT count(*) FROM paper WHERE sync_error IS NOT NULL") == [(0,)]


# --- interruption -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_sync_keeps_its_batches_and_the_next_run_finishes(
    arxiv_server: ArxivStandIn, db: Path, sig: signal.Signals
) -> None:
    ids = sorted(synthetic_papers(600))
    arxiv_server.add_papers(synthetic_papers(600))
    seed(db, ids)
    # Two quick answers, then one that hangs (until the stand-in stops): the signal lands
    # while the third batch is in flight, after two batches were committed.
    arxiv_server.script("slow:0.05", "slow:0.05", "slow:600")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from catalog.cli.main import cli; cli(prog_name='catalog')",
         "sync", "--batch-size", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        # A process started with SIGINT ignored (pytest-xdist workers and background jobs
        # may be) passes that on, and Python then never raises KeyboardInterrupt: give the
        # child the default disposition, as a terminal's Ctrl-C would find it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timed assertion
        while len(synced_ids(db)) < 200:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sync never stored two batches"
            time.sleep(0.02)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert "interrupted; work already committed is kept" in err
        assert "sync interrupted: 200 of 600 papers synced" in out
        assert "not asked    400" in out
    else:
        assert proc.returncode == -signal.SIGKILL
    kept = synced_ids(db)
    assert kept == set(ids[:200])  # two whole batches, nothing of the third
    stamps = dict(query(db, "SELECT arxiv_id, synced_at FROM paper WHERE synced_at IS NOT NULL"))

    arxiv_server.clear_log()
    result = run("sync", "--batch-size", "100")

    assert result.exit_code == 0, result.output
    assert sorted(asked(arxiv_server.log)) == ids[200:]  # goes on from there
    assert_filled_like_arxiv(db, arxiv_server, ids)
    after = dict(query(db, "SELECT arxiv_id, synced_at FROM paper"))
    assert all(after[i] == stamps[i] for i in kept)  # the kept batches were not redone


# --- versions, changes and citing posts -------------------------------------------------------


def test_new_version_and_changed_title_are_reported_with_citing_posts(
    arxiv_server: ArxivStandIn, db: Path, tmp_path: Path
) -> None:
    posts = tmp_path / "_posts"
    posts.mkdir()
    shutil.copy(GENERATIVE_POST, posts / GENERATIVE_POST.name)
    assert run("import", str(posts)).exit_code == 0
    first = json.loads(run("sync", "--format", "json").stdout)
    assert sorted(first["filled"]) == sorted(
        ["1611.00712", "1804.01694", "1711.05772", "1802.02550", "1804.01118"]
    )
    assert first["changed"] == []

    concrete = arxiv_server.corpus["1611.00712"]
    old_title = concrete.title
    concrete.title = "The Concrete Distribution, Revised"
    concrete.versions.append(concrete.versions[-1].replace(year=2020))
    kim = arxiv_server.corpus["1802.02550"]
    kim.authors = kim.authors[:2]

    text = run("sync", "--all")

    assert text.exit_code == 0, text.output
    out = text.stdout
    assert "changed        2" in out and "unchanged      3" in out
    assert "1611.00712  new version v4, 2020-03-05 (was v3)" in out
    assert f"1611.00712  title: {old_title!r} -> 'The Concrete Distribution, Revised'" in out
    assert (
        f"1611.00712  title changed; cited by {posts / GENERATIVE_POST.name}: run catalog check"
        in out
    )
    assert "1802.02550  authors: Yoon Kim; Sam Wiseman; Andrew C. Miller; David Sontag; " \
        "Alexander M. Rush -> Yoon Kim; Sam Wiseman" in out

    check = CliRunner().invoke(cli, ["check", str(posts)])
    assert check.exit_code == 1
    assert "title-mismatch" in check.stdout and "The Concrete Distribution, Revised" in check.stdout

    shown = run("show", "1611.00712")
    assert "versions:     v1 (2016-11-02), v3 (2017-03-05), v4 (2020-03-05)" in shown.stdout

    concrete.title = "The Concrete Distribution, Revised Twice"
    data = json.loads(run("sync", "1611.00712", "--format", "json").stdout)
    (change,) = data["changed"]
    assert change["changes"]["title"] == {
        "old": "The Concrete Distribution, Revised",
        "new": "The Concrete Distribution, Revised Twice",
    }
    assert change["cited_by"] == [str(posts / GENERATIVE_POST.name)]


def test_sync_on_each_backend(arxiv_server: ArxivStandIn, migrated_db_url: str) -> None:
    corpus = synthetic_papers(250)
    arxiv_server.add_papers(corpus)
    arxiv_server.missing_ids.add("2101.00007")
    seed(migrated_db_url, sorted(corpus))

    first = run("sync", "--format", "json")

    assert first.exit_code == 1, first.output
    data = json.loads(first.stdout)
    assert len(data["filled"]) == 249 and data["not_found"] == ["2101.00007"]
    with Catalog.open(migrated_db_url) as catalog:
        papers = {p.arxiv_id: p for p in catalog.list_papers()}
    assert len(papers) == 250
    one = papers["2101.00012"]
    assert one.title == corpus["2101.00012"].title
    assert one.authors == [name for name, _ in corpus["2101.00012"].authors]
    assert papers["2101.00007"].title == "placeholder 2101.00007"

    arxiv_server.clear_log()
    assert run("sync").exit_code == 0  # nothing due: the unknown id was recorded
    assert arxiv_server.log == []


# --- choosing papers --------------------------------------------------------------------------


def test_named_papers_in_any_form_only_those(arxiv_server: ArxivStandIn, db: Path) -> None:
    seed(db, ["1611.00712", "1804.01694", "hep-th/9901001"])

    result = run("sync", "arxiv:1611.00712", "https://arxiv.org/abs/hep-th/9901001v1")

    assert result.exit_code == 0, result.output
    assert sorted(asked(arxiv_server.log)) == ["1611.00712", "hep-th/9901001"]
    assert synced_ids(db) == {"1611.00712", "hep-th/9901001"}


def test_named_papers_not_in_the_catalog_are_an_error_naming_them(
    arxiv_server: ArxivStandIn, db: Path
) -> None:
    seed(db, ["1611.00712"])

    unknown = CliRunner().invoke(cli, ["sync", "1611.00712", "1804.01694", "1711.05772"])
    malformed = CliRunner().invoke(cli, ["sync", "1611.00712", "16110.0712"])

    assert unknown.exit_code == 1
    assert "not in the catalog: 1804.01694, 1711.05772" in unknown.stderr
    assert malformed.exit_code == 2
    assert "16110.0712" in malformed.stderr
    assert arxiv_server.log == []


def test_ids_and_all_do_not_mix(db: Path) -> None:
    both = CliRunner().invoke(cli, ["sync", "--all", "1611.00712"])
    older = CliRunner().invoke(cli, ["sync", "--all", "--older-than", "3"])
    assert both.exit_code == 2 and "not both" in both.stderr
    assert older.exit_code == 2


def test_progress_bar_on_a_terminal_is_redrawn_in_place() -> None:
    stream = io.StringIO()
    bar = _Progress(stream, tty=True)
    bar(SyncProgress("request", 0, 1000, 1, 0, 0, 5, "POST 200 ids"))
    bar(SyncProgress("batch", 200, 1000, 2, 1, 1, 5, "batch 1/5"))
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "200/1000 papers  batch 1/5  2 requests  1 retry" in text
    assert "[######------------------------]" in text

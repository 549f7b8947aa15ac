"""`catalog harvest` against the loopback OAI-PMH stand-in (tests/oai_server.py), on SQLite
and PostgreSQL: what is stored, incremental and resumed runs, the protocol's errors,
the server's faults, a harvest killed with SIGKILL. Timing is only asserted as lower
bounds read from the server's log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.index.store import ArxivIndex
from tests.oai_server import OaiStandIn, Paper, generate_papers


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def oai(monkeypatch: pytest.MonkeyPatch) -> Iterator[OaiStandIn]:
    with OaiStandIn(records=300, page_size=50) as server:
        monkeypatch.setenv("CATALOG_OAI_URL", server.url)
        yield server


def stored(url: str) -> dict[str, int]:
    """arxiv id -> rows stored for it (a record stored twice would show 2)."""
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql("SELECT arxiv_id, COUNT(*) FROM arxiv_record GROUP BY 1")
        return {r[0]: r[1] for r in rows}


def in_set(papers: list[Paper], spec: str) -> set[str]:
    return {
        p.arxiv_id for p in papers if any(s == spec or s.startswith(spec + ":") for s in p.sets)
    }


def assert_like_arxiv(url: str, papers: list[Paper]) -> None:
    """Every paper stored once, with what arXivRaw said of it."""
    assert stored(url) == {p.arxiv_id: 1 for p in papers}
    with ArxivIndex.open(url) as index:
        got = index.get_many([p.arxiv_id for p in papers])
    for p in papers:
        rec = got[p.arxiv_id]
        assert rec.title == p.flat_title
        assert list(rec.authors) == p.author_names  # TeX accents decoded
        assert rec.categories == p.categories
        assert rec.dois == tuple(d.lower() for d in p.dois)  # several in one <doi>
        assert rec.datestamp == p.datestamp
        assert [(v.date, v.size_kb) for v in rec.versions] == list(p.versions)
        assert [v.withdrawn for v in rec.versions] == [size == 0 for _, size in p.versions]


# --- a whole harvest ------------------------------------------------------------------------


def test_harvest_stores_every_record_of_the_set_once_with_all_its_versions(
    db_url: str, oai: OaiStandIn
) -> None:
    result = run("harvest", "--set", "cs")

    assert result.exit_code == 0, result.output
    wanted = [p for p in oai.papers if p.arxiv_id in in_set(oai.papers, "cs")]
    assert 50 < len(wanted) < 300
    assert_like_arxiv(db_url, wanted)
    first, *rest = [e.params for e in oai.log]
    assert first == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs"}
    assert rest and all(set(p) == {"verb", "resumptionToken"} for p in rest)
    assert f"{len(wanted)} records" in result.stdout
    withdrawn = [p for p in wanted if p.versions[-1][1] == 0]
    assert withdrawn  # the corpus has some: the check above covered them
    with ArxivIndex.open(db_url) as index:
        assert index.get(withdrawn[0].arxiv_id).withdrawn  # type: ignore[union-attr]


def test_sets_are_asked_as_arxiv_names_them(db_url: str, oai: OaiStandIn) -> None:
    assert run("harvest", "--set", "physics:hep-th").exit_code == 0
    assert set(stored(db_url)) == in_set(oai.papers, "physics:hep-th")
    assert any("/" in i for i in stored(db_url))  # old-style ids, hep-th/99...
    assert run("harvest", "--set", "cs:cs:AI").exit_code == 0
    assert oai.log[-1].params.get("set") == "cs:cs:AI" or "resumptionToken" in oai.log[-1].params
    assert set(stored(db_url)) == in_set(oai.papers, "physics:hep-th") | in_set(
        oai.papers, "cs:cs:AI"
    )


def test_the_arxiv_format_is_read_too(sqlite_url: str, oai: OaiStandIn) -> None:
    result = run("harvest", "--set", "math", "--prefix", "arXiv")

    assert result.exit_code == 0, result.output
    assert oai.log[0].params["metadataPrefix"] == "arXiv"
    wanted = [p for p in oai.papers if p.arxiv_id in in_set(oai.papers, "math")]
    with ArxivIndex.open(sqlite_url) as index:
        got = index.get_many([p.arxiv_id for p in wanted])
    assert len(got) == len(wanted)
    for p in wanted:
        rec = got[p.arxiv_id]
        assert list(rec.authors) == p.author_names
        assert rec.published is not None and rec.published.date() == p.versions[0][0].date()


def test_a_second_run_asks_only_from_the_last_datestamp_stored(
    db_url: str, oai: OaiStandIn
) -> None:
    assert run("harvest").exit_code == 0
    newest = max(p.datestamp for p in oai.papers)
    oai.clear_log()
    later = generate_papers(5, seed=9, start=date(2024, 3, 5), days=1)
    oai.add_papers([replace(p, arxiv_id=f"2403.{90000 + i}") for i, p in enumerate(later)])

    again = run("harvest")

    assert again.exit_code == 0, again.output
    assert oai.log[0].params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "from": newest.isoformat(),
    }
    assert len(stored(db_url)) == 305
    assert set(stored(db_url).values()) == {1}
    status = run("harvest", "--status")
    assert "2024-03-05" in status.stdout and "305" in status.stdout


def test_a_set_inside_a_harvested_set_starts_from_its_datestamp(
    sqlite_url: str, oai: OaiStandIn
) -> None:
    assert run("harvest", "--set", "cs").exit_code == 0
    oai.clear_log()
    assert run("harvest", "--set", "cs:cs:LG").exit_code == 0
    assert oai.log[0].params["from"] == max(p.datestamp for p in oai.papers).isoformat()
    oai.clear_log()
    assert run("harvest", "--set", "math").exit_code == 0
    assert "from" not in oai.log[0].params  # cs says nothing about math


def test_the_index_stays_apart_from_the_groups_papers(tmp_path: Path, oai: OaiStandIn) -> None:
    assert run("harvest").exit_code == 0
    assert (tmp_path / "arxiv-index.sqlite").exists()
    listed = run("list")
    assert listed.exit_code == 0
    assert not any(p.arxiv_id in listed.stdout for p in oai.papers)
    exported = run("export", "json", "-o", "-")
    assert exported.exit_code == 0
    assert not any(p.arxiv_id in exported.stdout for p in oai.papers)
    assert (tmp_path / "catalog.sqlite").stat().st_size < 1_000_000


def test_catalog_and_index_keep_separate_migration_chains_in_one_postgres_database(
    pg_url: str, oai: OaiStandIn
) -> None:
    from sqlalchemy import create_engine, inspect, text

    from catalog.index.schema import HEAD
    from catalog.store.migrate import HEAD as CATALOG_HEAD

    assert run("harvest").exit_code == 0
    assert run("list").exit_code == 0  # migrates the catalog beside the index
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"arxiv_record", "arxiv_version", "paper"} <= tables
            assert (
                conn.execute(text("SELECT version_num FROM arxiv_index_version")).scalar() == HEAD
            )
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                CATALOG_HEAD
            )
    finally:
        engine.dispose()


def test_head_names_the_newest_index_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from catalog.index.schema import HEAD, MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD]


# --- the protocol's answers -----------------------------------------------------------------


def test_no_records_match_ends_the_run_cleanly(db_url: str, oai: OaiStandIn) -> None:
    result = run("harvest", "--from", "2030-01-01")
    assert result.exit_code == 0, result.output
    assert "nothing new since 2030-01-01" in result.stdout
    assert stored(db_url) == {}


def test_bad_argument_from_the_server_exits_2_with_its_message(
    sqlite_url: str, oai: OaiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stand-in answers badArgument to an unknown argument; make the request carry one.
    from catalog.index import oai as oai_module

    real = oai_module.list_records_params

    def with_extra(*args: object, **kwargs: object) -> dict[str, str]:
        params = real(*args, **kwargs)  # type: ignore[arg-type]
        params["granularity"] = "fine"
        return params

    monkeypatch.setattr("catalog.index.harvest.list_records_params", with_extra)
    result = run("harvest")

    assert result.exit_code == 2
    assert "badArgument: Illegal argument 'granularity'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_oai_error_sent_with_http_400_is_read_too(sqlite_url: str, oai: OaiStandIn) -> None:
    oai.script("400:badArgument")
    result = run("harvest")
    assert result.exit_code == 2
    assert "badArgument: badArgument (HTTP 400)" in result.stderr
    assert len(oai.log) == 1  # not retried: asking again would not help


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-13-01"], "'2024-13-01' is not a date; use YYYY-MM-DD"),
        (["--until", "yesterday"], "'yesterday' is not a date"),
        (["--from", "2024-02-01", "--until", "2024-01-01"], "is after --until"),
        (["--set", "cs AI"], "is not an arXiv set"),
        (["--status", "--set", "cs"], "--status goes alone"),
        (["--snapshot", "x.json", "--set", "cs"], "--set, --from, --until and --prefix"),
        (["--prefix", "oai_dc"], "'oai_dc' is not one of"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str, oai: OaiStandIn) -> None:
    result = run("harvest", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert oai.log == []


def test_an_unreachable_server_exits_3(sqlite_url: str) -> None:
    # CATALOG_OAI_URL is conftest's refused port
    result = CliRunner().invoke(cli, ["harvest"], catch_exceptions=False, env={})
    assert result.exit_code == 3
    assert "could not be reached" in result.stderr


# --- the server's faults --------------------------------------------------------------------


def test_503_with_retry_after_is_honoured_and_retry_after_0_still_backs_off(
    sqlite_url: str, oai: OaiStandIn
) -> None:
    oai.script("ok", "503:retry-after=1", "503:retry-after=0")

    result = run("harvest")

    assert result.exit_code == 0, result.output
    log = oai.log
    assert [e.status for e in log[:4]] == [200, 503, 503, 200]
    assert log[2].time - log[1].time >= 1.0  # Retry-After: 1
    assert log[3].time - log[2].time >= 0.05  # Retry-After: 0, still the backoff floor
    assert log[3].params == log[1].params  # the same token asked again
    assert len(stored(sqlite_url)) == 300
    assert "HTTP 503" in result.stderr


def test_a_server_asking_for_more_than_ten_minutes_stops_the_run_with_advice(
    sqlite_url: str, oai: OaiStandIn
) -> None:
    oai.script("ok", "503:retry-after=3600")

    result = run("harvest")

    assert result.exit_code == 3, result.output
    assert "asks to wait 3600s" in result.stderr and "run again later" in result.stderr
    assert [e.status for e in oai.log] == [200, 503]  # not asked again
    assert len(stored(sqlite_url)) == 50  # the first page is kept; a new run goes on
    assert run("harvest").exit_code == 0
    assert len(stored(sqlite_url)) == 300


def test_redirects_are_not_followed(sqlite_url: str, oai: OaiStandIn) -> None:
    oai.script("redirect:/oai-moved")

    result = run("harvest")

    assert result.exit_code == 3, result.output
    assert "HTTP 302" in result.stderr and "/oai-moved" in result.stderr
    assert "CATALOG_OAI_URL" in result.stderr
    assert len(oai.log) == 1  # the new place is never asked


def test_requests_are_spaced_by_catalog_oai_delay(
    sqlite_url: str, oai: OaiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_OAI_DELAY", "0.2")
    assert run("harvest").exit_code == 0
    starts = [e.time for e in oai.log]
    assert len(starts) >= 4
    # Judged as the server sees them arrive, over the whole run after the first request
    # (which also waits for the connection): an arrival that lags on a busy machine
    # shortens the gap after it, so a little slack, far below the 0.2 s asked.
    assert starts[-1] - starts[1] >= 0.2 * (len(starts) - 2) - 0.05


@pytest.mark.parametrize("fault", ["truncated", "cut", "slow:0.3", "billion"])
def test_a_broken_or_slow_page_is_asked_again_and_nothing_is_lost(
    db_url: str, oai: OaiStandIn, fault: str
) -> None:
    oai.script("ok", "ok", fault)

    result = run("harvest")

    assert result.exit_code == 0, result.output
    assert_like_arxiv(db_url, oai.papers)
    if fault != "slow:0.3":
        assert oai.log[3].params == oai.log[2].params  # the broken page, asked again


def test_an_expired_token_restarts_the_list_from_the_stored_datestamp(
    db_url: str, oai: OaiStandIn
) -> None:
    oai.script("ok", "ok", "badResumptionToken")

    result = run("harvest")

    assert result.exit_code == 0, result.output
    assert_like_arxiv(db_url, oai.papers)
    restart = oai.log[3].params
    newest_stored = max(p.datestamp for p in oai.papers[:100])
    assert restart == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "from": newest_stored.isoformat(),
    }
    assert "expired token" in result.stdout


def test_progress_is_drawn_on_a_terminal_only() -> None:
    import io

    from catalog.cli.harvest import _Bar
    from catalog.index.harvest import Progress

    news = Progress(records=5000, pages=2, elapsed=2.0, datestamp=date(2024, 1, 2))
    quiet = io.StringIO()
    _Bar(quiet, tty=False).page(news)
    assert quiet.getvalue() == ""
    tty = io.StringIO()
    bar = _Bar(tty, tty=True)
    bar.page(news)
    bar.finish()
    assert tty.getvalue() == "\r\x1b[K5,000 records, 2 pages, 2,500 records/s, up to 2024-01-02\n"


def test_two_harvests_at_once_the_second_is_refused(db_url: str, oai: OaiStandIn) -> None:
    with ArxivIndex.open(db_url) as index, index.exclusive():
        result = run("harvest")
    assert result.exit_code == 3
    assert "another harvest or snapshot load" in result.stderr
    assert oai.log == []
    assert run("harvest").exit_code == 0  # released with the first


# --- killed in the middle -------------------------------------------------------------------


@pytest.mark.slow
def test_a_harvest_killed_with_sigkill_resumes_from_its_page_and_stores_each_record_once(
    db_url: str, oai: OaiStandIn
) -> None:
    # Three pages answer at once, the fourth hangs: SIGKILL lands while it is in flight.
    oai.script("ok", "ok", "ok", "slow:600")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from catalog.cli.main import cli; cli(prog_name='catalog')",
         "harvest"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timed assertion
        while len(oai.log) < 4:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the harvest never reached its fourth page"
            time.sleep(0.02)
        # The fourth page is asked for while the third is stored: killed once it is in.
        while len(stored(db_url)) < 150:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the third page was never stored"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert set(stored(db_url)) == {p.arxiv_id for p in oai.papers[:150]}
    hung = oai.log[3].params
    assert "resumptionToken" in hung
    status = run("harvest", "--status")
    assert "under way (150 records in 3 pages)" in status.stdout

    oai.clear_log()
    result = run("harvest")

    assert result.exit_code == 0, result.output
    assert oai.log[0].params == hung  # goes on from the page it stopped at
    assert len(oai.log) == 3  # pages 4, 5, 6
    assert "(resumed)" in result.stdout
    assert_like_arxiv(db_url, oai.papers)

    oai.clear_log()
    assert run("harvest").exit_code == 0
    assert oai.log[0].params["from"] == max(p.datestamp for p in oai.papers).isoformat()

"""Harvested pages read one ahead (catalog/index/pages.py): the parser process, the fetch
thread, and what storing a page may skip (rows sent again as they are stored)."""

from __future__ import annotations

import io
import multiprocessing
import signal
import threading
from datetime import date

import pytest

from catalog.index.harvest import harvest
from catalog.index.http import OaiClient
from catalog.index.oai import MalformedPage, parse_page
from catalog.index.pages import PageParser, PagesAhead, ParserStopped, ReadPage, read_page
from catalog.index.record import IndexRecord
from catalog.index.store import ArxivIndex, HarvestState
from tests.oai_server import OaiStandIn, Paper, generate_papers

ASK = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}


def first_page(papers: list[Paper] | None = None) -> bytes:
    """The first page of a list, as the stand-in answers it (25 records a page)."""
    with OaiStandIn(papers or generate_papers(60), page_size=25) as server:
        return server.document(ASK)


def test_the_parser_process_reads_a_page_as_this_process_does() -> None:
    page = first_page()
    with PageParser("sqlite") as parser:
        theirs = parser.parse(io.BytesIO(page))
        again = parser.parse(io.BytesIO(page))  # one process, page after page
    ours = read_page(io.BytesIO(page), "sqlite")
    assert theirs == ours == again
    assert theirs.records == 25 and theirs.token
    assert theirs.token == parse_page(io.BytesIO(page)).token


def test_a_truncated_page_is_malformed_and_the_parser_reads_the_next_one() -> None:
    page = first_page()
    with PageParser("sqlite") as parser:
        with pytest.raises(MalformedPage, match="not well-formed"):
            parser.parse(io.BytesIO(page[: len(page) // 2]))
        with pytest.raises(MalformedPage, match="refused"):  # refused at its first chunk
            parser.parse(io.BytesIO(b'<?xml version="1.0"?><!DOCTYPE x [' + b" " * 200_000))
        assert parser.parse(io.BytesIO(page)).records == 25


def test_a_parser_process_that_died_is_a_clear_error() -> None:
    page = first_page()
    with PageParser("sqlite") as parser:
        parser._process.kill()
        parser._process.join()
        with pytest.raises(ParserStopped, match="page parser process stopped"):
            parser.parse(io.BytesIO(page))


def test_pages_are_fetched_one_ahead_only_when_asked_and_errors_come_out_in_get() -> None:
    asked: list[dict[str, str]] = []
    release = threading.Event()

    def fetch(params: dict[str, str]) -> ReadPage:
        asked.append(params)
        if params.get("n") == "boom":
            raise RuntimeError("the fetch failed")
        release.wait(10)
        return ReadPage(token=params["n"])

    with PagesAhead(fetch) as ahead:
        ahead.ask({"n": "1"})
        with pytest.raises(AssertionError):  # never two at once
            ahead.ask({"n": "2"})
        release.set()
        assert ahead.get().token == "1"
        assert asked == [{"n": "1"}]  # nothing fetched that was not asked
        ahead.ask({"n": "boom"})
        with pytest.raises(RuntimeError, match="the fetch failed"):
            ahead.get()


def test_a_harvest_leaves_no_process_or_thread_behind(sqlite_url: str) -> None:
    threads = set(threading.enumerate())
    with (
        OaiStandIn(records=120, page_size=50) as server,
        ArxivIndex.open(sqlite_url) as index,
        OaiClient(server.url, delay=0) as http,
    ):
        report = harvest(index, http)
    assert (report.records, report.pages) == (120, 3)
    assert multiprocessing.active_children() == []
    assert set(threading.enumerate()) <= threads


def test_ctrl_c_is_the_harvest_s_own_the_parser_ignores_it() -> None:
    page = first_page()
    with PageParser("sqlite") as parser:
        assert parser._process.pid is not None
        import os

        os.kill(parser._process.pid, signal.SIGINT)
        assert parser.parse(io.BytesIO(page)).records == 25


def record(title: str, day: date) -> IndexRecord:
    return IndexRecord("2401.00001", title, abstract="about tusks", datestamp=day)


def test_an_updated_title_moves_its_title_key_and_an_older_one_does_not(db_url: str) -> None:
    state = HarvestState(set_spec="cs", prefix="arXivRaw")
    with ArxivIndex.open(db_url) as index:
        index.store_page([record("Walrus tusks", date(2024, 1, 1))], state)
        index.store_page([record("Walrus tusks", date(2024, 2, 1))], state)  # same text
        index.store_page([record("Narwhal tusks", date(2024, 3, 1))], state)
        index.store_page([record("Old walrus", date(2023, 1, 1))], state)  # older: ignored
        assert [r.arxiv_id for r in index.by_title("narwhal TUSKS")] == ["2401.00001"]
        assert index.by_title("walrus tusks") == []
        assert index.by_title("old walrus") == []
        got = index.get("2401.00001")
        assert got is not None and got.datestamp == date(2024, 3, 1)


def test_a_page_sent_again_as_stored_updates_no_row_on_sqlite(sqlite_url: str) -> None:
    from dataclasses import replace

    papers = generate_papers(20, seed=5)
    page = read_page(io.BytesIO(first_page(papers)), "sqlite")
    newer = [replace(p, title=p.title + " revised") for p in papers[:2]]
    changed = read_page(io.BytesIO(first_page(newer)), "sqlite")
    state = HarvestState(set_spec="cs", prefix="arXivRaw")
    with ArxivIndex.open(sqlite_url) as index:
        index.store_page(page.rows, state)
        with index._write() as conn:  # updates counted by triggers of this connection
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("CREATE TEMP TABLE updates (tbl TEXT)")
            for table in ("arxiv_record", "arxiv_version"):
                raw.execute(
                    f"CREATE TEMP TRIGGER count_{table} AFTER UPDATE ON main.{table}"
                    f" BEGIN INSERT INTO updates VALUES ('{table}'); END"
                )
            index._store(conn, page.rows)
            again = raw.execute("SELECT COUNT(*) FROM updates").fetchone()[0]
            index._store(conn, changed.rows)
            after = raw.execute("SELECT tbl, COUNT(*) FROM updates GROUP BY 1").fetchall()
            raw.execute("DROP TABLE updates")
            for table in ("arxiv_record", "arxiv_version"):
                raw.execute(f"DROP TRIGGER count_{table}")
    assert again == 0
    assert after == [("arxiv_record", 2 + 2)]  # the two changed records, and their keys

"""enabled_sources(): CATALOG_SOURCES selection, who fetches what, who searches titles,
and that no source talks to a host its variable does not name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from catalog.errors import SourceConfigError, SourceUnavailable
from catalog.records import Identifier
from catalog.sources import IdFetcher, TitleSearcher, enabled_sources, source_names
from catalog.sources.http import HttpEvent
from tests.arxiv_server import ArxivStandIn
from tests.crossref_server import CrossrefStandIn
from tests.dblp_server import DblpStandIn
from tests.openreview_server import OpenReviewStandIn
from tests.proceedings_server import ProceedingsStandIn


def test_all_sources_by_default_and_a_chosen_few(monkeypatch: pytest.MonkeyPatch) -> None:
    with enabled_sources() as sources:
        assert sources.names == ("arxiv", "crossref", "dblp", "openreview", "proceedings")
        assert all(isinstance(s, IdFetcher) for s in sources)
        assert [s.name for s in sources.title_searchers()] == ["dblp", "crossref", "arxiv"]
        assert not isinstance(sources.get("openreview"), TitleSearcher)
    monkeypatch.setenv("CATALOG_SOURCES", " DBLP, crossref ,dblp")
    with enabled_sources() as sources:
        assert sources.names == ("crossref", "dblp")
        assert sources.get("arxiv") is None
    with enabled_sources(["arxiv"]) as sources:
        assert sources.names == ("arxiv",)
    monkeypatch.setenv("CATALOG_SOURCES", "")
    assert source_names() == ["arxiv", "crossref", "dblp", "openreview", "proceedings"]


def test_unknown_names_are_one_line_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_SOURCES", "crossref,scholar,pubmed")
    with pytest.raises(SourceConfigError) as info:
        enabled_sources()
    assert str(info.value) == (
        "CATALOG_SOURCES names unknown sources scholar, pubmed; "
        "valid sources: arxiv, crossref, dblp, openreview, proceedings"
    )
    assert info.value.exit_code == 2


def test_a_bad_variable_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DBLP_DELAY", "fast")
    with pytest.raises(SourceConfigError, match="CATALOG_DBLP_DELAY must be a number"):
        enabled_sources()
    monkeypatch.setenv("CATALOG_DBLP_DELAY", "0")
    monkeypatch.setenv("CATALOG_ACL_URL", "aclanthology.org")
    with pytest.raises(SourceConfigError, match="CATALOG_ACL_URL must be an http"):
        enabled_sources()


def test_who_fetches_what() -> None:
    cases = {
        Identifier("doi", "10.1038/nature20101"): ["crossref"],
        Identifier("doi", "10.48550/arxiv.1611.00712"): ["arxiv", "crossref"],
        Identifier("arxiv", "1611.00712"): ["arxiv"],
        Identifier("dblp", "conf/icml/KazemiZK18"): ["dblp"],
        Identifier("openreview", "BkpiPMbA-"): ["openreview"],
        Identifier("pmlr", "v80/kazemi18a"): ["proceedings"],
        Identifier("neurips", "2014/5346"): ["proceedings"],
        Identifier("acl", "N19-1423"): ["proceedings"],
        Identifier("isbn", "9780262035613"): [],
    }
    with enabled_sources() as sources:
        for ident, names in cases.items():
            assert [s.name for s in sources.fetchers_for(ident)] == names, ident
    with enabled_sources("crossref") as sources:
        assert sources.fetchers_for(Identifier("arxiv", "1611.00712")) == []
        assert [s.name for s in sources.title_searchers()] == ["crossref"]


def test_no_request_to_a_source_that_is_not_enabled(
    crossref_server: CrossrefStandIn,
    dblp_server: DblpStandIn,
    arxiv_server: ArxivStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CATALOG_SOURCES", "crossref")
    with enabled_sources() as sources:
        for searcher in sources.title_searchers():
            searcher.search_title("Deep learning")
        for fetcher in sources.fetchers_for(Identifier("doi", "10.48550/arxiv.1611.00712")):
            fetcher.fetch([Identifier("doi", "10.48550/arxiv.1611.00712")])
    assert len(crossref_server.log) == 2
    assert dblp_server.log == [] and arxiv_server.log == []


def test_each_source_asks_only_the_host_its_variable_names(
    dblp_server: DblpStandIn, refused_arxiv_url: str
) -> None:
    # Only CATALOG_DBLP_URL names a stand-in; the others name a refusing local port
    # (conftest). A source whose variable is not pointed at a server fails on that port:
    # it never falls back to its real host on the internet.
    refused = refused_arxiv_url.removesuffix("/api/query")
    with enabled_sources() as sources:
        assert sources.get("dblp").search_title("Deep learning")
        crossref = sources.get("crossref")
        crossref.http.max_attempts = 1
        with pytest.raises(SourceUnavailable, match=f"at {refused}: connection failed"):
            crossref.search_title("Deep learning")
        proceedings = sources.get("proceedings")
        proceedings.http.max_attempts = 1
        out = proceedings.fetch([Identifier("acl", "N19-1423")])
        assert f"page {refused}/N19-1423/" in out.failed[Identifier("acl", "N19-1423")]


def test_progress_events_from_every_kind_of_source(
    crossref_server: CrossrefStandIn,
    arxiv_server: ArxivStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    proceedings_server: ProceedingsStandIn,
) -> None:
    events: list[HttpEvent] = []
    crossref_server.script("503")
    with enabled_sources(on_event=events.append) as sources:
        sources.get("crossref").fetch([Identifier("doi", "10.1038/nature20101")])
        sources.get("arxiv").search_title("Concrete Distribution")
        sources.get("openreview").fetch([Identifier("openreview", "2dnO3LLiJ1")])
        sources.get("proceedings").fetch([Identifier("pmlr", "v80/kazemi18a")])
    assert [(e.source, e.kind) for e in events] == [
        ("crossref", "request"),
        ("crossref", "retry"),
        ("crossref", "request"),
        ("arxiv", "request"),
        ("openreview", "request"),
        ("proceedings", "request"),
    ]
    assert events[1].wait > 0 and events[3].url == arxiv_server.url


def test_start_up_stays_free_of_httpx() -> None:
    code = (
        "import sys\n"
        "import catalog.sources, catalog.sources.arxiv.ids\n"
        "from catalog.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('httpx', 'defusedxml', 'catalog.sources.http') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"

"""`catalog sync` beyond arXiv: each paper refreshed from the sources it came from
(Crossref by DOI, DBLP by key, OpenReview by note id, the proceedings sites by page),
batched per source, with the arXiv sync's guarantees (planned by when each identifier was
last answered, per-batch transactions, report, exit codes); and arXiv's records taken
from the local index when it holds them at least as new (no request; --online asks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli.main import cli
from tests.fixtures.works import WORKS, by_key
from tests.test_resolve import POSTS, Servers, _index_paper, fill_index, paper, run

POST = POSTS / "2019-09-17-beyond-arxiv.md"


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Servers]]:
    with ExitStack() as stack:

        def start(*keys: str) -> Servers:
            return Servers(stack, monkeypatch, tuple(map(by_key, keys)) if keys else WORKS)

        yield start


def resolved(serve: Callable[..., Servers], tmp_path: Path) -> Servers:
    """The example post and a .bib of two DOIs, imported and resolved."""
    servers = serve()
    assert run("import", str(POST)).exit_code == 0
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{lecun15, title = {Deep learning}, doi = {10.1038/nature14539}}\n"
        "@article{lstm, title = {Long Short-Term Memory}, doi = {10.1162/neco.1997.9.8.1735}}\n",
        encoding="utf-8",
    )
    assert run("import", str(bib)).exit_code == 0
    assert run("resolve").exit_code == 0
    for s in (servers.crossref, servers.dblp, servers.v1, servers.v2, servers.proceedings):
        s.clear_log()
    return servers


def test_each_paper_is_refreshed_from_its_sources_batched_per_source(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    servers = resolved(serve, tmp_path)
    # Just resolved: nothing is due.
    assert "nothing to sync" in run("sync").stdout
    assert servers.requests == 0
    # Crossref corrected the DNC paper's pages since.
    dnc = by_key("dnc")
    servers.crossref.works = [replace(w, pages="471-477") if w.key == "dnc" else w
                              for w in servers.crossref.works]  # fmt: skip
    result = run("sync", "--all", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["sources"]
    assert data["complete"] and data["failed"] == [] and data["not_found"] == []
    assert data["per_source"]["crossref"] == 3  # the DNC's DOI and the .bib's two
    assert set(data["per_source"]) >= {"crossref", "dblp", "openreview", "proceedings"}
    # All of Crossref's DOIs in one request (its filter takes 40).
    assert len(servers.crossref.log) == 1
    change = {"pages": {"old": "471-476", "new": "471-477"}}
    assert {"source": "crossref", "id": f"doi:{dnc.doi}", "changes": change} in data["updated"]
    assert paper(f"doi:{dnc.doi}").pages == "471-477"
    # Each identifier remembers its answer: a plain sync has nothing left to do.
    asked = servers.requests
    assert "nothing to sync" in run("sync").stdout and servers.requests == asked


def test_unknown_identifiers_are_marked_and_failures_asked_again(
    serve: Callable[..., Servers], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    servers = resolved(serve, tmp_path)
    backdate_answers()  # resolved two months ago: everything is due
    monkeypatch.setenv("CATALOG_SOURCES", "crossref,openreview")
    servers.crossref.works = [w for w in servers.crossref.works if w.key != "dnc"]  # withdrawn
    servers.v1.script(*["503"] * 5)  # OpenReview v1 down for the one note it would be asked
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 3, result.output
    assert "not found at crossref: doi:10.1038/nature20101" in result.stdout
    assert "failed at openreview: openreview:BkpiPMbA-" in result.stdout
    assert "run catalog sync again" in result.stderr
    # Nothing was lost: the paper keeps what it had.
    assert paper("doi:10.1038/nature20101").year == 2016
    # The next plain run asks only the failed one (the unknown DOI waits a month).
    for s in (servers.crossref, servers.v1, servers.v2):
        s.clear_log()
    again = run("sync", "--format", "json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)["sources"]
    assert data["per_source"] == {"openreview": 1}
    assert servers.crossref.log == []


def test_sync_ids_name_papers_by_any_identifier_key_or_number(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    servers = resolved(serve, tmp_path)
    # Named papers are refreshed whatever their times: by DOI (in any written form),
    # by citation key and by number, each from its own source only.
    lstm = "https://doi.org/10.1162/neco.1997.9.8.1735"
    result = run("sync", lstm, "lecun15", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["sources"]
    assert data["per_source"] == {"crossref": 2}
    assert len(servers.crossref.log) == 1 and servers.dblp.log == []
    number = paper("doi:10.1038/nature14539").id
    again = run("sync", f"#{number}", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["sources"]["per_source"] == {"crossref": 1}
    # An identifier the catalog does not hold exits 1 naming it; a text that is no
    # identifier, key or number is refused as input (exit 2); neither asks anything.
    asked = servers.requests
    unknown = CliRunner().invoke(cli, ["sync", "lecun15", "doi:10.1000/none"])
    assert unknown.exit_code == 1 and "not in the catalog: doi:10.1000/none" in unknown.stderr
    bad = CliRunner().invoke(cli, ["sync", "no such paper!"])
    assert bad.exit_code == 2, bad.output
    assert "'no such paper!'" in bad.stderr and "citation key" in bad.stderr
    assert servers.requests == asked


def test_progress_hears_each_request_and_batch_and_draws_a_bar_on_a_terminal(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    import io

    from catalog.cli.output import BatchProgress
    from catalog.progress import BatchNews
    from catalog.store.catalog import Catalog
    from catalog.sync_sources import plan_source_sync, run_source_sync

    resolved(serve, tmp_path)
    news: list[BatchNews] = []
    stream = io.StringIO()
    bar = BatchProgress(stream, tty=True, unit="identifiers")
    with Catalog.open() as catalog:
        tasks = plan_source_sync(catalog, older_than=timedelta(0))

        def hear(item: BatchNews) -> None:
            news.append(item)
            bar(item)

        report = run_source_sync(catalog, tasks, progress=hear)
    bar.finish()
    batches = [n for n in news if n.kind == "batch"]
    assert len(batches) == report.batches_done == report.batches
    assert sum(n.kind == "request" for n in news) == report.requests > 0
    assert batches[-1].done == batches[-1].total == report.planned == len(tasks)
    text = stream.getvalue()
    assert text.count("\r") == len(news) and text.endswith("\n")
    assert f"{len(tasks)}/{len(tasks)} identifiers  batch {report.batches}/{report.batches}" in text


def backdate_answers() -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from catalog.store.catalog import Catalog
    from catalog.store.models import PaperIdentifier

    old = datetime(2020, 1, 1, tzinfo=UTC)
    with Catalog.open() as catalog:
        stmt = update(PaperIdentifier).values(synced_at=old, sync_attempted_at=old)
        catalog.write(lambda s: s.execute(stmt))


def test_sync_takes_arxiv_records_from_the_index_and_online_asks_arxiv(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    servers = serve()
    savae = by_key("savae")
    assert run("add", "1802.02550").exit_code == 0  # version 1 from arXiv's stand-in
    servers.arxiv.clear_log()
    from datetime import UTC, datetime

    dates = [datetime(2018, 2, d, tzinfo=UTC) for d in (7, 14, 21, 28, 28)]
    newer = replace(_index_paper("1802.02550", savae),
                    versions=tuple((d, 300 + i) for i, d in enumerate(dates)))  # fmt: skip
    fill_index(tmp_path, newer)
    assert paper("1802.02550").version < 5
    result = run("sync", "--all", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == 0
    assert paper("1802.02550").version == 5
    assert servers.arxiv.log == []
    assert paper("1802.02550").abstract == newer.abstract
    online = run("sync", "--all", "--online", "--format", "json")
    assert online.exit_code == 0, online.output
    assert json.loads(online.stdout)["requests"] == 1 and len(servers.arxiv.log) == 1

"""``catalog serve``'s routes through FastAPI's TestClient, on SQLite and PostgreSQL:
what each page and API call shows, escaping, errors, CSRF, read-only mode, the edit
token, body limits. The browser tests are in test_web_browser.py."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog.cli.main import cli
from catalog.exporters import ExportOptions
from catalog.exporting import run_export
from catalog.records import ArxivRecord
from catalog.store.catalog import Catalog
from catalog.store.planning import get_session, list_presenters
from catalog.store.selection import Selection
from catalog.web.app import create_app
from catalog.web.config import ServeConfig, ServeOptionError
from catalog.web.security import CSP
from tests.arxiv_server import ArxivStandIn
from tests.web_fixtures import HOSTILE_ID, HOSTILE_TITLE, fill

SLUG = "2018-07-31-generative"
TOKEN = "s3cret-token-for-tests"
MakeClient = Callable[..., TestClient]


@pytest.fixture
def catalog(migrated_db_url: str, tmp_path: Path) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as opened:
        fill(opened, tmp_path)
        yield opened


@pytest.fixture
def make_client(catalog: Catalog) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        client = TestClient(create_app(ServeConfig(**settings), catalog), follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


# -- pages -------------------------------------------------------------------------------


def test_home_counts_latest_sessions_and_search_box(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert re.search(r"<strong>12</strong> papers", text)  # 10 examples, 2 hostile
    assert re.search(r"<strong>4</strong> sessions", text)
    # Newest first: the hostile post (2019-05-01) before the 2018 session.
    assert text.index("/sessions/2019-05-01-hostile") < text.index(f"/sessions/{SLUG}")
    assert 'action="/papers"' in text and 'name="q"' in text


def test_papers_search_filters_and_pages(client: TestClient) -> None:
    found = client.get("/papers", params={"q": "concrete relaxation"})
    assert found.status_code == 200
    assert "The Concrete Distribution" in found.text
    assert "1 paper<" in found.text
    assert 'href="/papers/1611.00712"' in found.text  # no citation key yet: the arXiv id

    by_tag = client.get("/papers", params={"tag": "adversarial"}).text
    assert "Explaining and Harnessing Adversarial Examples" in by_tag
    assert "The Concrete Distribution" not in by_tag
    by_presenter = client.get("/papers", params={"presenter": "gaoji", "term": "2018Reads"}).text
    assert "Latent Constraints" in by_presenter and "2 papers" not in by_presenter
    assert "0 papers" in client.get("/papers", params={"q": "concrete", "year": 1999}).text

    everything = client.get("/papers").text
    assert "12 papers" in everything and 'rel="next"' not in everything
    assert client.get("/papers", params={"page": 0}).status_code == 422


def test_paper_page_ids_abstract_talks_bibtex(client: TestClient, catalog: Catalog) -> None:
    page = client.get("/papers/1611.00712")
    assert page.status_code == 200
    text = page.text
    assert "<h1>The Concrete Distribution" in text
    assert 'href="https://arxiv.org/abs/1611.00712"' in text
    # No key stored yet: the page shows the one `catalog export` would store, and
    # stores nothing; its links and downloads go by the arXiv id.
    key = "maddison2016concrete"
    assert catalog.find_paper("1611.00712").citation_key is None
    assert f"<code>{key}</code> <span class=\"muted\">(not stored yet" in text
    assert f"@inproceedings{{{key}," in text  # published at ICLR
    assert 'data-copy="bibtex"' in text and 'src="/static/copy.js"' in text
    # The talk that presented it, linked to its session row, with its presenter.
    assert f'href="/sessions/{SLUG}#talk-1"' in text and ">Arshdeep</a>" in text
    assert 'href="/papers/1611.00712.bib"' in text and f">{key}.bib</a>" in text
    assert 'href="/papers/1611.00712.csl.json"' in text

    bib = client.get("/papers/1611.00712.bib")
    assert bib.status_code == 200
    assert bib.headers["content-disposition"] == f'attachment; filename="{key}.bib"'
    from markupsafe import escape

    assert f"<pre id=\"bibtex\"><code>{escape(bib.text)}</code></pre>" in text  # what is copied
    csl = client.get("/papers/1611.00712.csl.json").json()
    assert csl[0]["id"] == key and csl[0]["title"].startswith("The Concrete")
    assert catalog.find_paper("1611.00712").citation_key is None

    # `catalog export` stores the very key the page showed; the page then says so, and
    # the download is byte for byte what the command writes.
    expected = io.StringIO()
    run_export(catalog, "bibtex", Selection(papers=("1611.00712",)), expected, ExportOptions())
    assert catalog.find_paper("1611.00712").citation_key == key
    assert expected.getvalue() == bib.text
    stored = client.get(f"/papers/{key}").text
    assert f"<code>{key}</code></dd>" in stored and f'href="/papers/{key}.bib"' in stored
    assert client.get(f"/papers/{key}.bib").text == bib.text
    assert client.get("/papers/1611.00712").status_code == 200  # the old link still works


def test_a_shown_key_is_stable_and_never_a_stored_one(
    client: TestClient, catalog: Catalog
) -> None:
    from catalog.exporting import ensure_citation_keys

    # Another paper already holds the Concrete paper's natural key (a .bib import).
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE paper SET citation_key = 'Maddison2016Concrete' WHERE arxiv_id = '1804.01694'"
        )
    pages = [client.get("/papers/1611.00712").text for _ in range(2)]
    assert pages[0] == pages[1]  # the same key on every request
    assert "@inproceedings{maddison2016concretea," in pages[0]
    assert catalog.find_paper("1611.00712").citation_key is None
    bib = client.get("/papers/1611.00712.bib")
    assert bib.headers["content-disposition"].endswith('filename="maddison2016concretea.bib"')
    # The key the first export stores is the one the page showed.
    view = catalog.find_paper("1611.00712")
    ensure_citation_keys(catalog, [view])
    assert view.citation_key == "maddison2016concretea"


def test_a_paper_waiting_for_authors_links_by_its_id(client: TestClient, catalog: Catalog) -> None:
    from dataclasses import replace

    from tests.web_fixtures import hostile_record

    record = replace(hostile_record(), arxiv_id="2101.00002", title="Untitled", authors=())
    catalog.upsert_arxiv([record])
    page = client.get("/papers/2101.00002").text
    # Its key is for now only (an export would not store it until it has authors).
    assert catalog.find_paper("2101.00002").citation_key is None
    assert "@misc{2021untitled," in page and "still lacks its authors or year" in page
    assert 'href="/papers/2101.00002.bib"' in page
    assert client.get("/papers/2101.00002.bib").status_code == 200
    # A paper with neither a key nor an arXiv id is named by its catalog number.
    tricks = catalog.search("tricks").papers[0]
    assert tricks.arxiv_id is None and tricks.citation_key is None
    assert f'href="/papers/{tricks.id}"' in client.get("/papers", params={"q": "tricks"}).text
    assert client.get(f"/papers/{tricks.id}").status_code == 200


def test_sessions_by_term_and_session_table(client: TestClient) -> None:
    listing = client.get("/sessions").text
    assert listing.index("<h2>2019Reads</h2>") < listing.index("<h2>2018Reads</h2>")
    page = client.get(f"/sessions/{SLUG}")
    assert page.status_code == 200
    rows = re.findall(r'<tr id="talk-(\d+)">', page.text)
    assert rows == ["1", "2", "3", "4", "5"]
    assert 'href="/presenters/Arshdeep"' in page.text
    assert 'href="/papers/1611.00712"' in page.text
    # Slides under {{site.baseurl}} are the site's, not ours: shown, not linked.
    assert "DEEP-07162018-Gumbel-Softmax.pdf" in page.text
    assert 'href="{{site.baseurl}}' not in page.text
    post = client.get(f"/sessions/{SLUG}/post.md")
    assert post.status_code == 200 and post.text.startswith("---\nlayout: post\n")


def test_presenters_and_presenter_page(client: TestClient) -> None:
    listing = client.get("/presenters").text
    assert listing.index("Arshdeep") < listing.index("Bill")  # most talks first
    page = client.get("/presenters/arshdeep")  # names match case-insensitively
    assert page.status_code == 200
    assert "<h1>Arshdeep</h1>" in page.text and "4 talks" in page.text


def test_exports_take_catalog_exports_filters(client: TestClient, catalog: Catalog) -> None:
    for suffix, fmt in (("bib", "bibtex"), ("json", "json"), ("csl.json", "csl")):
        got = client.get(f"/export.{suffix}", params={"term": "2019Reads", "abstracts": "true"})
        assert got.status_code == 200
        expected = io.StringIO()
        run_export(
            catalog, fmt, Selection(terms=("2019Reads",)), expected, ExportOptions(abstracts=True)
        )
        assert got.text == expected.getvalue()
    runner = CliRunner()
    cli_out = runner.invoke(cli, ["export", "bibtex", "--session", SLUG], catch_exceptions=False)
    assert client.get("/export.bib", params={"session": SLUG}).text == cli_out.stdout
    unknown = client.get("/export.bib", params={"session": "2018-07-31-generativ"})
    assert unknown.status_code == 404 and SLUG in unknown.text
    assert client.get("/export.bib", params={"since": "yesterday"}).status_code == 422


# -- the JSON API --------------------------------------------------------------------------


def test_papers_past_the_bound_say_more_than_and_page_on(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.store import search
    from catalog.web import views

    catalog.upsert_arxiv(
        [
            ArxivRecord(
                arxiv_id=f"1601.{i:05d}", version=1, title=f"Kernel paper {i}",
                authors=("Ann Author",), abstract="About a kernel.",
                published=datetime(2016, 1, 4, tzinfo=UTC),
                updated=datetime(2016, 1, 4, tzinfo=UTC),
            )
            for i in range(1, 8)
        ]
    )  # fmt: skip
    monkeypatch.setattr(search, "BOUND", 3)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    first = client.get("/papers", params={"q": "kernel"}).text
    assert "More than 3 papers, page 1" in first and 'rel="next"' in first
    seen: list[str] = []
    page = 1
    while True:
        api = client.get("/api/papers", params={"q": "kernel", "page": page}).json()
        assert api["total"] == 3 and api["total_is_exact"] is False
        assert api["per_page"] == 2 and api["pages"] >= page
        seen += [p["arxiv_id"] for p in api["papers"]]
        html = client.get("/papers", params={"q": "kernel", "page": page}).text
        assert ('rel="next"' in html) == api["has_next"]
        if not api["has_next"]:
            break
        page += 1
    assert sorted(seen) == [f"1601.{i:05d}" for i in range(1, 8)]
    assert "past the 3 ranked" in client.get("/papers", params={"q": "kernel", "page": 3}).text
    exact = client.get("/api/papers", params={"q": "concrete"}).json()
    assert (exact["total"], exact["total_is_exact"], exact["has_next"]) == (1, True, False)


def test_a_paper_is_reachable_by_the_provisional_key_lists_give_it(
    client: TestClient, catalog: Catalog
) -> None:
    keys = []
    for session in client.get("/api/sessions").json()["sessions"]:
        doc = client.get(f"/api/sessions/{session['slug']}").json()
        keys += [(p["citation_key"], p["title"]) for p in doc["papers"]]
    stored = {p.citation_key for p in catalog.list_papers()}
    provisional = [(k, t) for k, t in keys if k not in stored]
    assert len(provisional) >= 5  # none stored yet: what a GET shows, never stores
    assert any(not re.search(r"\d{4}", k) for k, _ in provisional)  # a paper with no year
    for key, title in provisional:
        api = client.get(f"/api/papers/{key}")
        assert api.status_code == 200, key
        assert api.json()["title"] == title and api.json()["citation_key"] is None
        page = client.get(f"/papers/{key}")
        assert page.status_code == 200 and key in page.text
        assert client.get(f"/papers/{key}.bib").text.startswith("@")
    assert {p.citation_key for p in catalog.list_papers()} == stored  # nothing written
    missing = client.get("/papers/nosuch2016concrete")  # the shape of a key, no such paper
    assert missing.status_code == 404


def test_api_papers_in_the_json_exports_shape(client: TestClient) -> None:
    found = client.get("/api/papers", params={"q": "adversarial examples"}).json()
    assert found["total"] == 1 and found["page"] == 1 and found["per_page"] == 50
    assert found["papers"][0]["title"] == "Explaining and Harnessing Adversarial Examples"
    paper = found["papers"][0]
    assert set(paper) >= {"citation_key", "arxiv_id", "title", "authors", "abstract", "url"}
    one = client.get("/api/papers/1611.00712").json()
    assert one["title"].startswith("The Concrete Distribution")
    assert one["citation_key"] is None  # as `catalog show --format json`: none stored yet
    assert one["talks"][0]["session"] == SLUG and one["talks"][0]["presenter"] == "Arshdeep"
    assert "versions" in one


def test_api_sessions_and_presenters(client: TestClient) -> None:
    sessions = client.get("/api/sessions").json()["sessions"]
    assert sessions[0] == {
        "slug": SLUG, "date": "2018-07-31",
        "title": "Generative18 - A few more DNN generative models",
        "term": "2018Reads", "categories": ["5Generative"], "tags": ["generative", "discrete"],
        "talks": 5, "papers": 5, "presenters": 2,
    }  # fmt: skip
    doc = client.get(f"/api/sessions/{SLUG}").json()
    assert set(doc) == {"papers", "sessions", "presenters"}
    talks = doc["sessions"][0]["presentations"]
    keys = {p["citation_key"] for p in doc["papers"]}
    assert all(set(t["papers"]) <= keys for t in talks) and len(talks) == 5
    presenters = client.get("/api/presenters").json()["presenters"]
    assert presenters[0] == {"name": "Arshdeep", "talks": 4, "papers": 4, "sessions": 1}
    gaoji = client.get("/api/presenters/GaoJi").json()
    assert gaoji["talks"][0]["session"] == SLUG


def test_api_docs_work_offline(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    for path in ("/api/papers", "/api/papers/{ref}", "/api/sessions/{slug}", "/api/presenters"):
        assert f"<code>{path}</code>" in docs.text
    # Nothing from elsewhere: every script, style and image is this server's.
    assert not re.search(r'(src|href)="(https?:)?//', docs.text.replace("noreferrer", ""))
    spec = client.get("/api/openapi.json").json()
    assert "/api/papers" in spec["paths"] and spec["info"]["title"] == "catalog"


def test_identifiers_and_links_a_page_may_follow() -> None:
    from catalog.records import Identifier, PaperView
    from catalog.web.views import identifier_links, safe_href

    paper = PaperView(
        id=1,
        title="BERT",
        arxiv_id="1810.04805",
        doi="10.18653/v1/N19-1423",  # the view's column, as written
        identifiers=[
            Identifier("arxiv", "1810.04805"),
            Identifier("doi", "10.18653/v1/n19-1423"),  # the same DOI, canonical
            Identifier("acl", "N19-1423"),
            Identifier("openreview", "BkpiPMbA-"),
            Identifier("neurips", "5346"),  # a legacy number: no page of its own
            Identifier("doi", "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"),
        ],
    )
    assert identifier_links(paper) == [
        ("arXiv", "1810.04805", "https://arxiv.org/abs/1810.04805"),
        ("DOI", "10.18653/v1/n19-1423", "https://doi.org/10.18653/v1/n19-1423"),
        ("ACL Anthology", "N19-1423", "https://aclanthology.org/N19-1423/"),
        ("OpenReview", "BkpiPMbA-", "https://openreview.net/forum?id=BkpiPMbA-"),
        ("NeurIPS", "5346", None),  # shown as text
        (
            "DOI",
            "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0",
            "https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E3.0.co;2-0",
        ),
    ]
    # A view made without the identifier rows still links its arXiv id and DOI.
    bare = PaperView(id=2, title="x", arxiv_id="1611.00712", doi="10.1038/NATURE20101")
    assert [url for _, _, url in identifier_links(bare)] == [
        "https://arxiv.org/abs/1611.00712",
        "https://doi.org/10.1038/nature20101",
    ]
    assert safe_href("https://arxiv.org/abs/1611.00712") == "https://arxiv.org/abs/1611.00712"
    for url in ("javascript:alert(1)", "{{site.baseurl}}/x.pdf", "//evil.example/", "data:,x", ""):
        assert safe_href(url) is None


def test_paper_page_shows_where_it_was_published(client: TestClient, catalog: Catalog) -> None:
    from tests.web_fixtures import SICI_DOI

    text = client.get("/papers/1802.02550").text
    assert re.search(
        r'<p class="meta" id="published"><span class="badge">conference paper</span> '
        r"Proceedings of the 35th International Conference on "
        r"Machine Learning 80\(3\), pp\. 2678-2687, PMLR · 2018</p>",
        text,
    ), text
    # Every identifier is a link; the DOI's "<" and ">" are encoded in its href and
    # escaped in its text.
    doi_link = '<dt>DOI</dt><dd><a href="https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693'
    assert doi_link in text
    assert "49:8&lt;693::aid-asi4&gt;3.0.co;2-0</a>" in text
    assert '<dt>PMLR</dt><dd><a href="https://proceedings.mlr.press/v80/kim18e.html"' in text
    concrete = client.get("/papers/1611.00712").text
    # Published in 2017 (DBLP), though on arXiv since 2016: the year is the venue's.
    assert "</span> ICLR (Poster), OpenReview.net · 2017</p>" in concrete
    assert 'href="https://openreview.net/forum?id=S1jE5L5gl"' in concrete
    assert 'href="https://dblp.org/rec/conf/iclr/MaddisonMT17.html"' in concrete

    # Lists show venue and year.
    listing = client.get("/papers", params={"q": "semi amortized"}).text
    assert "Proceedings of the 35th International Conference on Machine Learning · 2018" in listing
    presenter = client.get("/presenters/Arshdeep").text
    assert "ICLR (Poster) 2017" in presenter

    # The JSON API carries the JSON export's record: identifiers, year, kind, venue...
    api = client.get("/api/papers/1802.02550").json()
    assert api["identifiers"] == [
        {"scheme": "arxiv", "value": "1802.02550"},
        {"scheme": "doi", "value": SICI_DOI},
        {"scheme": "pmlr", "value": "v80/kim18e"},
    ]
    assert (api["year"], api["kind"], api["volume"], api["issue"], api["pages"]) == (
        2018, "proceedings", "80", "3", "2678-2687",
    )  # fmt: skip
    assert api["publisher"] == "PMLR" and api["item_type"] == "paper"
    listed = client.get("/api/papers", params={"q": "semi amortized"}).json()["papers"][0]
    assert {k: v for k, v in listed.items()} == {
        k: v for k, v in api.items() if k not in ("versions", "talks")
    }

    # An item that is no paper says what it is.
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE paper SET item_type = 'video' WHERE arxiv_id = '1804.01694'")
    video = client.get("/papers/1804.01694").text
    assert '<p class="meta" id="published"><span class="badge">video</span>' in video
    assert '<span class="badge">video</span>' in client.get("/papers", params={"q": "fbgan"}).text


def test_year_filter_is_the_year_shown(client: TestClient) -> None:
    # The Concrete paper: arXiv 1611 (2016), published 2017; shown and found as 2017.
    in_2017 = client.get("/api/papers", params={"q": "concrete", "year": 2017}).json()
    assert [p["arxiv_id"] for p in in_2017["papers"]] == ["1611.00712"]
    assert client.get("/api/papers", params={"q": "concrete", "year": 2016}).json()["total"] == 0
    page = client.get("/papers", params={"year": 2017}).text
    assert "The Concrete Distribution" in page and "ICLR (Poster) · 2017" in page
    # Papers with no published record: the year their arXiv id names.
    in_2018 = client.get("/api/papers", params={"year": 2018}).json()["papers"]
    assert "1804.01694" in {p["arxiv_id"] for p in in_2018}


# -- errors --------------------------------------------------------------------------------


def test_unknown_keys_are_404s_naming_the_nearest(client: TestClient, catalog: Catalog) -> None:
    run_export(catalog, "bibtex", Selection(), io.StringIO(), ExportOptions())  # stores keys
    page = client.get("/papers/maddison2016concret")
    assert page.status_code == 404
    assert "did you mean maddison2016concrete?" in page.text
    api = client.get("/api/papers/maddison2016concret")
    assert api.status_code == 404
    assert api.json() == {
        "status": 404,
        "detail": "no paper 'maddison2016concret' in the catalog; did you mean "
        "maddison2016concrete?",
    }
    session = client.get("/api/sessions/2018-07-31-generativ").json()
    assert session["status"] == 404 and SLUG in session["detail"]
    assert "did you mean Arshdeep" in client.get("/presenters/Arshdep").text
    nothing = client.get("/api/nothing")
    assert nothing.status_code == 404 and nothing.json()["detail"] == "no page /api/nothing"
    bad = client.get("/api/papers", params={"year": "soon"})
    assert bad.status_code == 422 and "'year'" in bad.json()["detail"]


def test_database_errors_show_no_url(migrated_sqlite_url: str, tmp_path: Path) -> None:
    with Catalog.open(migrated_sqlite_url) as catalog:
        with catalog.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE presenter")
        app = create_app(ServeConfig(), catalog)
        with TestClient(app, raise_server_exceptions=False) as client:
            page = client.get("/presenters")
            api = client.get("/api/presenters")
    assert page.status_code == 500 and api.status_code == 500
    assert api.json()["detail"] == "database error; see the server's log"
    for text in (page.text, api.text):
        assert str(tmp_path) not in text and "sqlite" not in text.lower()


# -- safety --------------------------------------------------------------------------------


def test_hostile_text_shows_as_text(client: TestClient) -> None:
    pages = [
        client.get("/papers", params={"q": "trudy"}).text,
        client.get(f"/papers/{HOSTILE_ID}").text,
        client.get("/sessions/2019-05-01-hostile").text,
        client.get("/").text,
        client.get("/presenters/Mallory").text,
    ]
    for text in pages:
        assert "<script>alert" not in text and "<img src=x" not in text
        assert 'href="javascript:' not in text
    paper = pages[1]
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in paper
    assert "Eve &lt;b&gt;Evil&lt;/b&gt;, Trudy &amp; Co" in paper
    assert "$x&lt;y$ &amp; $a&gt;b$" in paper  # TeX as written, escaped
    session = pages[2]
    assert "&lt;script&gt;alert(&#39;post&#39;)&lt;/script&gt; &amp; friends" in session
    assert "javascript:alert(4)" in session  # shown as text, never a link
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in pages[0]  # the search hit
    found = client.get("/api/papers", params={"q": "trudy"}).json()["papers"]
    assert [p["title"] for p in found] == [HOSTILE_TITLE]  # JSON is lossless: not escaped


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in ("/", "/papers/nope", "/api/papers", "/api/nothing", "/static/style.css"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    page = client.get("/").text
    assert "<script>" not in page and " style=" not in page and " onclick=" not in page


def test_host_check_refuses_other_names(make_client: MakeClient) -> None:
    config = ServeConfig.for_host("127.0.0.1", 8000)
    client = make_client(allowed_hosts=config.allowed_hosts)
    assert client.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    rebound = client.get("/", headers={"host": "attacker.example:8000"})
    assert rebound.status_code == 421


def test_request_bodies_are_bounded(make_client: MakeClient) -> None:
    client = make_client(edit=True, max_body=1024)
    page = client.get(f"/sessions/{SLUG}")
    body = {"csrf_token": csrf_of(page.text), "title": "x" * 5000}
    announced = client.post(f"/sessions/{SLUG}/talks", data=body)
    assert announced.status_code == 413
    assert announced.json()["detail"] == "request body too large: at most 1024 bytes"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"title=" + b"y" * 500 + b"&"

    streamed = client.post(
        f"/sessions/{SLUG}/talks",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert len(get_session(client.app.state.catalog, SLUG).presentations) == 5
    assert client.get("/papers", params={"q": "x" * 501}).status_code == 422


# -- read-only mode --------------------------------------------------------------------------


def test_read_only_has_no_edit_route(client: TestClient, catalog: Catalog) -> None:
    routes = app_routes(client.app)
    assert "/papers/{ref:path}" in routes and "/sessions/{slug}/talks" not in routes
    assert set().union(*routes.values()) <= {"GET", "HEAD", "MOUNT"}
    assert client.post("/sessions/new", data={"slug": "2020-01-01-x"}).status_code in (404, 405)
    assert client.post(f"/sessions/{SLUG}/talks/1/remove").status_code == 404
    assert client.post("/presenters/Bill/rename", data={"new": "B"}).status_code == 404
    assert 'name="csrf_token"' not in client.get(f"/sessions/{SLUG}").text
    assert len(get_session(catalog, SLUG).presentations) == 5


def _every_get(catalog: Catalog) -> dict[str, list[str]]:
    """For each GET route, the requests that exercise it: papers by stored key, arXiv
    id and number (no key stored, or none settled), 404s, filters, every export."""
    tricks = catalog.search("tricks").papers[0].id
    refs = ["maddison2016concrete", "1804.01694", str(tricks), "2101.00001", "nosuchpaper"]
    searches = ["", "?q=concrete", "?year=2017", "?tag=generative&presenter=Arshdeep", "?page=2"]
    exports = ["", f"?session={SLUG}", "?term=2019Reads&abstracts=true", "?paper=1804.01694"]
    return {
        "/": ["/"],
        "/papers": [f"/papers{q}" for q in searches],
        "/papers/{ref:path}": [f"/papers/{r}" for r in refs],
        "/papers/{ref:path}.bib": [f"/papers/{r}.bib" for r in refs],
        "/papers/{ref:path}.csl.json": [f"/papers/{r}.csl.json" for r in refs],
        "/sessions": ["/sessions"],
        "/sessions/{slug}": [f"/sessions/{SLUG}", "/sessions/2019-05-01-hostile", "/sessions/x"],
        "/sessions/{slug}/post.md": [f"/sessions/{SLUG}/post.md"],
        "/presenters": ["/presenters"],
        "/presenters/{name}": ["/presenters/Arshdeep", "/presenters/Mallory"],
        "/check": ["/check"],
        "/export.bib": [f"/export.bib{q}" for q in exports],
        "/export.json": [f"/export.json{q}" for q in exports],
        "/export.csl.json": [f"/export.csl.json{q}" for q in exports],
        "/api/papers": [f"/api/papers{q}" for q in searches],
        "/api/papers/{ref:path}": [f"/api/papers/{r}" for r in refs],
        "/api/sessions": ["/api/sessions"],
        "/api/sessions/{slug}": [f"/api/sessions/{SLUG}", "/api/sessions/2019-05-01-hostile"],
        "/api/presenters": ["/api/presenters"],
        "/api/presenters/{name}": ["/api/presenters/GaoJi"],
        "/api/check": ["/api/check"],
        "/api/docs": ["/api/docs"],
        "/api/openapi.json": ["/api/openapi.json"],
        "/static": ["/static/style.css", "/static/copy.js"],
        "/sessions/new": ["/sessions/new"],  # with --edit
        "/login": ["/login"],
    }


def app_routes(app: Any) -> dict[str, set[str]]:
    """Every route of the application: path -> methods ("MOUNT" for /static). FastAPI
    0.116+ keeps included routers as one entry each, listing their routes lazily."""
    from starlette.routing import Mount

    found: dict[str, set[str]] = {}

    def visit(route: Any, path: str | None = None) -> None:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                visit(context.original_route, context.path)
            return
        methods = {"MOUNT"} if isinstance(route, Mount) else set(route.methods or ())
        found.setdefault(path or route.path, set()).update(methods)

    for route in app.routes:
        visit(route)
    return found


def _get_routes(app: Any) -> set[str]:
    return {path for path, methods in app_routes(app).items() if methods & {"GET", "MOUNT"}}


@pytest.mark.parametrize("edit", [False, True], ids=["read-only", "edit"])
def test_a_get_never_writes(migrated_db_url: str, tmp_path: Path, edit: bool) -> None:
    """Every page, download and API call leaves the database as it was: on SQLite byte
    for byte, on PostgreSQL through a connection whose transactions are read-only (a
    user without write rights), where any write would be a 500."""
    from sqlalchemy.engine import make_url

    from catalog.exporting import ensure_citation_keys
    from tests.web_fixtures import EXAMPLES

    with Catalog.open(migrated_db_url) as writer:
        fill(writer, tmp_path)
        ensure_citation_keys(writer, [writer.find_paper("1611.00712")])  # one key stored
    url = make_url(migrated_db_url)
    sqlite_file = Path(url.database or "") if url.get_backend_name() == "sqlite" else None
    if sqlite_file is None:
        url = url.update_query_dict({"options": "-c default_transaction_read_only=on"})
    before = sqlite_file.read_bytes() if sqlite_file else b""
    config = ServeConfig(edit=edit, posts=(EXAMPLES,))
    with Catalog.open(url.render_as_string(hide_password=False)) as catalog:
        if sqlite_file is None:  # the setting bites: a write is refused
            from sqlalchemy.exc import InternalError

            with pytest.raises(InternalError, match="read-only transaction"):
                ensure_citation_keys(catalog, [catalog.find_paper("1804.01694")])
        app = create_app(config, catalog)
        requests = _every_get(catalog)
        if not edit:
            del requests["/sessions/new"], requests["/login"]
        assert set(requests) == _get_routes(app)  # a new route must be added here
        with TestClient(app, raise_server_exceptions=False) as client:
            for urls in requests.values():
                for path in urls:
                    got = client.get(path)
                    assert got.status_code in (200, 404), (path, got.status_code, got.text)
    if sqlite_file is not None:  # closed: anything written is in the file by now
        assert not sqlite_file.with_name(sqlite_file.name + "-wal").exists()
        assert sqlite_file.read_bytes() == before


# -- editing -------------------------------------------------------------------------------


def test_plan_a_session_through_the_forms(
    make_client: MakeClient, catalog: Catalog, arxiv_server: ArxivStandIn, tmp_path: Path
) -> None:
    client = make_client(edit=True)
    form = client.get("/sessions/new")
    assert form.status_code == 200
    token = csrf_of(form.text)
    created = client.post(
        "/sessions/new",
        data={
            "csrf_token": token, "slug": "2020-02-02-plan", "title": "Plan20 <i>now</i>",
            "term": "2020Reads", "tags": "plan, test", "categories": "", "date": "", "desc": "",
        },
    )  # fmt: skip
    assert created.status_code == 303 and created.headers["location"] == "/sessions/2020-02-02-plan"
    view = get_session(catalog, "2020-02-02-plan")
    assert view.title == "Plan20 <i>now</i>" and view.tags == ["plan", "test"]

    def post(path: str, **data: str) -> Any:
        return client.post(path, data={"csrf_token": token, **data})

    # Papers by any id catalog add takes, fetched from the arXiv stand-in.
    added = post(
        "/sessions/2020-02-02-plan/talks",
        ids="arxiv:1611.00712 https://arxiv.org/abs/1804.01694",
        presenter="Arshdeep",
        slides="https://example.org/s.pdf",
    )
    assert added.status_code == 303
    assert any("1611.00712" in r.ids for r in arxiv_server.log)
    assert (
        post("/sessions/2020-02-02-plan/talks", title="A survey", presenter="Ji").status_code == 303
    )
    talks = get_session(catalog, "2020-02-02-plan").presentations
    assert [(t.presenter, t.title[:20]) for t in talks] == [
        ("Arshdeep", "The Concrete Distrib"),
        ("Arshdeep", "Feedback GAN (FBGAN)"),
        ("Ji", "A survey"),
    ]
    assert post("/sessions/2020-02-02-plan/talks/3/move", to="1").status_code == 303
    assert post("/sessions/2020-02-02-plan/talks/2/remove").status_code == 303
    talks = get_session(catalog, "2020-02-02-plan").presentations
    assert [t.title[:8] for t in talks] == ["A survey", "Feedback"]

    # Refusals show the page again with the reason, and change nothing.
    bad = post("/sessions/2020-02-02-plan/talks", ids="2301.1234")
    assert bad.status_code == 400 and "not a paper identifier: &#39;2301.1234&#39;" in bad.text
    missing = post("/sessions/2020-02-02-plan/talks", ids="1901.99999")
    assert missing.status_code == 400 and "not found on arXiv; no talk added" in missing.text
    assert post("/sessions/2020-02-02-plan/talks/9/move", to="1").status_code == 404
    assert len(get_session(catalog, "2020-02-02-plan").presentations) == 2
    taken = post("/sessions/new", slug="2020-02-02-plan", title="Again")
    assert taken.status_code == 400 and "already exists" in taken.text

    renamed = post("/presenters/Ji/rename", new="Gao Ji")
    assert renamed.status_code == 303 and renamed.headers["location"] == "/presenters/Gao%20Ji"
    assert "Gao Ji" in {p.name for p in list_presenters(catalog)}

    post_md = client.get("/sessions/2020-02-02-plan/post.md")
    path = tmp_path / "2020-02-02-plan.md"
    path.write_text(post_md.text, encoding="utf-8")
    checked = CliRunner().invoke(cli, ["check", str(path)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.stdout


def test_csrf_refusals(make_client: MakeClient, catalog: Catalog) -> None:
    client = make_client(edit=True)
    token = csrf_of(client.get(f"/sessions/{SLUG}").text)
    path = f"/sessions/{SLUG}/talks/1/remove"
    assert client.post(path).status_code == 403
    assert client.post(path, data={"csrf_token": "0" * 64}).status_code == 403
    other = make_client(edit=True)  # another browser: its own cookie; our token is no use
    other.get("/")
    refused = other.post(path, data={"csrf_token": token})
    assert refused.status_code == 403 and "CSRF token" in refused.text
    from_elsewhere = client.post(
        path, data={"csrf_token": token}, headers={"origin": "https://attacker.example"}
    )
    assert from_elsewhere.status_code == 403
    assert len(get_session(catalog, SLUG).presentations) == 5
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    assert len(get_session(catalog, SLUG).presentations) == 4


def test_edit_token(make_client: MakeClient, catalog: Catalog) -> None:
    client = make_client(edit=True, token=TOKEN)
    assert client.get("/sessions/new").headers["location"] == "/login?next=/sessions/new"
    token = csrf_of(client.get("/login").text)
    path = f"/sessions/{SLUG}/talks/1/remove"
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    wrong = client.post("/login", data={"csrf_token": token, "token": "guess", "next": "/"})
    assert wrong.status_code == 403 and "wrong token" in wrong.text
    assert client.post("/login", data={"token": TOKEN}).status_code == 403  # CSRF too
    logged = client.post(
        "/login", data={"csrf_token": token, "token": TOKEN, "next": "//elsewhere.example/"}
    )
    assert logged.status_code == 303 and logged.headers["location"] == "/"
    assert client.get("/sessions/new").status_code == 200
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    assert len(get_session(catalog, SLUG).presentations) == 4


def test_edit_beyond_loopback_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ServeOptionError, match="needs --token"):
        ServeConfig.for_host("0.0.0.0", 8000, edit=True)
    assert ServeConfig.for_host("0.0.0.0", 8000, edit=True, token=TOKEN).allowed_hosts is None
    assert ServeConfig.for_host("127.0.0.2", 8000, edit=True).edit
    monkeypatch.delenv("CATALOG_SERVE_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--edit"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "needs --token" in result.stderr


def test_serve_names_an_address_in_use() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"catalog: error: cannot listen on 127.0.0.1:{port}: address already in use; "
        "choose another --port or --host\n"
    )


def test_serve_without_the_web_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert result.stderr == (
        "catalog: error: catalog serve needs the web extra (fastapi missing): "
        "pip install 'catalog[web]'\n"
    )


def test_catalog_help_imports_no_web_library() -> None:
    import subprocess

    code = (
        "import sys; from catalog.cli.main import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "web = ('fastapi', 'starlette', 'jinja2', 'uvicorn')\n"
        "print(sorted(m for m in web if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]")


# -- /check --------------------------------------------------------------------------------


def test_check_page_shows_findings_by_file(make_client: MakeClient, tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "posts"
    posts = tmp_path / "site_posts"
    posts.mkdir()
    for name in ("2019-01-22-rotation.md", "2019-02-05-orphans.md"):
        (posts / name).write_text((fixtures / name).read_text(encoding="utf-8"), encoding="utf-8")
    client = make_client(posts=(posts,))
    page = client.get("/check")
    assert page.status_code == 200
    cli_json = CliRunner().invoke(cli, ["check", str(posts), "--format", "json"])
    import json

    expected = json.loads(cli_json.stdout)
    api = client.get("/api/check").json()
    assert api["findings"] == expected["findings"] and api["files"] == 2
    for finding in expected["findings"]:
        assert f"<code>{finding['code']}</code>" in page.text
    assert page.text.count('<section class="file">') == len(
        {f["path"] for f in expected["findings"]}
    )
    assert "footnote-mismatch" in page.text and "use <code>[^" in page.text
    # A post fixed on disk is checked again on the next request.
    (posts / "2019-02-05-orphans.md").unlink()
    assert client.get("/api/check").json()["files"] == 1
    assert make_client().get("/check").status_code == 404

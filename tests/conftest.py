"""Shared test fixtures.

Every test runs isolated (autouse ``_isolated_env``): the database is
``tmp_path / "catalog.sqlite"`` and every outside service (arXiv, Crossref, DBLP, OpenReview,
the proceedings sites) is a local port that refuses connections, so no test can reach the
internet. A test that needs one asks for its stand-in: ``arxiv_server``, ``crossref_server``,
``dblp_server``, ``openreview_servers``, ``proceedings_server``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivStandIn
from tests.crossref_server import CrossrefStandIn
from tests.dblp_server import DblpStandIn
from tests.openreview_server import OpenReviewStandIn
from tests.proceedings_server import ProceedingsStandIn

pytest_plugins = ["tests.db_fixtures"]

ARXIV_TEST_DELAY = 0.01  # seconds between arXiv requests in tests


@pytest.fixture(scope="session")
def refused_arxiv_url() -> Iterator[str]:
    """A URL on 127.0.0.1 whose port is held (bound, never listening): connecting is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api/query"
    finally:
        sock.close()


# The metadata sources' endpoint and delay variables (catalog/sources/).
SOURCE_URLS = (
    "CATALOG_CROSSREF_URL",
    "CATALOG_DBLP_URL",
    "CATALOG_OPENREVIEW_URL",
    "CATALOG_OPENREVIEW_V1_URL",
    "CATALOG_PMLR_URL",
    "CATALOG_NEURIPS_URL",
    "CATALOG_ACL_URL",
)
SOURCE_DELAYS = (
    "CATALOG_CROSSREF_DELAY",
    "CATALOG_DBLP_DELAY",
    "CATALOG_OPENREVIEW_DELAY",
    "CATALOG_PROCEEDINGS_DELAY",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused_arxiv_url: str) -> None:
    monkeypatch.setenv("CATALOG_DB", str(tmp_path / "catalog.sqlite"))
    monkeypatch.setenv("CATALOG_ARXIV_URL", refused_arxiv_url)
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", str(ARXIV_TEST_DELAY))
    refused_base = refused_arxiv_url.removesuffix("/api/query")
    for name in SOURCE_URLS:
        monkeypatch.setenv(name, refused_base)
    for name in SOURCE_DELAYS:
        monkeypatch.setenv(name, "0")
    for name in ("CATALOG_SOURCES", "CATALOG_CONTACT_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CATALOG_OAI_URL", refused_arxiv_url.replace("/api/query", "/oai"))
    monkeypatch.setenv("CATALOG_OAI_DELAY", "0")


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivStandIn]:
    """A running arXiv stand-in (see tests/arxiv_server.py for its corpus and fault
    switches); ``CATALOG_ARXIV_URL`` points at it for the test."""
    with ArxivStandIn() as server:
        monkeypatch.setenv("CATALOG_ARXIV_URL", server.url)
        yield server


@pytest.fixture
def crossref_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefStandIn]:
    """A running Crossref stand-in (tests/crossref_server.py) serving the shared corpus
    (tests/fixtures/works.py); ``CATALOG_CROSSREF_URL`` points at it."""
    with CrossrefStandIn() as server:
        monkeypatch.setenv("CATALOG_CROSSREF_URL", server.url)
        yield server


@pytest.fixture
def dblp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DblpStandIn]:
    """A running DBLP stand-in (tests/dblp_server.py) serving the shared corpus;
    ``CATALOG_DBLP_URL`` points at it."""
    with DblpStandIn() as server:
        monkeypatch.setenv("CATALOG_DBLP_URL", server.url)
        yield server


@pytest.fixture
def openreview_servers(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[OpenReviewStandIn, OpenReviewStandIn]]:
    """OpenReview's two APIs as stand-ins (tests/openreview_server.py), ``(v2, v1)``;
    ``CATALOG_OPENREVIEW_URL`` and ``CATALOG_OPENREVIEW_V1_URL`` point at them."""
    with OpenReviewStandIn(api=2) as v2, OpenReviewStandIn(api=1) as v1:
        monkeypatch.setenv("CATALOG_OPENREVIEW_URL", v2.url)
        monkeypatch.setenv("CATALOG_OPENREVIEW_V1_URL", v1.url)
        yield v2, v1


@pytest.fixture
def proceedings_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProceedingsStandIn]:
    """PMLR, NeurIPS and ACL Anthology pages from one stand-in
    (tests/proceedings_server.py); their three variables point at it."""
    with ProceedingsStandIn() as server:
        for name in ("CATALOG_PMLR_URL", "CATALOG_NEURIPS_URL", "CATALOG_ACL_URL"):
            monkeypatch.setenv(name, server.url)
        yield server

"""Shared test fixtures.

Every test runs isolated (autouse ``_isolated_env``): the database is
``tmp_path / "catalog.sqlite"`` and arXiv is a local port that refuses connections, so no
test can reach the internet. A test that needs arXiv asks for ``arxiv_server``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivStandIn

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


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused_arxiv_url: str) -> None:
    monkeypatch.setenv("CATALOG_DB", str(tmp_path / "catalog.sqlite"))
    monkeypatch.setenv("CATALOG_ARXIV_URL", refused_arxiv_url)
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", str(ARXIV_TEST_DELAY))


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivStandIn]:
    """A running arXiv stand-in (see tests/arxiv_server.py for its corpus and fault
    switches); ``CATALOG_ARXIV_URL`` points at it for the test."""
    with ArxivStandIn() as server:
        monkeypatch.setenv("CATALOG_ARXIV_URL", server.url)
        yield server

"""The OAI-PMH stand-in (tests/oai_server.py) as the harvest tests rely on it: a request
logged as it arrives, so a hanging page shows; OAI-PMH's own faults beside the common
ones of tests/standin.py; and its standalone use."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.oai_server import OaiStandIn

ASK = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}


def ask(url: str) -> httpx.Response | Exception:
    try:
        return httpx.get(url, params=ASK, timeout=60)
    except httpx.HTTPError as exc:
        return exc


def test_a_request_is_logged_as_it_arrives_and_its_status_set_when_answered() -> None:
    with OaiStandIn(records=10, page_size=5) as server:
        server.script("slow:600", "ok", "cut")
        hung = threading.Thread(target=ask, args=(server.url,))
        hung.start()
        deadline = time.monotonic() + 60  # a bound on waiting, not a timed assertion
        while not server.log:
            assert time.monotonic() < deadline, "the request never arrived"
            time.sleep(0.01)
        assert server.log[0].params == ASK and server.log[0].status == -1  # still hanging
        server.clear_log()
        answered = ask(server.url)
        assert isinstance(answered, httpx.Response) and answered.status_code == 200
        assert isinstance(ask(server.url), httpx.RemoteProtocolError)  # half a page, then closed
        assert [e.status for e in server.log] == [200, 0]
    hung.join(timeout=60)  # stop() hangs up on it
    assert not hung.is_alive()
    # Cut short once the log was cleared: its status lands on no later request.
    assert [e.status for e in server.log] == [200, 0]


def test_oai_pmh_faults_and_the_common_ones() -> None:
    with OaiStandIn(records=10, page_size=5) as server, httpx.Client() as http:
        server.script("400:badArgument", "badResumptionToken", "503:retry-after=2", "reset")
        bad = http.get(server.url, params=ASK)
        assert bad.status_code == 400 and b"<error code='badArgument'>" in bad.content
        expired = http.get(server.url, params=ASK)
        assert expired.status_code == 200
        assert b"<error code='badResumptionToken'>Token expired</error>" in expired.content
        busy = http.get(server.url, params=ASK)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        with pytest.raises(httpx.TransportError):
            http.get(server.url, params=ASK)
        page = http.get(server.url, params=ASK)  # the script is used up: a normal page
        assert page.status_code == 200 and page.content.count(b"<record>") == 5
        assert [e.status for e in server.log] == [400, 200, 503, 0, 200]


def test_it_runs_standalone_until_sigterm() -> None:
    script = Path(__file__).with_name("oai_server.py")
    with subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--records", "12", "--page-size", "5",
         "--fault", "503"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()
            assert "(12 records, 5 a page)" in banner
            url = banner.split(" at ", 1)[1].split()[0]
            assert httpx.get(url, params=ASK, timeout=30).status_code == 503  # --fault
            assert httpx.get(url, params=ASK, timeout=30).content.count(b"<record>") == 5
        finally:
            proc.terminate()
        assert proc.wait(timeout=30) == 0

"""``catalog serve`` in a real browser: Debian's chromium, driven by selenium, against the
real command (uvicorn on 127.0.0.1) over a SQLite catalog, arXiv being the loopback
stand-in.

What a person does: search for a paper, open it, read and copy its BibTeX; with
``--edit``, plan a session through the forms and download a post that ``catalog check``
passes. Screenshots of the main pages are saved under ``artefacts/screenshots/`` (git-
ignored) for people to look at; a few of them are in docs/. A test that fails leaves
what the browser showed then under ``artefacts/browser-failures/TEST/``: a screenshot,
the page source, its URL, the browser's console log and the server's stderr.

Two of the example papers carry published records (tests/web_fixtures.py's PUBLISHED),
so the paper page shows identifiers as links and a venue, as a synced catalog does.

chromium and chromium-driver come from apt-get (installed here when missing, as the
PostgreSQL tests install postgresql); when neither is to be had, the tests are skipped
with the reason. Chromium runs headless with no network features and a new profile.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.arxiv_server import ArxivStandIn
from tests.web_fixtures import EXAMPLE_POSTS, publish

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artefacts" / "screenshots"
FAILURES = ROOT / "artefacts" / "browser-failures"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CATALOG = str(Path(sys.executable).with_name("catalog"))


def _browser_binaries() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def _install_chromium() -> None:
    """One ``apt-get install -y chromium chromium-driver`` (root only); xdist workers
    take turns."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open("/tmp/catalog-tests-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _browser_binaries() is not None:
            return
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "chromium", "chromium-driver"],
        ):
            cmd[1:1] = ["-o", "DPkg::Lock::Timeout=300"]
            subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    url: str
    db: str
    downloads: Path
    driver: Any
    server_log: Path

    def shot(self, name: str, width: int = 1200) -> None:
        """Save a screenshot of the whole page (beyond the window) as it is now."""
        import base64

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.set_window_size(width, 900)
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": width, "height": min(size["height"], 4000), "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
        self.driver.set_window_size(1200, 900)

    def keep_evidence(self, name: str, error: BaseException) -> Path:
        """Save what the browser shows now (and why the test failed) to
        ``artefacts/browser-failures/NAME/``; each part as far as the browser still
        answers."""
        folder = FAILURES / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "error.txt").write_text("".join(traceback.format_exception(error)))
        parts: dict[str, Callable[[], str | bytes]] = {
            "url.txt": lambda: str(self.driver.current_url),
            "page.html": lambda: str(self.driver.page_source),
            "screenshot.png": lambda: bytes(self.driver.get_screenshot_as_png()),
            "browser-log.txt": lambda: "\n".join(
                f"{e['level']} {e['message']}" for e in self.driver.get_log("browser")
            ),
            "server-stderr.txt": lambda: self.server_log.read_text(errors="replace"),
        }
        for filename, read in parts.items():
            try:
                content = read()
            except Exception as exc:  # a crashed browser: keep the rest
                content = f"could not be read: {exc!r}\n"
            target = folder / filename
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return folder


def leaves_evidence(test: Callable[[Site], None]) -> Callable[[Site], None]:
    """A browser test that, when it fails, keeps the screenshot and page source of the
    moment (:meth:`Site.keep_evidence`) and names the folder in its failure."""

    @functools.wraps(test)
    def run(site: Site) -> None:
        try:
            test(site)
        except BaseException as error:
            folder = site.keep_evidence(test.__name__, error)
            error.add_note(f"browser evidence: {folder}")
            raise

    return run


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium missing: pip install -e '.[dev]'")
    binaries = _browser_binaries()
    if binaries is None:
        _install_chromium()
        binaries = _browser_binaries()
    if binaries is None:
        pytest.skip("no chromium and chromedriver (apt-get install chromium chromium-driver)")
    chromium, chromedriver = binaries
    folder = tmp_path_factory.mktemp("browser")
    db = str(folder / "catalog.sqlite")
    posts = folder / "_posts"
    posts.mkdir()
    for post in EXAMPLE_POSTS:
        shutil.copy(post, posts / post.name)
    with ArxivStandIn() as arxiv:
        env = dict(
            os.environ, CATALOG_DB=db, CATALOG_ARXIV_URL=arxiv.url, CATALOG_ARXIV_DELAY="0.01"
        )
        subprocess.run([CATALOG, "import", str(posts)], env=env, check=True, capture_output=True)
        from catalog.store.catalog import Catalog

        with Catalog.open(db) as catalog:
            publish(catalog)  # as `catalog sync` leaves it: venues, DOIs, DBLP keys
        port = _free_port()
        server_log = folder / "serve.stderr"
        with server_log.open("wb") as log:
            server = subprocess.Popen(
                [CATALOG, "serve", "--port", str(port), "--edit", "--posts", str(posts)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(url, server, server_log)
            options = webdriver.ChromeOptions()
            options.binary_location = chromium
            for flag in CHROMIUM_FLAGS:
                options.add_argument(flag)
            options.add_argument(f"--user-data-dir={folder / 'profile'}")
            options.add_argument("--window-size=1200,900")
            downloads = folder / "downloads"
            downloads.mkdir()
            options.add_experimental_option(
                "prefs",
                {
                    "download.default_directory": str(downloads),
                    "download.prompt_for_download": False,
                },
            )
            driver = webdriver.Chrome(options=options, service=Service(chromedriver))
            try:
                driver.implicitly_wait(5)
                yield Site(url, db, downloads, driver, server_log)
            finally:
                driver.quit()
        finally:
            server.terminate()
            server.wait(timeout=20)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60  # a loaded CI machine starts Python slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"catalog serve exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"catalog serve did not answer at {url}: {log.read_text()}")


@leaves_evidence
def test_find_a_paper_and_copy_its_bibtex(site: Site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    d = site.driver
    d.get(site.url + "/")
    assert "10" in d.find_element(By.CSS_SELECTOR, ".counts").text
    site.shot("home")
    box = d.find_element(By.CSS_SELECTOR, "form.big-search input[name=q]")
    box.send_keys("concrete relaxation", Keys.ENTER)
    WebDriverWait(d, 30).until(ready.title_contains("concrete relaxation"))
    assert d.find_element(By.ID, "total").text == "1 paper"
    site.shot("search")
    d.find_element(
        By.LINK_TEXT,
        "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    ).click()
    WebDriverWait(d, 30).until(ready.title_contains("The Concrete Distribution"))
    # Where it was published, and its identifiers as links.
    assert "ICLR (Poster), OpenReview.net · 2017" in d.find_element(By.ID, "published").text
    dblp = d.find_element(By.LINK_TEXT, "conf/iclr/MaddisonMT17")
    assert dblp.get_attribute("href") == "https://dblp.org/rec/conf/iclr/MaddisonMT17.html"
    bibtex = d.find_element(By.ID, "bibtex").text
    assert bibtex.startswith("@inproceedings{maddison2016concrete,")
    assert "eprint = {1611.00712}" in bibtex

    button = d.find_element(By.CSS_SELECTOR, "button[data-copy=bibtex]")
    assert button.is_displayed()  # shown by the script; hidden when scripts are off
    button.click()
    WebDriverWait(d, 30).until(
        lambda _: d.find_element(By.CSS_SELECTOR, ".copied").text == "Copied"
    )
    site.shot("paper")
    # What was copied is on the clipboard: paste it into the search box.
    search = d.find_element(By.CSS_SELECTOR, "header input[name=q]")
    search.click()
    search.send_keys(Keys.CONTROL, "v")
    pasted = search.get_attribute("value") or ""
    assert pasted.startswith("@inproceedings{maddison2016concrete,") and "1611.00712" in pasted
    assert not [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


@leaves_evidence
def test_plan_a_session_and_download_a_post_that_passes_check(site: Site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    d = site.driver
    # A form POST replaces the page: elements found just before may be stale by now.
    from selenium.common.exceptions import StaleElementReferenceException

    wait = WebDriverWait(d, 30, ignored_exceptions=(StaleElementReferenceException,))
    d.get(site.url + "/sessions")
    site.shot("sessions")
    d.find_element(By.LINK_TEXT, "Plan a new session").click()
    form = d.find_element(By.ID, "new-session")
    for name, value in (
        ("slug", "2018-08-07-discrete"),
        ("title", "Discrete18 - Relaxations & estimators"),
        ("term", "2018Reads"),
        ("tags", "discrete, generative"),
    ):
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ready.title_contains("Discrete18"))

    def add(**fields: str) -> None:
        talk = d.find_element(By.ID, "add-talk")
        for name, value in fields.items():
            talk.find_element(By.NAME, name).send_keys(value)
        talk.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    add(ids="arxiv:1611.00712 https://arxiv.org/abs/1802.02550", presenter="Arshdeep",
        slides="https://example.org/slides/relax.pdf")  # fmt: skip
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")) == 2)
    add(title="Summary of score-function estimators", presenter="gao ji")
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")) == 3)
    add(ids="1804.01694", presenter="Arshdeep")
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")) == 4)

    row = d.find_element(By.ID, "talk-3")  # the survey talk, first
    to = row.find_element(By.NAME, "to")
    to.clear()
    to.send_keys("1")
    row.find_element(By.XPATH, ".//button[text()='Move']").click()
    wait.until(lambda _: "Summary of score" in d.find_element(By.ID, "talk-1").text)
    d.find_element(By.ID, "talk-4").find_element(By.XPATH, ".//button[text()='Remove']").click()
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")) == 3)
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")]
    assert "Summary of score-function estimators" in rows[0]
    assert "The Concrete Distribution" in rows[1] and "Semi-Amortized" in rows[2]
    site.shot("session-edit")
    site.shot("session-phone", width=400)

    add(ids="2301.1234")  # not an id: refused, with the reason, nothing changed
    error = d.find_element(By.CSS_SELECTOR, "p.error").text
    assert "not a paper identifier: '2301.1234'" in error
    assert len(d.find_elements(By.CSS_SELECTOR, "table.talks tbody tr")) == 3

    d.find_element(By.ID, "post-download").click()
    post = site.downloads / "2018-08-07-discrete.md"
    deadline = time.monotonic() + 30
    while not post.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert post.exists(), f"no download in {sorted(site.downloads.iterdir())}"
    text = post.read_text(encoding="utf-8")
    assert "title: Discrete18 - Relaxations & estimators" in text
    env = dict(os.environ, CATALOG_DB=site.db)
    checked = subprocess.run(
        [CATALOG, "check", str(post)], env=env, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "0 problems (0 errors, 0 warnings) in 1 file"

    d.get(site.url + "/check")  # the example posts, linted by catalog serve --posts
    assert d.find_element(By.ID, "summary").text == "0 problems (0 errors, 0 warnings) in 3 files"
    site.shot("check")
    for path, name in (("/presenters", "presenters"), ("/api/docs", "api")):
        d.get(site.url + path)
        site.shot(name)


def test_a_failing_browser_test_leaves_the_page_it_failed_on(site: Site) -> None:
    site.driver.get(site.url + "/presenters")

    @leaves_evidence
    def fails_here(site: Site) -> None:
        raise AssertionError("failed on purpose")

    with pytest.raises(AssertionError, match="failed on purpose") as failure:
        fails_here(site)
    folder = FAILURES / "fails_here"
    try:
        assert f"browser evidence: {folder}" in failure.value.__notes__
        assert (folder / "url.txt").read_text() == site.url + "/presenters"
        assert "<h1>Presenters</h1>" in (folder / "page.html").read_text()
        assert (folder / "screenshot.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert "failed on purpose" in (folder / "error.txt").read_text()
        assert "(editing on); Ctrl-C stops" in (folder / "server-stderr.txt").read_text()
        assert (folder / "browser-log.txt").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""`catalog import` of posts: sessions, presenters, papers, talks and footnote abstracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.store.catalog import Catalog
from catalog.store.sessions import session_views
from tests.arxiv_server import ArxivStandIn

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "000_f45d36f67d87432d.txt"
EXAMPLES = REPO / "examples" / "_posts"

SEED_PAPERS = {
    "1611.00712": ("The Concrete Distribution", "The reparameterization trick enables"),
    "1804.01694": ("Feedback GAN (FBGAN) for DNA", "Generative Adversarial Networks (GANs)"),
    "1711.05772": ("Latent Constraints", "Deep generative neural networks have proven"),
    "1802.02550": ("Semi-Amortized Variational Autoencoders", "Amortized variational inference"),
    "1804.01118": ("Synthesizing Programs for Images", "Advances in deep generative networks"),
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def seed_post(tmp_path: Path) -> Path:
    if not SEED.exists():
        pytest.skip(f"seed post not found at {SEED}")
    folder = tmp_path / "_posts"
    folder.mkdir()
    target = folder / "2018-07-31-Generative18.md"
    shutil.copy(SEED, target)
    return target


def test_seed_import_yields_one_session_with_its_papers_and_own_abstracts(
    seed_post: Path, db_url: str
) -> None:
    result = run("import", str(seed_post.parent))
    assert result.exit_code == 0, result.output + result.stderr
    with Catalog.open(db_url) as catalog:
        with catalog.read() as s:
            sessions = session_views(s)
        papers = {p.arxiv_id: p for p in catalog.list_papers()}
    assert [x.slug for x in sessions] == ["2018-07-31-Generative18"]
    session = sessions[0]
    assert session.title == "Generative18 -A few more DNN Generative Models"
    assert str(session.date) == "2018-07-31"
    assert session.tags == ["5Generative"] and session.categories == ["2018Reads"]
    assert sorted({t.presenter for t in session.presentations if t.presenter}) == [
        "Arshdeep",
        "GaoJi",
    ]
    assert len(session.presentations) == 7
    assert set(papers) == set(SEED_PAPERS)
    for arxiv_id, (title, abstract_start) in SEED_PAPERS.items():
        assert papers[arxiv_id].title.startswith(title)
        # The footnote that is really about the paper, not the one its row cites.
        assert (papers[arxiv_id].abstract or "").startswith(abstract_start), arxiv_id
    # Venues come from the footnotes; a bare year after the authors is not one.
    assert papers["1802.02550"].venue == "ICML 2018"
    assert papers["1611.00712"].venue is None
    summaries = [t for t in session.presentations if not t.papers]
    assert [t.position for t in summaries] == [3, 5]
    assert all(t.link_url == "" for t in summaries)
    assert summaries[0].title.startswith("Summary Of Several Autoencoder models")
    assert [t.papers[0].arxiv_id for t in session.presentations if t.papers] == [
        "1611.00712",
        "1804.01694",
        "1711.05772",
        "1802.02550",
        "1804.01118",
    ]


def test_reimport_is_idempotent_and_an_edit_updates(seed_post: Path, db_url: str) -> None:
    assert run("import", str(seed_post)).exit_code == 0
    again = run("import", str(seed_post))
    assert again.exit_code == 0
    assert again.output.startswith("unchanged")
    seed_post.write_text(
        seed_post.read_text(encoding="utf-8").replace(
            "JIConditionalGEN.pdf", "JIConditionalGEN-v2.pdf"
        ),
        encoding="utf-8",
    )
    edited = run("import", str(seed_post))
    assert edited.output.startswith("updated")
    listed = json.loads(run("list", "--format", "json").output)
    assert len(listed) == 5  # the same papers, not new ones
    # Presenter names match case- and space-insensitively: no new presenter, no change.
    seed_post.write_text(
        seed_post.read_text(encoding="utf-8").replace("| GaoJi | Latent", "| gao ji | Latent"),
        encoding="utf-8",
    )
    assert run("import", str(seed_post)).output.startswith("unchanged")


def test_dry_run_writes_nothing(seed_post: Path, tmp_path: Path) -> None:
    result = run("import", "--dry-run", str(seed_post))
    assert result.exit_code == 0
    assert "would be added" in result.output
    assert json.loads(run("list", "--format", "json").output) == []


def test_broken_front_matter_is_refused_and_reported(tmp_path: Path) -> None:
    post = tmp_path / "2019-01-01-broken.md"
    post.write_text("---\ntitle: [unclosed\n---\n\n| Presenter | Papers |\n|---|---|\n", "utf-8")
    result = run("import", str(post))
    assert result.exit_code == 1
    assert "2019-01-01-broken.md" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "nope" in result.stderr and "no such file" in result.stderr


def test_example_posts_import_and_check_clean(tmp_path: Path) -> None:
    result = run("import", str(EXAMPLES))
    assert result.exit_code == 0, result.stderr
    posts = sorted(EXAMPLES.rglob("*.md"))
    assert len(posts) == 11  # one post per table shape, a README-style page, beyond arXiv
    assert f"{len(posts)} posts: {len(posts)} added" in result.stderr
    checked = run("check", str(EXAMPLES), "--format", "json")
    report = json.loads(checked.output)
    assert report == {"files": len(posts), "findings": [], "unreadable": []}
    assert checked.exit_code == 0
    # Heading-style post: two talks by Bill, each with its quoted abstract.
    paper = json.loads(run("show", "1412.6572", "--format", "json").output)
    assert paper["abstract"].startswith("Several machine learning models")
    # Near-identical titles are two papers.
    listed = run("list", "--limit", "0", "--format", "json").output
    titles = {p["title"] for p in json.loads(listed)}
    assert "Neural Architecture Search with Reinforcement Learning" in titles
    assert "Neural Optimizer Search with Reinforcement Learning" in titles


def test_imported_posts_are_searchable(db_url: str) -> None:
    # The import suspends the search index's triggers and reindexes once: check it did.
    assert run("import", str(EXAMPLES)).exit_code == 0
    by_title = json.loads(run("search", "parameter sharing", "--format", "json").output)
    assert [p["arxiv_id"] for p in by_title] == ["1802.03268"]
    by_author = json.loads(run("search", "Melody", "--format", "json").output)
    assert [p["arxiv_id"] for p in by_author] == ["1802.03268"]
    by_abstract = json.loads(run("search", "PowerSign", "--format", "json").output)
    assert [p["arxiv_id"] for p in by_abstract] == ["1709.07417"]
    assert run("import", str(EXAMPLES)).exit_code == 0  # re-import keeps the index right
    assert len(json.loads(run("search", "Zoph", "--format", "json").output)) == 3


def test_examples_check_clean_against_synced_metadata(arxiv_server: ArxivStandIn) -> None:
    # With arXiv's titles and abstracts in the catalog, check compares rows against them.
    assert run("import", str(EXAMPLES)).exit_code == 0
    synced = run("sync")
    assert synced.exit_code == 0, synced.output + synced.stderr
    checked = run("check", str(EXAMPLES), "--format", "json")
    assert json.loads(checked.output)["findings"] == []
    # A wrong link is then a title-mismatch.
    post = EXAMPLES / "2019-02-12-architecture-search.md"
    wrong = post.read_text(encoding="utf-8").replace("abs/1709.07417", "abs/1611.01578", 1)
    broken = run_on_text(wrong)
    assert ("title-mismatch", 15) in broken


def run_on_text(text: str) -> list[tuple[str, int]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2019-02-12-architecture-search.md"
        path.write_text(text, encoding="utf-8")
        report = json.loads(run("check", str(path), "--format", "json").output)
    return [(f["code"], f["line"]) for f in report["findings"]]


def test_an_edited_footnote_abstract_is_an_update(seed_post: Path) -> None:
    assert run("import", str(seed_post)).exit_code == 0
    text = seed_post.read_text(encoding="utf-8")
    seed_post.write_text(
        text.replace("The reparameterization trick enables", "The reparametrisation trick lets"),
        encoding="utf-8",
    )
    edited = run("import", str(seed_post))
    assert edited.output.startswith("updated"), edited.output
    shown = json.loads(run("show", "1611.00712", "--format", "json").output)
    assert shown["abstract"].startswith("The reparametrisation trick lets")
    assert run("import", str(seed_post)).output.startswith("unchanged")

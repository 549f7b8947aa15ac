"""`catalog export` through the CLI: filters, where output goes, keys that stay, and the
markdown round trip (export a session, check it clean, import it into an empty catalog)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "000_f45d36f67d87432d.txt"
EXAMPLES = REPO / "examples" / "_posts"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# The example posts these tests count papers and sessions of (the folder has more,
# one per table shape the parser reads).
EXAMPLE_POSTS = [
    "2018-07-31-generative.md",
    "2019-02-12-architecture-search.md",
    "2019-03-05-robustness.md",
]


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert run("import", *[str(EXAMPLES / name) for name in EXAMPLE_POSTS]).exit_code == 0
    return tmp_path


def bib_keys(text: str) -> list[str]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return [entry.key for entry in library.entries]


def test_filters_combine(examples: Path) -> None:
    everything = bib_keys(run("export", "bibtex").stdout)
    assert len(everything) == 10
    by_term = json.loads(run("export", "json", "--term", "2019Reads").stdout)
    assert {s["slug"] for s in by_term["sessions"]} == {
        "2019-02-12-architecture-search",
        "2019-03-05-robustness",
    }
    assert len(by_term["papers"]) == 5
    jack = json.loads(run("export", "json", "--term", "2019Reads", "--presenter", "jack").stdout)
    assert sorted(p["title"] for p in jack["papers"]) == [
        "Neural Architecture Search with Reinforcement Learning",
        "Neural Optimizer Search with Reinforcement Learning",
    ]
    assert [p["name"] for p in jack["presenters"]] == ["Jack"]
    tagged = json.loads(run("export", "json", "--tag", "adversarial").stdout)
    assert len(tagged["papers"]) == 2
    since = json.loads(run("export", "json", "--since", "2019-03-01").stdout)
    assert [s["slug"] for s in since["sessions"]] == ["2019-03-05-robustness"]
    until = json.loads(
        run("export", "json", "--until", "2018-12-31", "--category", "5Generative").stdout
    )
    assert [s["slug"] for s in until["sessions"]] == ["2018-07-31-generative"]
    one = json.loads(run("export", "json", "--paper", "1412.6572").stdout)
    assert [p["arxiv_id"] for p in one["papers"]] == ["1412.6572"]
    assert [len(s["presentations"]) for s in one["sessions"]] == [1]
    assert (
        len(
            bib_keys(
                run("export", "bibtex", "--paper", "1412.6572", "--paper", "1706.06083").stdout
            )
        )
        == 2
    )


def test_unknown_names_exit_1_with_suggestions(examples: Path) -> None:
    result = run("export", "bibtex", "--session", "2018-07-31-generativ")
    assert result.exit_code == 1
    assert "did you mean 2018-07-31-generative" in result.stderr
    assert run("export", "bibtex", "--presenter", "Bil").exit_code == 1
    bad_date = run("export", "json", "--since", "yesterday")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_output_lands_in_exports_and_dash_is_stdout(examples: Path) -> None:
    result = run("export", "bibtex", "-o", "reading.bib")
    assert result.exit_code == 0
    assert result.stdout == ""
    written = examples / "exports" / "reading.bib"
    assert len(bib_keys(written.read_text(encoding="utf-8"))) == 10
    assert "wrote exports/reading.bib" in result.stderr
    assert [p.name for p in (examples / "exports").iterdir()] == ["reading.bib"]  # no temp left
    assert bib_keys(run("export", "bibtex", "-o", "-").stdout) == bib_keys(written.read_text())
    nested = run("export", "json", "-o", str(examples / "out" / "list.json"))
    assert nested.exit_code == 0
    assert json.loads((examples / "out" / "list.json").read_text())["papers"]


def test_citation_keys_are_stored_and_never_change(examples: Path) -> None:
    first = bib_keys(run("export", "bibtex").stdout)
    assert "zoph2016neural" in first and len(set(first)) == len(first)
    # A new paper with a clashing key later does not move the keys already given.
    post = examples / "2020-01-01-more.md"
    post.write_text(
        "---\ntitle: More\n---\n\n| Presenter | Papers | Paper URL | Our Slides |\n"
        "| --- | --- | --- | --- |\n"
        "| Ann | Neural Networks Revisited | [PDF](https://arxiv.org/abs/1612.00001) | |\n",
        encoding="utf-8",
    )
    assert run("import", str(post)).exit_code == 0
    second = bib_keys(run("export", "bibtex").stdout)
    assert second[: len(first)] == first
    shown = json.loads(run("show", "zoph2016neural", "--format", "json").stdout)
    assert shown["citation_key"] == "zoph2016neural"


def test_a_paper_gets_its_author_year_key_once_its_authors_are_known(
    arxiv_server: ArxivStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A post's row names the paper by a link and a title of its own, no authors: the
    # issue's "learning", "semantic" keys. Such a key is given for the export but not
    # stored, so that the paper gets its author-year key once sync (or resolve) finds
    # its authors; from then on that key is stored and never changes.
    monkeypatch.chdir(tmp_path)
    post = tmp_path / "2020-01-01-more.md"
    post.write_text(
        "---\ntitle: More\n---\n\n| Presenter | Papers | Paper URL | Our Slides |\n"
        "| --- | --- | --- | --- |\n"
        "| Ann | Concrete relaxations | [PDF](https://arxiv.org/abs/1611.00712) | |\n",
        encoding="utf-8",
    )
    assert run("import", str(post)).exit_code == 0
    assert bib_keys(run("export", "bibtex").stdout) == ["2016concrete"]
    shown = json.loads(run("show", "1611.00712", "--format", "json").stdout)
    assert shown["authors"] == [] and shown["citation_key"] is None  # not stored
    assert run("sync").exit_code == 0
    assert bib_keys(run("export", "bibtex").stdout) == ["maddison2016concrete"]
    shown = json.loads(run("show", "1611.00712", "--format", "json").stdout)
    assert shown["citation_key"] == "maddison2016concrete"  # stored now
    assert bib_keys(run("export", "bibtex", "--prefer", "arxiv").stdout) == [
        "maddison2016concrete"
    ]


def test_prefer_is_checked_and_documented() -> None:
    bad = run("export", "bibtex", "--prefer", "dblp")
    assert bad.exit_code == 2
    assert "'published', 'arxiv'" in bad.stderr or "published, arxiv" in bad.stderr
    assert "--prefer arxiv" in run("export", "--help").stdout


def test_markdown_session_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SEED.exists():
        pytest.skip(f"seed post not found at {SEED}")
    monkeypatch.chdir(tmp_path)
    posts = tmp_path / "_posts"
    posts.mkdir()
    shutil.copy(SEED, posts / "2018-07-31-Generative18.md")
    assert run("import", str(posts)).exit_code == 0
    out = tmp_path / "site" / "_posts" / "2018-07-31-Generative18.md"
    assert (
        run("export", "markdown", "--session", "2018-07-31-Generative18", "-o", str(out)).exit_code
        == 0
    )

    checked = run("check", str(out), "--format", "json")
    assert json.loads(checked.stdout)["findings"] == [], checked.stdout
    assert checked.exit_code == 0

    before = json.loads(run("export", "json").stdout)
    monkeypatch.setenv("CATALOG_DB", str(tmp_path / "fresh.sqlite"))
    assert run("import", str(out)).exit_code == 0
    after = json.loads(run("export", "json").stdout)

    def plan(doc: dict) -> list:  # type: ignore[type-arg]
        return [
            (t["position"], t["presenter"], t["title"], [p for p in t["papers"]])
            for s in doc["sessions"]
            for t in s["presentations"]
        ]

    titles = lambda doc: sorted(p["title"] for p in doc["papers"])  # noqa: E731
    assert titles(after) == titles(before)
    assert [p["name"] for p in after["presenters"]] == [p["name"] for p in before["presenters"]]
    assert [(pos, who) for pos, who, _, _ in plan(after)] == [
        (pos, who) for pos, who, _, _ in plan(before)
    ]
    ids = lambda doc: sorted(p["arxiv_id"] for p in doc["papers"])  # noqa: E731
    assert ids(after) == ids(before)


def test_export_of_synced_papers_parses_back(arxiv_server: ArxivStandIn) -> None:
    run("add", "1611.00712", "1802.02550", "2103.04567", "1905.01234")
    text = run("export", "bibtex", "--abstracts").stdout
    keys = bib_keys(text)
    assert keys[0] == "maddison2016concrete"
    assert "abstract = {" in text
    csl = json.loads(run("export", "csl").stdout)
    assert {item["id"] for item in csl} == set(keys)


@pytest.mark.parametrize(
    ("arxiv_id", "parts"),
    [
        ("1804.01694", (2018, 4)),
        ("hep-th/9901001", (1999, 1)),
        ("math.GT/0309136", (2003, 9)),
        (None, ()),
    ],
)
def test_papers_without_a_date_take_year_and_month_from_their_arxiv_id(
    arxiv_id: str | None, parts: tuple[int, ...]
) -> None:
    from catalog.exporters.common import publication_parts
    from catalog.records import PaperView

    assert publication_parts(PaperView(id=1, title="T", arxiv_id=arxiv_id)) == parts


def test_key_allocator_many_clashes_stay_unique_and_case_insensitive() -> None:
    from catalog.exporters.keys import KeyAllocator
    from catalog.records import PaperView

    allocate = KeyAllocator({"Kim2018Semi"}).allocate  # a stored key, mixed case
    paper = PaperView(id=1, title="Semi-Amortized", authors=["Yoon Kim"], arxiv_id="1802.02550")
    keys = [allocate(paper) for _ in range(2000)]
    assert keys[:3] == ["kim2018semia", "kim2018semib", "kim2018semic"]
    assert len({k.lower() for k in keys}) == 2000
    assert "kim2018semi" not in keys  # taken by the stored key, whatever its case


def test_other_links_in_the_url_cell_are_kept_through_export(examples: Path) -> None:
    slug = "2019-02-12-architecture-search"
    out = examples / "_posts" / f"{slug}.md"
    assert run("export", "markdown", "--session", slug, "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert (
        "[PDF](https://arxiv.org/abs/1802.03268) + [code](https://github.com/melodyguan/enas)"
        in text
    )
    assert json.loads(run("check", str(out), "--format", "json").stdout)["findings"] == []
    assert run("import", str(out)).stdout.startswith("unchanged")
    doc = json.loads(run("export", "json", "--session", slug).stdout)
    enas = doc["sessions"][0]["presentations"][2]
    assert enas["links"] == [{"text": "code", "url": "https://github.com/melodyguan/enas"}]

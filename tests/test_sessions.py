"""Planning sessions from the catalog, through the real CLI: ``session``, ``sessions``,
``presenters``, ``presenter`` and ``add --session``, against the loopback arXiv stand-in
and a real database file (``CATALOG_DB`` in ``tmp_path``, see conftest).

The end-to-end test plans the group's 2018-07-31 session, exports the post, and checks
that ``catalog check`` finds nothing, that re-importing it changes nothing, and that the
post is byte for byte ``tests/golden/planned-session.md`` (``CATALOG_UPDATE_GOLDEN=1``
rewrites the golden file).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn

GOLDEN = Path(__file__).parent / "golden"
SLUG = "2018-07-31-generative"
SITE = "{{site.baseurl}}/MoreTalksTeam"
SLIDES = {
    "1611.00712": f"{SITE}/Arsh/DEEP-07162018-Gumbel-Softmax.pdf",
    "1804.01694": f"{SITE}/Arsh/GAN-07132018-FBGAN.pdf",
    "survey": f"{SITE}/Ji/JiAutoencoderNNs.pdf",
    "1711.05772": f"{SITE}/Ji/JIConditionalGEN.pdf",
    "1802.02550": f"{SITE}/Arsh/DEEP-07172018-semi-amoritzed-VAE.pdf",
    "1804.01118": f"{SITE}/Arsh/DEEP-07312018-ImageSythesisProgramming.pdf",
}

Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """Invoke the CLI in-process; assert the exit code; stdout and stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        assert result.exit_code == code, (
            f"catalog {' '.join(args)} exited {result.exit_code}, expected {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    return invoke


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def new_session(run: Run, slug: str = SLUG, *extra: str) -> None:
    run("session", "new", slug, "--title", "Generative18 - A few more DNN generative models",
        "--term", "2018Reads", "--category", "5Generative", "--tag", "generative",
        "--tag", "discrete", *extra)  # fmt: skip


def plan(run: Run) -> dict[str, Any]:
    """The issue's flow: the 2018-07-31 session, in the order it was presented."""
    new_session(run, SLUG, "--desc", "2018-team")
    run("add", "arxiv:1611.00712", "--session", SLUG, "--presenter", "Arshdeep",
        "--slides", SLIDES["1611.00712"])  # fmt: skip
    # Presenter names match case- and space-insensitively: still Arshdeep.
    run("add", "1804.01694", "--session", SLUG, "--presenter", "arshdeep",
        "--slides", SLIDES["1804.01694"])  # fmt: skip
    run("session", "talk", SLUG, "--presenter", "GaoJi",
        "--title", "Summary of several autoencoder models",
        "--slides", SLIDES["survey"])  # fmt: skip
    run("add", "https://arxiv.org/abs/1711.05772", "--session", SLUG, "--presenter", "Gao Ji",
        "--slides", SLIDES["1711.05772"])  # fmt: skip
    # Two papers, one talk each, in the order given.
    run("add", "1804.01118", "1802.02550v2", "--session", SLUG, "--presenter", "Arshdeep")
    # Fix the order of the last two, then the slides of each (an update, not a new row).
    run("session", "move", SLUG, "1802.02550", "--to", "5")
    for arxiv_id in ("1802.02550", "1804.01118"):
        out = run("add", arxiv_id, "--session", SLUG, "--slides", SLIDES[arxiv_id]).stdout
        assert re.search(rf"^updated +#\d {SLUG} ", out, re.M), out
    shown: dict[str, Any] = as_json(run("session", "show", SLUG, "--format", "json"))
    return shown


def rows_of(shown: dict[str, Any]) -> list[tuple[int, str | None, list[str], str]]:
    return [
        (t["position"], t["presenter"], [p["arxiv_id"] for p in t["papers"]], t["title"])
        for t in shown["presentations"]
    ]


PLANNED = [
    (1, "Arshdeep", ["1611.00712"],
     "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"),
    (2, "Arshdeep", ["1804.01694"],
     "Feedback GAN (FBGAN) for DNA: a Novel Feedback-Loop Architecture for Optimizing "
     "Protein Functions"),
    (3, "GaoJi", [], "Summary of several autoencoder models"),
    (4, "GaoJi", ["1711.05772"],
     "Latent Constraints: Learning to Generate Conditionally from Unconditional Generative "
     "Models"),
    (5, "Arshdeep", ["1802.02550"], "Semi-Amortized Variational Autoencoders"),
    (6, "Arshdeep", ["1804.01118"],
     "Synthesizing Programs for Images using Reinforced Adversarial Learning"),
]  # fmt: skip


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CATALOG_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; CATALOG_UPDATE_GOLDEN=1 writes it"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), text.splitlines(keepends=True),
                f"{path} (golden)", "exported",
            )
        )  # fmt: skip
        pytest.fail(
            f"the export differs from {path} (CATALOG_UPDATE_GOLDEN=1 rewrites it):\n{diff}"
        )


# -- the whole flow -------------------------------------------------------------------------


def test_planned_session_round_trips_as_a_clean_post(
    run: Run, arxiv_server: ArxivStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shown = plan(run)
    assert rows_of(shown) == PLANNED
    assert shown["date"] == "2018-07-31"  # from the slug
    assert (shown["term"], shown["categories"], shown["tags"], shown["desc"]) == (
        "2018Reads",
        ["5Generative"],
        ["generative", "discrete"],
        "2018-team",
    )
    assert [t["slides_url"] for t in shown["presentations"]] == [
        SLIDES[k] for k in ("1611.00712", "1804.01694", "survey", "1711.05772",
                            "1802.02550", "1804.01118")
    ]  # fmt: skip

    post = tmp_path / "_posts" / f"{SLUG}.md"
    run("export", "markdown", "--session", SLUG, "-o", f"_posts/{SLUG}.md")  # as documented
    text = post.read_text(encoding="utf-8")

    # The group's table and footnote format (see the seed post).
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Presenter"))
    assert re.sub(r"\s+", " ", lines[header]) == "| Presenter | Papers | Paper URL | Our Slides |"
    table = lines[header + 2 : header + 2 + len(PLANNED)]
    assert [row.split("|")[1].strip() for row in table] == [p for _, p, _, _ in PLANNED]
    assert "[PDF]()" not in text  # the survey row has no empty paper link
    footnotes = [line for line in lines if line.startswith("[^")]
    assert len(footnotes) == 5
    for n, line in enumerate(footnotes, start=1):
        assert re.match(rf"^\[\^{n}\]: <sub><sup> .+ / .+ / .+ </sup></sub>$", line), line

    assert_golden("planned-session.md", text)

    checked = run("check", str(post))  # exit 0: no findings
    assert checked.stdout == "0 problems (0 errors, 0 warnings) in 1 file\n"
    report = as_json(run("check", str(post), "--format", "json"))
    assert report["findings"] == []

    exported = run("session", "show", SLUG, "--format", "json").stdout  # with citation keys
    imported = as_json(run("import", str(post), "--format", "json"))
    assert [(p["slug"], p["status"]) for p in imported["posts"]] == [(SLUG, "unchanged")]
    assert run("session", "show", SLUG, "--format", "json").stdout == exported


def test_together_talk_round_trips(
    run: Run, arxiv_server: ArxivStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    new_session(run)
    run("add", "1611.00712", "1804.01694", "--session", SLUG, "--presenter", "A", "--together")
    run("export", "markdown", "--session", SLUG, "-o", f"_posts/{SLUG}.md")
    assert run("check", f"_posts/{SLUG}.md").stdout.startswith("0 problems")
    imported = as_json(run("import", f"_posts/{SLUG}.md", "--format", "json"))
    assert [p["status"] for p in imported["posts"]] == ["unchanged"]


def test_show_table_lists_rows_in_order(run: Run, arxiv_server: ArxivStandIn) -> None:
    plan(run)
    result = run("session", "show", SLUG)
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SLUG}  Generative18 - A few more DNN generative models"
    assert lines[1].startswith("date: 2018-07-31   term: 2018Reads   categories: 5Generative")
    table = lines[lines.index("") + 1 :]
    assert table[0].split() == ["ROW", "PRESENTER", "PAPERS", "TITLE", "SLIDES"]
    assert [row.split()[:3] for row in table[1:]] == [
        ["#1", "Arshdeep", "1611.00712"],
        ["#2", "Arshdeep", "1804.01694"],
        ["#3", "GaoJi", "-"],
        ["#4", "GaoJi", "1711.05772"],
        ["#5", "Arshdeep", "1802.02550"],
        ["#6", "Arshdeep", "1804.01118"],
    ]
    assert table[3].rstrip().endswith("JiAutoencoderNNs.pdf")  # slides by file name
    assert result.stderr.strip() == "6 talks, 5 papers, 2 presenters"


# -- sessions and presenters ---------------------------------------------------------------


def test_sessions_lists_counts_with_filters(
    run: Run, arxiv_server: ArxivStandIn, db_url: str
) -> None:
    plan(run)
    run("session", "new", "2018-08-07-graphs", "--title", "Graphs", "--term", "2018Reads",
        "--tag", "graph")  # fmt: skip
    run("session", "new", "2019-01-15-bio", "--title", "Bio", "--term", "2019Reads")
    run("session", "new", "a-reading-list", "--title", "Undated", "--tag", "graph")
    run("session", "talk", "2018-08-07-graphs", "--paper", "1611.00712", "--paper",
        "1804.01694", "--presenter", "Jack", "--title", "Two relaxations")  # fmt: skip

    listed = as_json(run("sessions", "--format", "json"))
    assert [(x["date"], x["slug"], x["talks"], x["papers"], x["presenters"]) for x in listed] == [
        ("2018-07-31", SLUG, 6, 5, 2),
        ("2018-08-07", "2018-08-07-graphs", 1, 2, 1),
        ("2019-01-15", "2019-01-15-bio", 0, 0, 0),
        (None, "a-reading-list", 0, 0, 0),  # undated: last, on every backend
    ]
    of_term = as_json(run("sessions", "--term", "2018Reads", "--format", "json"))
    assert [x["slug"] for x in of_term] == [SLUG, "2018-08-07-graphs"]
    tagged = as_json(run("sessions", "--tag", "graph", "--tag", "discrete", "--format", "json"))
    assert [x["slug"] for x in tagged] == [SLUG, "2018-08-07-graphs", "a-reading-list"]
    assert as_json(run("sessions", "--term", "1999Reads", "--format", "json")) == []
    assert run("sessions", "--term", "1999Reads").stderr == "no sessions\n"

    table = run("sessions").stdout.splitlines()
    assert table[0].split() == ["DATE", "SLUG", "TERM", "TALKS", "PAPERS", "PRESENTERS", "TITLE"]
    assert table[1].split()[:6] == ["2018-07-31", SLUG, "2018Reads", "6", "5", "2"]
    assert table[3].split()[:6] == ["2019-01-15", "2019-01-15-bio", "2019Reads", "0", "0", "0"]
    assert table[4].split() == ["a-reading-list", "0", "0", "0", "Undated"]


def test_presenters_by_count_and_presenter_show(run: Run, arxiv_server: ArxivStandIn) -> None:
    plan(run)
    listed = as_json(run("presenters", "--format", "json"))
    assert listed == [
        {"name": "Arshdeep", "talks": 4, "papers": 4, "sessions": 1},
        {"name": "GaoJi", "talks": 2, "papers": 1, "sessions": 1},
    ]
    table = run("presenters").stdout.splitlines()
    assert [line.split() for line in table] == [
        ["PRESENTER", "TALKS", "PAPERS", "SESSIONS"],
        ["Arshdeep", "4", "4", "1"],
        ["GaoJi", "2", "1", "1"],
    ]

    shown = run("presenter", "show", "gao ji")  # any spelling of the key
    assert shown.stdout.splitlines()[0] == "GaoJi: 2 talks, 1 paper, 1 session"
    assert [line.split()[:4] for line in shown.stdout.splitlines()[3:]] == [
        ["2018-07-31", SLUG, "#3", "-"],
        ["2018-07-31", SLUG, "#4", "1711.05772"],
    ]
    detail = as_json(run("presenter", "show", "Arshdeep", "--format", "json"))
    assert (detail["name"], detail["talks"], detail["papers"], detail["sessions"]) == (
        "Arshdeep",
        4,
        4,
        1,
    )
    assert [(t["position"], t["papers"][0]["arxiv_id"]) for t in detail["presentations"]] == [
        (1, "1611.00712"), (2, "1804.01694"), (5, "1802.02550"), (6, "1804.01118")
    ]  # fmt: skip


def test_rename_renames_or_merges(run: Run) -> None:
    new_session(run)
    run("session", "talk", SLUG, "--presenter", "Ji", "--title", "Talk one")
    run("session", "talk", SLUG, "--presenter", "GaoJi", "--title", "Talk two")
    run("session", "talk", SLUG, "--presenter", "ji", "--title", "Talk three")

    # Same key (case only): a rename in place.
    assert run("presenter", "rename", "ji", "JI").stdout == "renamed   'Ji' to 'JI'\n"
    # Another presenter's name: a merge, in one transaction.
    merged = run("presenter", "rename", "JI", "gao ji")
    assert merged.stdout == "merged    'JI' into 'gao ji' (2 talks moved)\n"
    assert as_json(run("presenters", "--format", "json")) == [
        {"name": "gao ji", "talks": 3, "papers": 0, "sessions": 1},
    ]
    shown = as_json(run("session", "show", SLUG, "--format", "json"))
    assert [t["presenter"] for t in shown["presentations"]] == ["gao ji"] * 3
    gone = run("presenter", "show", "JI", code=1)
    assert gone.stderr == "catalog: error: no presenter 'JI'; did you mean gao ji?\n"
    # A rename to a brand-new name.
    assert run("presenter", "rename", "gaoji", "GaoJi").stdout == "renamed   'gao ji' to 'GaoJi'\n"
    assert [p["name"] for p in as_json(run("presenters", "--format", "json"))] == ["GaoJi"]


# -- talks: move, remove, together, updates --------------------------------------------------


def test_move_and_remove_keep_rows_numbered(run: Run) -> None:
    new_session(run)
    for title in ("A", "B", "C", "D"):
        run("session", "talk", SLUG, "--title", f"Talk {title}")

    def order() -> list[str]:
        shown = as_json(run("session", "show", SLUG, "--format", "json"))
        assert [t["position"] for t in shown["presentations"]] == list(
            range(1, len(shown["presentations"]) + 1)
        )
        return [t["title"][-1] for t in shown["presentations"]]

    moved = run("session", "move", SLUG, "#1", "--to", "3")
    assert moved.stdout == f"moved     #3 {SLUG}  Talk A\n"
    assert order() == ["B", "C", "A", "D"]
    run("session", "move", SLUG, "#4", "--to", "1")
    assert order() == ["D", "B", "C", "A"]
    run("session", "move", SLUG, "#2", "--to", "2")
    assert order() == ["D", "B", "C", "A"]
    bad = run("session", "move", SLUG, "#2", "--to", "9", code=1)
    assert bad.stderr == "catalog: error: --to must be between 1 and 4, not 9\n"
    run("session", "move", SLUG, "#2", "--to", "0", code=2)
    missing_row = run("session", "move", SLUG, "#7", "--to", "1", code=1)
    assert missing_row.stderr == (
        f"catalog: error: session '{SLUG}' has no row #7 "
        "(it has 4: #1 (Talk D), #2 (Talk B), #3 (Talk C), #4 (Talk A))\n"
    )

    assert run("session", "remove-talk", SLUG, "#2").stdout == f"removed   #2 {SLUG}  Talk B\n"
    assert order() == ["D", "C", "A"]
    run("session", "talk", SLUG, "--title", "Talk E", "--position", "1")
    assert order() == ["E", "D", "C", "A"]


def test_add_together_and_updates(run: Run, arxiv_server: ArxivStandIn) -> None:
    new_session(run)
    out = run("add", "1611.00712", "1804.01694", "--session", SLUG, "--presenter", "Arshdeep",
              "--together").stdout  # fmt: skip
    assert out.splitlines()[-1] == (
        f"added     #1 {SLUG}  Arshdeep: The Concrete Distribution: A Continuous Relaxation of "
        "Discrete Random Variables; Feedback GAN (FBGAN) for DNA: a Novel Feedback-Loop "
        "Architecture for Optimizing Protein Functions [1611.00712, 1804.01694]"
    )
    # The same again: nothing new.
    again = run("add", "1611.00712", "1804.01694", "--session", SLUG, "--together").stdout
    assert again.splitlines()[-1].startswith(f"unchanged #1 {SLUG}  Arshdeep: ")
    # One of its papers alone names the same talk: its slides are set there.
    run("add", "1804.01694", "--session", SLUG, "--slides", "s.pdf")
    shown = as_json(run("session", "show", SLUG, "--format", "json"))
    assert len(shown["presentations"]) == 1
    talk = shown["presentations"][0]
    assert [p["arxiv_id"] for p in talk["papers"]] == ["1611.00712", "1804.01694"]
    assert (talk["presenter"], talk["slides_url"]) == ("Arshdeep", "s.pdf")
    assert talk["papers"][0]["title"].startswith("The Concrete Distribution")

    # A paper of that talk with a new one, together: refused, nothing changes.
    refused = run("add", "1804.01694", "1711.05772", "--session", SLUG, "--together", code=1)
    assert refused.stderr.splitlines()[-1] == (
        f"catalog: error: paper '1804.01694' is already in talk #1 (1611.00712, 1804.01694) "
        f"of session '{SLUG}'; remove it there first (catalog session remove-talk {SLUG} #1)"
    )
    assert len(as_json(run("session", "show", SLUG, "--format", "json"))["presentations"]) == 1

    # A move or a removal can name any paper of the talk.
    run("session", "talk", SLUG, "--title", "Survey")
    run("session", "move", SLUG, "1804.01694", "--to", "2")
    removed = run("session", "remove-talk", SLUG, "arxiv:1611.00712")
    assert removed.stdout.startswith(f"removed   #2 {SLUG}  The Concrete Distribution")
    rows = as_json(run("session", "show", SLUG, "--format", "json"))["presentations"]
    assert [(t["position"], t["title"]) for t in rows] == [(1, "Survey")]
    # Papers stay in the catalog.
    assert len(as_json(run("list", "--format", "json"))) == 3


def test_add_with_a_failed_paper_adds_no_talk(run: Run, arxiv_server: ArxivStandIn) -> None:
    new_session(run)
    result = run("add", "1611.00712", "1901.99999", "--session", SLUG, "--presenter", "A",
                 code=1)  # fmt: skip
    assert result.stderr.splitlines() == [
        "catalog: 1901.99999: not found on arXiv",
        f"catalog: no talk added to session {SLUG}",
    ]
    assert as_json(run("session", "show", SLUG, "--format", "json"))["presentations"] == []


def test_add_json_reports_talks(run: Run, arxiv_server: ArxivStandIn) -> None:
    new_session(run)
    data = as_json(run("add", "1611.00712", "--session", SLUG, "--presenter", "Arshdeep",
                       "--format", "json"))  # fmt: skip
    assert [r["status"] for r in data["stored"]] == ["added"]
    talks = [(t["status"], t["talk"]["position"], t["talk"]["presenter"]) for t in data["talks"]]
    assert talks == [("added", 1, "Arshdeep")]


def test_planning_options_need_session(run: Run) -> None:
    result = run("add", "1611.00712", "--presenter", "Arshdeep", code=2)
    assert "--presenter, --slides and --together go with --session" in result.stderr


def test_survey_talk_needs_a_title(run: Run) -> None:
    new_session(run)
    result = run("session", "talk", SLUG, "--presenter", "GaoJi", code=1)
    assert result.stderr == "catalog: error: a talk without a paper needs a title (--title)\n"


# -- sessions: new, delete -------------------------------------------------------------------


def test_new_refuses_an_existing_slug(run: Run) -> None:
    new_session(run)
    result = run("session", "new", SLUG, "--title", "Again", code=1)
    assert result.stderr == (
        f"catalog: error: session '{SLUG}' already exists (see: catalog session show {SLUG})\n"
    )
    assert result.stdout == ""
    assert as_json(run("session", "show", SLUG, "--format", "json"))["title"].startswith(
        "Generative18"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2018-07-31 generative"], "bad session slug '2018-07-31 generative'"),
        (["2018-02-30-x"], "bad session slug '2018-02-30-x': 2018-02-30 is not a date"),
        (
            [SLUG, "--date", "2018-08-01"],
            "--date 2018-08-01 contradicts the slug's date 2018-07-31",
        ),
        ([SLUG, "--date", "31/07/2018"], "'31/07/2018' is not a date; use YYYY-MM-DD"),
    ],
)
def test_new_refuses_bad_slugs_and_dates(run: Run, args: list[str], message: str) -> None:
    result = run("session", "new", *args, "--title", "T", code=2)
    assert message in result.stderr
    assert as_json(run("sessions", "--format", "json")) == []


def test_new_with_an_explicit_date(run: Run) -> None:
    run("session", "new", "generative-extra", "--title", "Extra", "--date", "2018-08-14")
    created = as_json(run("session", "show", "generative-extra", "--format", "json"))
    assert (created["date"], created["layout"]) == ("2018-08-14", "post")
    assert created["presentations"] == []
    empty = run("session", "show", "generative-extra").stdout
    assert "no talks yet; add one: catalog add ID --session generative-extra" in empty


def test_delete_session_keeps_papers_and_presenters(run: Run, arxiv_server: ArxivStandIn) -> None:
    new_session(run)
    run("add", "1611.00712", "--session", SLUG, "--presenter", "Arshdeep")
    run("session", "delete", SLUG, input="n\n", code=1)  # declined: aborted, kept
    assert as_json(run("sessions", "--format", "json"))[0]["talks"] == 1
    assert run("session", "delete", SLUG, "--yes").stdout == f"deleted   session {SLUG} (1 talk)\n"
    assert as_json(run("sessions", "--format", "json")) == []
    assert len(as_json(run("list", "--format", "json"))) == 1
    assert as_json(run("presenters", "--format", "json")) == [
        {"name": "Arshdeep", "talks": 0, "papers": 0, "sessions": 0}
    ]
    run("session", "new", SLUG, "--title", "Again")  # the slug is free again


# -- names that are not in the catalog ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["session", "show", "2018-07-31-generativ"],
         "no session '2018-07-31-generativ' in the catalog; did you mean 2018-07-31-generative?"),
        (["session", "talk", "2018-07-31-generatve", "--title", "T"],
         "no session '2018-07-31-generatve' in the catalog; did you mean 2018-07-31-generative?"),
        (["session", "move", "2018-07-31-Generative", "#1", "--to", "1"],
         "no session '2018-07-31-Generative' in the catalog; did you mean 2018-07-31-generative?"),
        (["session", "remove-talk", "generative", "#1"],
         "no session 'generative' in the catalog; did you mean 2018-07-31-generative?"),
        (["session", "delete", "2018-07-31-generativee", "--yes"],
         "no session '2018-07-31-generativee' in the catalog; did you mean 2018-07-31-generative?"),
        # Checked before arXiv is asked (arXiv is unreachable in this test).
        (["add", "1611.00712", "--session", "2018-07-31-generativ"],
         "no session '2018-07-31-generativ' in the catalog; did you mean 2018-07-31-generative?"),
        (["session", "move", SLUG, "1611.00713", "--to", "1"],
         "no paper '1611.00713' in the catalog; did you mean 1611.00712?"),
        (["session", "talk", SLUG, "--paper", "1611.0071"],
         "no paper '1611.0071' in the catalog; did you mean 1611.00712?"),
        (["session", "talk", SLUG, "--paper", "arxiv:1711.05772"],
         "no paper 'arxiv:1711.05772' in the catalog "
         f"(to fetch it: catalog add 1711.05772 --session {SLUG})"),
        (["session", "remove-talk", SLUG, "1804.01694"],
         f"paper '1804.01694' is in no talk of session '{SLUG}'; its talks: #1 (1611.00712)"),
        (["presenter", "show", "Arshdep"], "no presenter 'Arshdep'; did you mean Arshdeep?"),
        (["presenter", "show", "ARSH DEAP"], "no presenter 'ARSH DEAP'; did you mean Arshdeep?"),
        (["presenter", "rename", "Arshdep", "Arsh"],
         "no presenter 'Arshdep'; did you mean Arshdeep?"),
        (["presenter", "show", "Nobody At All"], "no presenter 'Nobody At All'"),
    ],
)  # fmt: skip
def test_missing_names_say_which_and_suggest(
    run: Run, arxiv_server: ArxivStandIn, monkeypatch: pytest.MonkeyPatch,
    refused_arxiv_url: str, args: list[str], message: str,
) -> None:  # fmt: skip
    new_session(run)
    run("add", "1611.00712", "1804.01694", "--session", SLUG, "--presenter", "Arshdeep",
        "--together")  # fmt: skip
    run("session", "remove-talk", SLUG, "#1")
    run("add", "1611.00712", "--session", SLUG, "--presenter", "Arshdeep")
    monkeypatch.setenv("CATALOG_ARXIV_URL", refused_arxiv_url)
    before = run("session", "show", SLUG, "--format", "json").stdout
    result = run(*args, code=1)
    assert result.stderr == f"catalog: error: {message}\n"
    assert result.stdout == ""
    assert run("session", "show", SLUG, "--format", "json").stdout == before


# -- the library, on SQLite and PostgreSQL ---------------------------------------------------


def _record(arxiv_id: str, title: str) -> Any:
    from datetime import UTC, datetime

    from catalog.records import ArxivRecord

    when = datetime(2018, 4, 5, tzinfo=UTC)
    return ArxivRecord(arxiv_id, 1, title, ("A. Author",), f"Abstract of {title}.", when, when)


def test_planning_library_on_both_backends(db_url: str) -> None:
    from catalog.store.catalog import Catalog
    from catalog.store.planning import (
        add_talk,
        create_session,
        delete_session,
        get_session,
        list_presenters,
        list_sessions,
        move_talk,
        remove_talk,
        rename_presenter,
    )

    with Catalog.open(db_url) as catalog:
        catalog.upsert_arxiv([_record("1611.00712", "Concrete"), _record("1804.01694", "FBGAN")])
        create_session(catalog, SLUG, "Generative18", term="2018Reads", tags=["generative"])
        assert add_talk(catalog, SLUG, ["1611.00712"], presenter="Arshdeep").status == "added"
        add_talk(catalog, SLUG, [], presenter="Gao Ji", title="Summary")
        add_talk(catalog, SLUG, ["1804.01694"], presenter="GaoJi", slides="s.pdf", position=1)
        view = get_session(catalog, SLUG)
        assert [(t.position, t.presenter, t.title) for t in view.presentations] == [
            (1, "Gao Ji", "FBGAN"),
            (2, "Arshdeep", "Concrete"),
            (3, "Gao Ji", "Summary"),
        ]
        assert view.presentations[0].link_url == "https://arxiv.org/abs/1804.01694"
        assert view.presentations[2].link_url == ""  # what the importer reads from no link
        assert move_talk(catalog, SLUG, "#3", 1).title == "Summary"
        summary = list_sessions(catalog, terms=["2018Reads"])
        assert [(x.slug, x.talks, x.papers, x.presenters) for x in summary] == [(SLUG, 3, 2, 2)]

        add_talk(catalog, SLUG, [], presenter="Ji", title="Extra")
        merged = rename_presenter(catalog, "ji", "Gao  Ji")
        assert (merged.merged, merged.talks_moved, merged.new) == (True, 1, "Gao Ji")
        assert [(p.name, p.talks, p.papers) for p in list_presenters(catalog)] == [
            ("Gao Ji", 3, 1),
            ("Arshdeep", 1, 1),
        ]
        assert remove_talk(catalog, SLUG, "1611.00712").position == 3
        assert [t.position for t in get_session(catalog, SLUG).presentations] == [1, 2, 3]
        assert len(delete_session(catalog, SLUG).presentations) == 3
        assert list_sessions(catalog) == []
        assert len(catalog.list_papers()) == 2


def test_concurrent_talks_get_distinct_rows(db_url: str) -> None:
    """Writers adding talks to one session at once end with rows 1..n, none lost."""
    from concurrent.futures import ThreadPoolExecutor

    from catalog.store.catalog import Catalog
    from catalog.store.planning import add_talk, create_session, get_session

    with Catalog.open(db_url) as catalog:
        create_session(catalog, SLUG, "Generative18")

    def worker(n: int) -> None:
        with Catalog.open(db_url) as mine:
            for k in range(4):
                add_talk(mine, SLUG, [], presenter=f"P{n}", title=f"Talk {n}.{k}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(worker, range(4)))
    with Catalog.open(db_url) as catalog:
        talks = get_session(catalog, SLUG).presentations
    assert [t.position for t in talks] == list(range(1, 17))
    assert sorted(t.title for t in talks) == sorted(
        f"Talk {n}.{k}" for n in range(4) for k in range(4)
    )

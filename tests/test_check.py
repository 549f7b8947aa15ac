"""``check_post``: exact findings for the seed post and every fixture; matching; reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.check import CODES, SEVERITY, Finding, KnownPaper, check_post
from catalog.check.config import Overrides, Resolver
from catalog.check.match import (
    TITLE_THRESHOLD,
    abstract_similarity,
    assign,
    own_footnotes,
    title_similarity,
)
from catalog.check.report import render_json, render_text
from catalog.check.runner import findings_for
from catalog.posts import parse_post, read_post
from tests.test_check_precommit import catalog_command
from tests.test_hostile_posts import EXPECTED_CHECK
from tests.test_posts_parse import FIXTURES, seed_text

Expected = list[tuple[int, str, str | None, str | None]]  # (line, code, label, suggest)


def brief(findings: list[Finding]) -> Expected:
    return [(f.line, f.code, f.label, f.suggest) for f in findings]


def check_fixture(name: str, known: dict[str, KnownPaper] | None = None) -> list[Finding]:
    post = read_post(FIXTURES / name)
    return check_post(post, known.get if known is not None else None)


# ----------------------------------------------------------------------------- seed


def test_seed_findings_exactly(tmp_path: Path) -> None:
    path = tmp_path / "2018-07-31-Generative18.md"
    path.write_text(seed_text(), encoding="utf-8")
    findings = check_post(read_post(path))
    assert brief(findings) == [
        (12, "footnote-mismatch", "1", "4"),
        (13, "footnote-mismatch", "2", "3"),
        (14, "link-empty", None, None),
        (15, "footnote-mismatch", "3", "5"),
        (16, "link-empty", None, None),
        (17, "footnote-mismatch", "4", "2"),
        (18, "footnote-mismatch", "5", "1"),
    ]
    assert [(f.line, f.column) for f in findings if f.code == "link-empty"] == [(14, 52), (16, 114)]
    assert findings[0].column == 140  # the "[^1]" of line 12
    assert all(f.path == str(path) for f in findings)
    assert findings[0].severity == "error"
    assert findings[0].message == (
        '[^1] is about "Synthesizing Programs for Images using ..."; '
        'this row\'s paper is "The Concrete Distribution: A Continuous ..."; use [^4]'
    )
    assert findings[2].severity == "warning"


SEED_REPORT = [
    ("12:140", "footnote-mismatch", "use [^4]"),
    ("13:112", "footnote-mismatch", "use [^3]"),
    ("14:52", "link-empty", "empty link [PDF]() for the paper"),
    ("15:147", "footnote-mismatch", "use [^5]"),
    ("16:114", "link-empty", "empty link [PDF]() for the paper"),
    ("17:129", "footnote-mismatch", "use [^2]"),
    ("18:166", "footnote-mismatch", "use [^1]"),
]


def test_seed_on_the_command_line(tmp_path: Path) -> None:
    """The seed post as a site holds it, checked by the installed `catalog` command:
    before and after it is imported (the read path then has a catalog to ask), fixed."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_posts" / "2018-07-31-Generative18.md").write_text(seed_text(), encoding="utf-8")

    def catalog(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*catalog_command(), *args], cwd=site, capture_output=True,
                              text=True, timeout=120, check=False)

    def report(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
        """(line:column, code, the message's last clause) of each finding."""
        out = []
        for line in done.stdout.splitlines()[:-1]:
            where, code, message = line.split(" ", 2)
            path, position = where.rstrip(":").split(":", 1)
            assert path == "_posts/2018-07-31-Generative18.md", line
            out.append((position, code, message.rsplit("; ", 1)[-1]))
        return out

    summary = "7 problems (5 errors, 2 warnings) in 1 file"
    done = catalog("check", "_posts")
    assert (done.returncode, report(done), done.stdout.splitlines()[-1]) == (
        1, SEED_REPORT, summary), done.stderr
    assert not (tmp_path / "catalog.sqlite").exists()  # CATALOG_DB: check created none
    assert catalog("import", "_posts").returncode == 0
    done = catalog("check", "_posts")
    assert (done.returncode, report(done), done.stdout.splitlines()[-1]) == (
        1, SEED_REPORT, summary), done.stderr
    fixed = catalog("check", "--fix", "_posts")
    assert fixed.stderr == "fixed _posts/2018-07-31-Generative18.md\n"
    assert report(fixed) == [r for r in SEED_REPORT if r[1] == "link-empty"]
    assert fixed.returncode == 1  # the two empty links are warnings --fix cannot mend


def test_seed_own_footnotes(tmp_path: Path) -> None:
    post = parse_post(seed_text(), "2018-07-31-Generative18.md")
    own = own_footnotes(post)
    assert {post.rows[i].line: fn.label for (i, _k), fn in own.items()} == {
        12: "4", 13: "3", 15: "5", 17: "2", 18: "1"
    }


# ---------------------------------------------------------------------- fixtures


FIXTURE_FINDINGS: dict[str, Expected] = {
    "2019-01-15-swap.md": [
        (14, "footnote-mismatch", "1", "2"),
        (15, "footnote-mismatch", "2", "1"),
    ],
    "2019-01-22-rotation.md": [
        (12, "footnote-mismatch", "1", "2"),
        (13, "footnote-mismatch", "2", "3"),
        (14, "footnote-mismatch", "3", "4"),
        (15, "footnote-mismatch", "4", "1"),
    ],
    "2019-02-05-orphans.md": [
        (16, "footnote-mismatch", "1", "2"),
        (16, "footnote-shared", "1", None),
        (17, "footnote-undefined", "7", "3"),
        (23, "footnote-unused", "2", None),
        (25, "footnote-unused", "3", None),
        (27, "footnote-duplicate", "2", None),
    ],
    "2019-02-12-cells.md": [],
    "2019-02-19-index.md": [
        (12, "footnote-mismatch", "spiral-2018", "pqt"),
        (13, "footnote-mismatch", "pqt", "spiral-2018"),
    ],
    # Abstract-only footnotes cannot be compared without the catalog: no mismatch.
    "2019-02-26-abstracts.md": [],
    "2019-03-05-headings.md": [],
    "2019-03-12-broken-yaml.md": [(3, "frontmatter-invalid", None, None)],
    "2019-03-19-malformed.md": [
        (10, "table-short-row", None, None),
        (11, "table-malformed", None, None),
        (13, "table-malformed", None, None),
        (15, "table-malformed", None, None),
    ],
    "2019-03-26-url-duplicate.md": [
        (14, "footnote-shared", "1", None),
        (15, "url-duplicate", None, None),
        (16, "link-empty", None, None),
    ],
    "2019-04-02-nas-nos.md": [
        (13, "footnote-mismatch", "2", "1"),
        (14, "footnote-mismatch", "1", "2"),
    ],
    "2019-04-09-catalog.md": [(14, "url-duplicate", None, None)],
    "2019-04-16-missing.md": [
        (14, "footnote-missing", None, "2"),
        (19, "footnote-unused", "2", None),
    ],
    # Its rows are still read (and imported, with a warning).
    "2019-04-30-no-separator.md": [(10, "table-malformed", None, None)],
    # check_post's findings; the post's catalog: ignore comments silence them (below).
    "2019-04-23-suppressions.md": [
        (14, "footnote-shared", "1", None),
        (15, "link-empty", None, None),
        (16, "url-duplicate", None, None),
        (19, "footnote-undefined", "notes", None),
        (28, "footnote-unused", "4", None),
    ],
}

# What `catalog check` reports (default settings) for the fixtures with suppressions:
# the findings above less the silenced ones, plus the comments that silence nothing.
REPORTED_FINDINGS: dict[str, Expected] = {
    "2019-04-23-suppressions.md": [(16, "unused-suppression", None, None)],
}


def test_every_fixture_has_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.md")) == sorted(FIXTURE_FINDINGS)


@pytest.mark.parametrize("name", sorted(FIXTURE_FINDINGS))
def test_fixture_findings(name: str) -> None:
    assert brief(check_fixture(name)) == FIXTURE_FINDINGS[name]


@pytest.mark.parametrize("name", sorted(REPORTED_FINDINGS))
def test_fixture_findings_after_suppressions(name: str) -> None:
    path = FIXTURES / name
    settings = Resolver(Overrides(isolated=True)).settings_for(path)
    found = findings_for(read_post(path), path.read_text(encoding="utf-8"), settings)
    assert brief(found) == REPORTED_FINDINGS[name]


def test_orphan_messages() -> None:
    by_code: dict[str, Finding] = {}
    for f in check_fixture("2019-02-05-orphans.md"):
        by_code.setdefault(f.code, f)
    assert by_code["footnote-shared"].message == "[^1] is also cited by the row on line 15"
    assert by_code["footnote-undefined"].message == (
        "[^7] is cited but no footnote defines it; use [^3]"
    )
    assert by_code["footnote-undefined"].column == 68
    assert by_code["footnote-duplicate"].message == "[^2] is defined twice; first on line 23"
    assert by_code["footnote-unused"].message == (
        "[^2] is not cited; it is about the paper on line 16"
    )


def test_refs_in_prose_count_as_citations() -> None:
    text = "See [^n] and [^gone].\n\n[^n]: A note on the session.\n"
    assert brief(check_post(parse_post(text, "x.md"))) == [
        (1, "footnote-undefined", "gone", None)
    ]


def test_url_duplicate_message_and_columns() -> None:
    found = check_fixture("2019-03-26-url-duplicate.md")
    dup = next(f for f in found if f.code == "url-duplicate")
    assert dup.column == 70
    assert dup.message == (
        'http://arxiv.org/pdf/1810.04805.pdf is also the link of '
        '"BERT: Pre-training of Deep Bidirectional ..." (line 13)'
    )
    empty = next(f for f in found if f.code == "link-empty")
    assert (empty.line, empty.column, empty.message) == (
        16, 81, "empty link [PDF]() for the paper"
    )


def test_nas_survey_gets_its_own_footnote() -> None:
    # "Neural Architecture Search" is a prefix of two footnote titles; the assignment gives
    # [^1] to the NAS-with-RL row (exact) and the survey's footnote to the short title.
    post = read_post(FIXTURES / "2019-04-02-nas-nos.md")
    own = own_footnotes(post)
    assert {post.rows[i].line: fn.label for (i, _k), fn in own.items()} == {
        13: "1", 14: "2", 15: "3"
    }


# ------------------------------------------------------------------- with catalog

SN_ABSTRACT = (
    "One of the challenges in the study of generative adversarial networks is the "
    "instability of its training. In this paper, we propose a novel weight normalization "
    "technique called spectral normalization to stabilize the training of the discriminator. "
    "Our new normalization technique is computationally light and easy to incorporate into "
    "existing implementations."
)
WGAN_ABSTRACT = (
    "We introduce a new algorithm named WGAN, an alternative to traditional GAN training. In "
    "this new model, we show that we can improve the stability of learning, get rid of "
    "problems like mode collapse, and provide meaningful learning curves useful for "
    "debugging and hyperparameter searches. Furthermore, we show that the corresponding "
    "optimization problem is sound."
)
GUMBEL_ABSTRACT = (
    "Categorical variables are a natural choice for representing discrete structure in the "
    "world. However, stochastic neural networks rarely use categorical latent variables due "
    "to the inability to backpropagate through samples. In this work, we present an "
    "efficient gradient estimator that replaces the non-differentiable sample from a "
    "categorical distribution with a differentiable sample from a novel Gumbel-Softmax "
    "distribution, which can be smoothly annealed into a categorical distribution."
)
VQVAE_ABSTRACT = (
    "Learning useful representations without supervision remains a key challenge in "
    "machine learning. In this paper, we propose a simple yet powerful generative model "
    "that learns such discrete representations. Our model, the Vector Quantised-Variational "
    "AutoEncoder (VQ-VAE), differs from VAEs in two key ways: the encoder network outputs "
    "discrete, rather than continuous, codes; and the prior is learnt rather than static."
)
REBAR_ABSTRACT = (
    "Learning in models with discrete latent variables is challenging due to high variance "
    "gradient estimators. Generally, approaches have relied on control variates to reduce "
    "the variance of the REINFORCE estimator. In this work, we combine the two approaches "
    "through a novel control variate that produces low-variance, unbiased gradient "
    "estimates."
)

CATALOG: dict[str, KnownPaper] = {
    "1701.07875": KnownPaper("1701.07875", "Wasserstein GAN", WGAN_ABSTRACT),
    "1802.05957": KnownPaper(
        "1802.05957", "Spectral Normalization for Generative Adversarial Networks", SN_ABSTRACT
    ),
    "1611.01144": KnownPaper(
        "1611.01144", "Categorical Reparameterization with Gumbel-Softmax", GUMBEL_ABSTRACT
    ),
    "1711.00937": KnownPaper("1711.00937", "Neural Discrete Representation Learning",
                             VQVAE_ABSTRACT),
    "1703.07370": KnownPaper(
        "1703.07370",
        "REBAR: Low-variance, unbiased gradient estimates for discrete latent variable models",
        REBAR_ABSTRACT,
    ),
    "1312.6199": KnownPaper(
        "1312.6199",
        "Intriguing properties of neural networks",
        "Deep neural networks are highly expressive models that have recently achieved state "
        "of the art performance on speech and visual recognition tasks. Their expressiveness "
        "also makes them learn uninterpretable solutions with counter-intuitive properties; "
        "we report two such properties, including that small imperceptible perturbations of "
        "an image can change the network's prediction.",
    ),
    "1608.04644": KnownPaper(
        "1608.04644",
        "Towards Evaluating the Robustness of Neural Networks",
        "Neural networks provide state-of-the-art results for most machine learning tasks. "
        "Unfortunately, neural networks are vulnerable to adversarial examples; we devise "
        "three new attack algorithms that succeed on both distilled and undistilled neural "
        "networks.",
    ),
}


# What check_post finds in fixtures when the catalog knows CATALOG's papers.
CATALOG_FINDINGS: dict[str, Expected] = {
    "2019-04-09-catalog.md": [
        (14, "title-mismatch", None, None),
        (14, "url-duplicate", None, None),
        (15, "abstract-mismatch", "3", None),
    ],
    "2019-02-26-abstracts.md": [
        (13, "footnote-mismatch", "a", "b"),
        (14, "footnote-mismatch", "b", "a"),
    ],
}


@pytest.mark.parametrize("name", sorted(CATALOG_FINDINGS))
def test_fixture_findings_with_catalog(name: str) -> None:
    assert brief(check_fixture(name, CATALOG)) == CATALOG_FINDINGS[name]


def test_title_and_abstract_mismatch_with_catalog() -> None:
    found = check_fixture("2019-04-09-catalog.md", CATALOG)
    assert brief(found) == CATALOG_FINDINGS["2019-04-09-catalog.md"]
    title = found[0]
    assert title.column == 57 and title.severity == "error"
    assert title.message == (
        'the link is arXiv:1701.07875 "Wasserstein GAN"; this row\'s title is '
        '"Improved Training of Wasserstein GANs" (wrong link?)'
    )
    assert found[2].message.startswith(
        "[^3] has the title of this row's paper but its abstract is not the abstract of "
        "arXiv:1802.05957"
    )


def test_abstract_only_footnotes_matched_by_content_with_catalog() -> None:
    found = check_fixture("2019-02-26-abstracts.md", CATALOG)
    assert brief(found) == CATALOG_FINDINGS["2019-02-26-abstracts.md"]
    assert found[0].message == (
        '[^a] holds the abstract of "Neural Discrete Representation Learning" (line 14); '
        'this row\'s paper is "Categorical Reparameterization with ..."; use [^b]'
    )


def test_abstract_only_footnote_about_no_row() -> None:
    known = {
        "1611.01144": CATALOG["1611.01144"],
        "1711.00937": KnownPaper("1711.00937", "Neural Discrete Representation Learning", None),
    }
    found = check_fixture("2019-02-26-abstracts.md", known)
    # Row 13's catalog abstract is Gumbel's, held by [^b], so row 14 citing [^b] cites
    # another row's footnote; the catalog has no abstract for row 14, so no footnote is
    # known to be its own ([^a] stays unjudged).
    assert brief(found) == [
        (13, "footnote-mismatch", "a", "b"),
        (14, "footnote-mismatch", "b", None),
    ]
    assert found[1].message == (
        '[^b] holds the abstract of "Categorical Reparameterization with ..." (line 13); '
        'this row\'s paper is "Neural Discrete Representation Learning"; '
        "no footnote is about this paper"
    )


def test_headings_abstract_checked_against_catalog() -> None:
    known = dict(CATALOG)
    known["1312.6199"] = KnownPaper(
        "1312.6199", "Intriguing properties of neural networks", GUMBEL_ABSTRACT
    )
    assert brief(check_fixture("2019-03-05-headings.md", CATALOG)) == []
    assert brief(check_fixture("2019-03-05-headings.md", known)) == [
        (13, "abstract-mismatch", None, None)
    ]


def test_lookup_is_asked_only_for_paper_rows(tmp_path: Path) -> None:
    asked: list[str] = []

    def lookup(arxiv_id: str) -> KnownPaper | None:
        asked.append(arxiv_id)
        return None

    post = parse_post(seed_text(), "2018-07-31-Generative18.md")
    check_post(post, lookup)
    assert asked == ["1611.00712", "1804.01694", "1711.05772", "1802.02550", "1804.01118"]


# ---------------------------------------------------------------------- matching


def test_near_identical_titles_are_different_papers() -> None:
    nas = "Neural Architecture Search with Reinforcement Learning"
    nos = "Neural Optimizer Search with Reinforcement Learning"
    assert title_similarity(nas, nos) < TITLE_THRESHOLD
    assert title_similarity(nas, nas.upper()) == 1.0
    assert title_similarity("Improved Training of Wasserstein GANs", "Wasserstein GAN") < 0.6


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Semi-Amortized Variational Autoencoders", "Semi-amortized variational auto-encoders"),
        ("Semi-Amortized Variational Autoencoders", "Semi-Amoritzed Variational Autoencoders"),
        ("Auto-Encoding Variational Bayes", "Auto-encoding variational {B}ayes"),
        ("Wasserstein GAN", "Wasserstein GANs"),
        ("Generative Adversarial Nets", "Generative Adversarial Networks"),
        ("The Concrete Distribution",
         "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"),
        ("Naïve Bayes is Enough", "Naive Bayes is enough!"),
    ],
)
def test_same_paper_titles_match(a: str, b: str) -> None:
    assert title_similarity(a, b) >= TITLE_THRESHOLD


def test_abstract_similarity() -> None:
    assert abstract_similarity(GUMBEL_ABSTRACT, GUMBEL_ABSTRACT) == 1.0
    assert abstract_similarity(GUMBEL_ABSTRACT, GUMBEL_ABSTRACT[:200]) >= 0.9
    assert abstract_similarity(GUMBEL_ABSTRACT, VQVAE_ABSTRACT) < 0.4
    assert abstract_similarity(REBAR_ABSTRACT, "") == 0.0


def test_assign_solves_the_whole_matrix() -> None:
    # Greedy (row 0 takes its best, 0.9) would leave row 1 without a footnote.
    assert assign([[0.9, 0.8], [0.85, 0.0]]) == {0: 1, 1: 0}
    assert assign([[0.0, 0.0], [0.0, 0.0]]) == {}
    assert assign([]) == {}
    # ties go to the footnote a row already cites
    assert assign([[0.9, 0.9], [0.9, 0.9]], [[False, True], [True, False]]) == {0: 1, 1: 0}
    assert assign([[0.9], [0.9]], [[False], [True]]) == {1: 0}


TITLES = [
    "Neural Architecture Search with Reinforcement Learning",
    "Neural Optimizer Search with Reinforcement Learning",
    "Semi-Amortized Variational Autoencoders",
    "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    "Categorical Reparameterization with Gumbel-Softmax",
    "Wasserstein GAN",
    "Improved Training of Wasserstein GANs",
    "Graph Attention Networks",
    "How Powerful are Graph Neural Networks?",
    "Deep Sets",
]


def permuted_post(perm: list[int]) -> str:
    """A post whose row i cites [^i+1] while footnote k is about paper perm[k-1]."""
    lines = ["---", "title: Generated", "---", "", "| Presenter | Papers | Paper URL |",
             "| --- | --- | --- |"]
    for i in range(len(perm)):
        lines.append(f"| P{i} | {TITLES[i]}, Ann Lee [^{i + 1}] | [PDF](https://x.org/{i}) |")
    lines.append("")
    for k, paper in enumerate(perm, start=1):
        lines.append(f"[^{k}]: <sub><sup> {TITLES[paper]}, Bo Chen / ICML18 / An abstract "
                     f"about paper {paper}. </sup></sub>")
        lines.append("")
    return "\n".join(lines)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=len(TITLES)).flatmap(
    lambda n: st.permutations(list(range(n)))))
def test_any_permutation_is_recognised(perm: list[int]) -> None:
    post = parse_post(permuted_post(perm), "gen.md")
    found = check_post(post)
    where = {paper: k for k, paper in enumerate(perm, start=1)}  # paper -> its footnote
    expected = [
        (7 + i, "footnote-mismatch", str(i + 1), str(where[i]))
        for i in range(len(perm))
        if perm[i] != i
    ]
    assert brief(found) == expected


# ----------------------------------------------------------------------- reports


def test_codes_are_documented() -> None:
    assert set(CODES) == set(SEVERITY)
    assert all(doc and doc == doc.strip() for doc in CODES.values())
    emitted = {code for exp in FIXTURE_FINDINGS.values() for _, code, _, _ in exp}
    emitted |= {code for exp in REPORTED_FINDINGS.values() for _, code, _, _ in exp}
    emitted |= {code for exp in CATALOG_FINDINGS.values() for _, code, _, _ in exp}
    # Posts too large to read are generated, not kept in the repository.
    emitted |= {code for _, found in EXPECTED_CHECK.values() for _, code in found}
    assert emitted == set(CODES)  # every code has a fixture that shows it


def test_render_text_and_json(tmp_path: Path) -> None:
    findings = check_fixture("2019-03-26-url-duplicate.md")
    text = render_text(findings, 2)
    lines = text.splitlines()
    path = str(FIXTURES / "2019-03-26-url-duplicate.md")
    assert lines[0] == f"{path}:14:101: footnote-shared [^1] is also cited by the row on line 13"
    assert lines[2] == f"{path}:16:81: link-empty empty link [PDF]() for the paper"
    assert lines[-1] == "3 problems (0 errors, 3 warnings) in 2 files"
    assert render_text([], 1) == "0 problems (0 errors, 0 warnings) in 1 file"
    one = [findings[0].__class__(**{**findings[0].__dict__, "severity": "error"})]
    assert render_text(one, 1).endswith("1 problem (1 error, 0 warnings) in 1 file")

    doc = json.loads(render_json(findings, 2))
    assert list(doc) == ["files", "findings", "unreadable"]
    assert doc["files"] == 2
    assert doc["findings"][0] == {
        "path": path,
        "line": 14,
        "column": 101,
        "code": "footnote-shared",
        "severity": "warning",
        "message": "[^1] is also cited by the row on line 13",
        "label": "1",
        "suggest": None,
    }
    assert json.loads(render_json([], 0)) == {"files": 0, "findings": [], "unreadable": []}


def test_shortened_title_citing_its_footnote_is_not_a_mismatch() -> None:
    text = (
        "| Presenter | Papers |\n| --- | --- |\n"
        "| A | FBGAN for DNA [^1] |\n"
        "| B | Neural Architecture Search with Reinforcement Learning [^2] |\n\n"
        "[^1]: Feedback GAN (FBGAN) for DNA: a Novel Feedback-Loop Architecture for "
        "Optimizing Protein Functions / Anvita Gupta, James Zou / An abstract.\n\n"
        "[^2]: Neural Optimizer Search with Reinforcement Learning, Irwan Bello / ICML17 / "
        "An abstract.\n"
    )
    assert brief(check_post(parse_post(text, "x.md"))) == [(4, "footnote-mismatch", "2", None)]

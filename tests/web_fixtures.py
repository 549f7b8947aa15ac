"""A small catalog for the web tests: the example posts, a post written to be hostile,
and a paper from "arXiv" whose title is a script tag."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from catalog.importers.posts import import_posts
from catalog.posts.discover import find_posts
from catalog.records import ArxivRecord, Identifier, WorkRecord
from catalog.store.catalog import Catalog

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "_posts"
# The example posts the web and search tests count papers, talks and sessions of (the
# folder holds more: one post per table shape the parser reads).
EXAMPLE_POSTS = [
    EXAMPLES / name
    for name in (
        "2018-07-31-generative.md",
        "2019-02-12-architecture-search.md",
        "2019-03-05-robustness.md",
    )
]
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_ID = "2101.00001"

HOSTILE_POST = """\
---
layout: post
title: "Hostile19 - <script>alert('post')</script> & friends"
desc: 2019-team
term: 2019Reads
tags:
- hostile
---

| Presenter | Papers | Paper URL | Our Slides |
| -----: | ---------------------------: | :----- | :----- |
| Mallory | <img src=x onerror=alert(2)> Tricks [^1] | [PDF](javascript:alert(3)) | [PDF](javascript:alert(4)) |

[^1]: <sub><sup> <img src=x onerror=alert(2)> Tricks / M. Allory / An abstract with $<$ and & and <b>bold</b> </sup></sub>
"""  # noqa: E501


def hostile_record() -> ArxivRecord:
    when = datetime(2021, 1, 4, tzinfo=UTC)
    return ArxivRecord(
        arxiv_id=HOSTILE_ID,
        version=1,
        title=HOSTILE_TITLE,
        authors=("Eve <b>Evil</b>", "Trudy & Co"),
        abstract="Bounds with $x<y$ & $a>b$; <script>alert('abstract')</script>",
        published=when,
        updated=when,
        primary_category="cs.CR",
        categories=("cs.CR",),
        url=f"https://arxiv.org/abs/{HOSTILE_ID}",
    )


# Where two of the example papers were published, as DBLP and Crossref describe them:
# the Concrete distribution (arXiv 2016) appeared at ICLR 2017; the DOI is a real
# 1998 SICI DOI, whose "<", ">", ";" and "#"-free punctuation a link must encode.
SICI_DOI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"
PUBLISHED = {
    "1611.00712": WorkRecord(
        source="dblp",
        title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
        authors=("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
        year=2017,
        kind="proceedings",
        venue="ICLR (Poster)",
        publisher="OpenReview.net",
        url="https://openreview.net/forum?id=S1jE5L5gl",
        identifiers=(
            Identifier("dblp", "conf/iclr/MaddisonMT17"),
            Identifier("openreview", "S1jE5L5gl"),
        ),
        source_id="conf/iclr/MaddisonMT17",
    ),
    "1802.02550": WorkRecord(
        source="crossref",
        title="Semi-Amortized Variational Autoencoders",
        authors=(
            "Yoon Kim",
            "Sam Wiseman",
            "Andrew C. Miller",
            "David Sontag",
            "Alexander M. Rush",
        ),
        year=2018,
        kind="proceedings",
        venue="Proceedings of the 35th International Conference on Machine Learning",
        volume="80",
        issue="3",
        pages="2678-2687",
        publisher="PMLR",
        identifiers=(Identifier("doi", SICI_DOI), Identifier("pmlr", "v80/kim18e")),
        source_id=SICI_DOI,
    ),
}


def publish(catalog: Catalog) -> None:
    """Store :data:`PUBLISHED` onto the papers of those arXiv ids."""
    ids = [catalog.find_paper(arxiv_id).id for arxiv_id in PUBLISHED]
    catalog.store_works(list(PUBLISHED.values()), ids)


def fill(catalog: Catalog, tmp_path: Path) -> None:
    """The example posts, the hostile post, the hostile paper; two papers published."""
    posts = tmp_path / "hostile_posts"
    posts.mkdir(exist_ok=True)
    (posts / "2019-05-01-hostile.md").write_text(HOSTILE_POST, encoding="utf-8")
    summary = import_posts(catalog, find_posts([*EXAMPLE_POSTS, posts]))
    assert not summary.failed, summary.failed
    catalog.upsert_arxiv([hostile_record()])
    publish(catalog)

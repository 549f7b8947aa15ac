"""Identifiers in the store, on SQLite and PostgreSQL: finding and attaching them, storing
published records with provenance, one paper however it was found (merges), and the
importers' use of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from catalog.cli.main import cli
from catalog.errors import NotFound
from catalog.records import Identifier, WorkRecord
from catalog.store.catalog import Catalog
from catalog.store.identifiers import (
    attach_identifiers,
    detach_identifiers,
    identifiers_of,
    papers_by_identifier,
)
from catalog.store.models import Abstract, Paper, PaperIdentifier, PaperVersion
from catalog.store.provenance import may_set, rank
from catalog.store.works import merge_papers, store_work
from tests.test_store import CONCRETE, GUMBEL

ARXIV = Identifier("arxiv", "1611.00712")
DOI = Identifier("doi", "10.5555/concrete.2017")
OPENREVIEW = Identifier("openreview", "S1jE5L5gl")

# As the sources would give them: Crossref's record of the published paper (with its
# has-preprint relation to arXiv), OpenReview's note (no other identifier), DBLP's entry.
CROSSREF = WorkRecord(
    source="crossref",
    title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    authors=("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
    year=2017,
    kind="proceedings",
    venue="International Conference on Learning Representations",
    pages="1-20",
    publisher="OpenReview",
    abstract="A published abstract that arXiv's must not replace.",
    url="https://doi.org/10.5555/concrete.2017",
    identifiers=(DOI, ARXIV),
    source_id="10.5555/concrete.2017",
)
OPENREVIEW_NOTE = WorkRecord(
    source="openreview",
    title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    authors=("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
    year=2017,
    kind="proceedings",
    venue="ICLR 2017",
    url="https://openreview.net/forum?id=S1jE5L5gl",
    identifiers=(OPENREVIEW,),
    source_id="S1jE5L5gl",
)
DBLP = WorkRecord(
    source="dblp",
    title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    authors=("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
    year=2017,
    kind="proceedings",
    venue="ICLR",
    identifiers=(Identifier("dblp", "conf/iclr/MaddisonMT17"), OPENREVIEW),
    links=("https://openreview.net/forum?id=S1jE5L5gl",),
)


@pytest.fixture
def catalog(migrated_db_url: str) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as opened:
        yield opened


def ids_of(catalog: Catalog, paper_id: int) -> list[Identifier]:
    with catalog.read() as s:
        return identifiers_of(s, [paper_id]).get(paper_id, [])


def count(catalog: Catalog, model: type) -> int:
    with catalog.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def columns(catalog: Catalog, paper_id: int) -> tuple[str | None, str | None, dict[str, str]]:
    with catalog.read() as s:
        paper = s.get(Paper, paper_id)
        assert paper is not None
        return paper.arxiv_id, paper.doi, dict(paper.field_sources)


# -- the precedence rule --------------------------------------------------------------------


def test_the_precedence_rule() -> None:
    # arXiv stays the source of the preprint's own fields.
    for field in ("title", "authors", "abstract", "url", "published"):
        assert not may_set(field, "arxiv", "crossref")
        assert may_set(field, "crossref", "arxiv")
    # A published record adds where the paper appeared, over arXiv's DOI too.
    for field in ("venue", "year", "kind", "volume", "issue", "pages", "publisher", "doi"):
        assert may_set(field, "arxiv", "crossref")
        assert may_set(field, "post", "dblp")
    # A post's or a .bib file's value never overwrites a source's.
    for field in ("title", "authors", "venue", "year", "doi"):
        for source in ("arxiv", "crossref", "dblp", "openreview", "proceedings"):
            assert not may_set(field, source, "post")
            assert not may_set(field, source, "bib")
        assert may_set(field, "post", "bib") and not may_set(field, "bib", "post")
        assert may_set(field, "post", "post")  # a re-imported post updates its own
    assert may_set("title", None, "post")  # an empty field takes any value
    assert rank("venue", "crossref") > rank("venue", "dblp") > rank("venue", "arxiv")
    with pytest.raises(ValueError, match="no precedence rule"):
        rank("colour", "arxiv")


# -- identifiers -----------------------------------------------------------------------------


def test_attach_find_and_the_copied_columns(catalog: Catalog) -> None:
    (added,) = catalog.upsert_arxiv([CONCRETE])
    pid = added.paper_id

    def work(s: DbSession) -> None:
        result = attach_identifiers(
            s, pid, [Identifier("doi", "10.1000/b"), Identifier("doi", "10.1000/a")], "post"
        )
        assert [i for _, i in result.added] == [
            Identifier("doi", "10.1000/a"),
            Identifier("doi", "10.1000/b"),
        ]
        again = attach_identifiers(s, pid, [Identifier("doi", "10.1000/b")], "post")
        assert again.added == [] and again.taken == {}  # already this paper's

    catalog.write(work)
    assert columns(catalog, pid)[:2] == ("1611.00712", "10.1000/a")  # the oldest post DOI
    # A stronger source's DOI is the one the paper's exports write.
    stronger = Identifier("doi", "10.1000/c")
    catalog.write(lambda s: attach_identifiers(s, pid, [stronger], "crossref"))
    arxiv_id, doi, sources = columns(catalog, pid)
    assert (arxiv_id, doi, sources["doi"]) == ("1611.00712", "10.1000/c", "crossref")
    dois = [Identifier("doi", f"10.1000/{x}") for x in "cab"]
    assert ids_of(catalog, pid) == [ARXIV, *dois]
    # A source giving a DOI the paper has makes it that source's, when stronger.
    catalog.write(lambda s: attach_identifiers(s, pid, [Identifier("doi", "10.1000/b")], "dblp"))
    assert ids_of(catalog, pid) == [ARXIV, *[Identifier("doi", f"10.1000/{x}") for x in "cba"]]
    catalog.write(lambda s: detach_identifiers(s, pid, [stronger]))
    assert columns(catalog, pid)[1:] == ("10.1000/b", {**sources, "doi": "dblp"})
    with catalog.read() as s:
        assert papers_by_identifier(s, [ARXIV, Identifier("doi", "10.1000/b"), DOI]) == {
            ARXIV: pid,
            Identifier("doi", "10.1000/b"): pid,
        }
    assert catalog.find_paper("doi:10.1000/B").id == pid  # any form, any case


def test_an_identifier_belongs_to_one_paper(catalog: Catalog) -> None:
    one, two = catalog.upsert_arxiv([CONCRETE, GUMBEL])

    def work(s: DbSession) -> None:
        first = attach_identifiers(s, one.paper_id, [DOI], "crossref")
        assert first.added == [(one.paper_id, DOI)]
        other = Identifier("arxiv", "1802.02550")
        second = attach_identifiers(s, two.paper_id, [DOI, ARXIV, other], "crossref")
        assert second.added == []
        assert second.taken == {
            (two.paper_id, DOI): one.paper_id,
            (two.paper_id, ARXIV): one.paper_id,
        }
        # GUMBEL has its own arXiv id: a second one is refused, not attached.
        assert "already has arxiv id 1611.01144" in second.refused[(two.paper_id, other)]

    catalog.write(work)
    assert ids_of(catalog, two.paper_id) == [Identifier("arxiv", "1611.01144")]
    with pytest.raises(IntegrityError):  # the database refuses a second owner outright
        catalog.write(
            lambda s: s.execute(
                PaperIdentifier.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {
                        "paper_id": two.paper_id,
                        "scheme": "doi",
                        "value": DOI.value,
                        "source": "post",
                        "created_at": datetime.now(UTC),
                    }
                ],
            )  # fmt: skip
        )


def test_concurrent_writers_of_one_new_record_make_one_paper(
    catalog: Catalog, migrated_db_url: str
) -> None:
    """Writers storing the same record at once (each its own connection) end with one
    paper owning its DOI, and every writer is told which."""
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer() -> None:
        try:
            with Catalog.open(migrated_db_url) as own:
                barrier.wait()
                results.append(own.write(lambda s: store_work(s, CROSSREF).paper_id))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert count(catalog, Paper) == 1
    assert sorted(ids_of(catalog, results[0])) == sorted([ARXIV, DOI])


# -- storing a published record ------------------------------------------------------------


def test_a_published_record_fills_where_it_appeared(catalog: Catalog) -> None:
    (arxiv,) = catalog.upsert_arxiv([CONCRETE])
    result = catalog.write(lambda s: store_work(s, CROSSREF))
    assert (result.paper_id, result.status) == (arxiv.paper_id, "updated")
    assert result.identifiers_added == [DOI]
    assert result.changes == {
        "venue": (None, "International Conference on Learning Representations"),
        "year": (None, 2017),
        "kind": (None, "proceedings"),
        "pages": (None, "1-20"),
        "publisher": (None, "OpenReview"),
        "abstract": (None, CROSSREF.abstract),
        "doi": (None, DOI.value),
    }
    paper = catalog.find_paper("1611.00712")
    # arXiv's own fields stay arXiv's: title, authors, abstract, link.
    assert paper.title == CONCRETE.title and paper.abstract == CONCRETE.abstract
    assert paper.url == "https://arxiv.org/abs/1611.00712"
    assert (paper.venue, paper.year, paper.kind, paper.pages) == (
        "International Conference on Learning Representations", 2017, "proceedings", "1-20",
    )  # fmt: skip
    assert paper.doi == DOI.value and paper.identifiers == [ARXIV, DOI]
    assert paper.field_sources == {
        "title": "arxiv", "authors": "arxiv", "url": "arxiv", "published": "arxiv",
        "abstract": "arxiv", "venue": "crossref", "year": "crossref", "kind": "crossref",
        "pages": "crossref", "publisher": "crossref", "doi": "crossref",
    }  # fmt: skip
    # The same record again changes nothing; a weaker source replaces nothing.
    assert catalog.write(lambda s: store_work(s, CROSSREF)).status == "unchanged"
    weaker = replace(DBLP, identifiers=(DOI,), venue="ICLR", year=2016)
    again = catalog.write(lambda s: store_work(s, weaker))
    assert again.changes == {}
    assert catalog.find_paper("1611.00712").venue.startswith("International")


def test_a_post_value_is_replaced_by_a_source_never_the_reverse(
    catalog: Catalog, tmp_path: Path
) -> None:
    post = _post(
        tmp_path,
        "| Ann | Deep Things, ICML18 | [paper](https://openreview.net/forum?id=Hk99zCeAb) | |",
    )
    _import(post)
    paper = catalog.find_paper("openreview:Hk99zCeAb")
    assert (paper.venue, paper.field_sources["venue"]) == ("ICML18", "post")
    record = WorkRecord(
        source="openreview", title="Deep Things Done Right", authors=("Ann Author",),
        year=2018, kind="proceedings", venue="ICLR 2018",
        identifiers=(Identifier("openreview", "Hk99zCeAb"),),
    )  # fmt: skip
    result = catalog.write(lambda s: store_work(s, record))
    assert result.paper_id == paper.id
    assert result.changes["venue"] == ("ICML18", "ICLR 2018")
    assert result.changes["title"] == ("Deep Things", "Deep Things Done Right")
    # Importing the post again does not undo what the source said.
    _import(post)
    paper = catalog.find_paper("openreview:Hk99zCeAb")
    assert (paper.title, paper.venue, paper.authors) == (
        "Deep Things Done Right",
        "ICLR 2018",
        ["Ann Author"],
    )
    assert paper.field_sources["title"] == paper.field_sources["venue"] == "openreview"


def test_a_record_naming_another_arxiv_id_is_refused(catalog: Catalog) -> None:
    (gumbel,) = catalog.upsert_arxiv([GUMBEL])
    result = catalog.write(lambda s: store_work(s, CROSSREF, paper_id=gumbel.paper_id))
    assert result.status == "refused" and "different arxiv ids" in (result.reason or "")
    assert ids_of(catalog, gumbel.paper_id) == [Identifier("arxiv", "1611.01144")]
    with pytest.raises(NotFound):
        catalog.write(lambda s: store_work(s, CROSSREF, paper_id=999_999))


# -- one paper, however it was found ---------------------------------------------------------


def test_added_by_arxiv_id_then_doi_then_openreview_is_one_paper(catalog: Catalog) -> None:
    (first,) = catalog.upsert_arxiv([CONCRETE])
    by_doi = catalog.write(lambda s: store_work(s, CROSSREF))
    by_openreview = catalog.write(lambda s: store_work(s, OPENREVIEW_NOTE))
    assert first.paper_id == by_doi.paper_id == by_openreview.paper_id
    assert count(catalog, Paper) == 1
    paper = catalog.find_paper("https://openreview.net/forum?id=S1jE5L5gl")
    assert paper.identifiers == [ARXIV, DOI, OPENREVIEW]
    assert catalog.find_paper("https://doi.org/10.5555/CONCRETE.2017").id == paper.id
    assert catalog.find_paper("1611.00712v2").id == paper.id


@pytest.mark.parametrize("order", ["doi-first", "openreview-first"])
def test_any_order_ends_in_one_paper(catalog: Catalog, order: str) -> None:
    arxiv_with_doi = replace(CONCRETE, doi="10.5555/CONCRETE.2017")  # arXiv's DOI field
    if order == "doi-first":
        crossref_only = replace(CROSSREF, identifiers=(DOI,))
        first = catalog.write(lambda s: store_work(s, crossref_only))
        (stored,) = catalog.upsert_arxiv([arxiv_with_doi])  # its DOI names the paper
        catalog.write(lambda s: store_work(s, OPENREVIEW_NOTE))
    else:
        first = catalog.write(lambda s: store_work(s, OPENREVIEW_NOTE))
        (stored,) = catalog.upsert_arxiv([arxiv_with_doi])  # same title and authors
        catalog.write(lambda s: store_work(s, CROSSREF))
    assert first.status == "added"
    assert stored.paper_id == first.paper_id
    assert count(catalog, Paper) == 1
    paper = catalog.find_paper("1611.00712")
    assert set(paper.identifiers) == {ARXIV, DOI, OPENREVIEW}
    assert paper.title == CONCRETE.title and paper.field_sources["title"] == "arxiv"


def test_an_arxiv_record_whose_doi_another_paper_has_merges_them(catalog: Catalog) -> None:
    """The published paper came first (from a .bib file or Crossref), under another title
    and with its own talk, key and abstract; arXiv's record names its DOI: one paper."""
    published = replace(
        CROSSREF, title="Concrete: relaxing discrete variables", identifiers=(DOI,),
        abstract="The journal abstract.",
    )  # fmt: skip
    first = catalog.write(lambda s: store_work(s, published))
    (gumbel,) = catalog.upsert_arxiv([GUMBEL])
    _talk(catalog, first.paper_id, gumbel.paper_id)
    _set_key(catalog, first.paper_id, "maddison2017concrete")
    (stored,) = catalog.upsert_arxiv([replace(CONCRETE, doi=DOI.value)])
    assert stored.paper_id == first.paper_id  # the older paper survives
    assert stored.merged and stored.merged[0] != first.paper_id
    assert count(catalog, Paper) == 2
    paper = catalog.find_paper("maddison2017concrete")
    assert paper.identifiers == [ARXIV, DOI]
    assert paper.title == CONCRETE.title  # arXiv's title wins
    assert paper.venue == published.venue  # the published record's venue stays
    assert paper.abstract == CONCRETE.abstract
    with catalog.read() as s:
        sources = {
            src for (src,) in s.execute(
                select(Abstract.source).where(Abstract.paper_id == paper.id)
            )
        }  # fmt: skip
    assert sources == {"arxiv", "crossref"}
    assert [v for v, _ in catalog.versions(paper.id)] == [1, 3]
    # Its talk is still about it.
    with catalog.read() as s:
        about = s.execute(text("SELECT paper_id FROM presentation_paper ORDER BY position"))
        assert [pid for (pid,) in about] == [first.paper_id, gumbel.paper_id]


def test_papers_with_different_arxiv_ids_are_never_merged(catalog: Catalog) -> None:
    (gumbel,) = catalog.upsert_arxiv([replace(GUMBEL, doi=DOI.value)])
    (concrete,) = catalog.upsert_arxiv([replace(CONCRETE, doi=DOI.value)])
    assert concrete.paper_id != gumbel.paper_id and concrete.merged == []
    assert count(catalog, Paper) == 2
    assert catalog.find_paper(f"doi:{DOI.value}").arxiv_id == "1611.01144"  # stays its owner's
    with pytest.raises(ValueError, match="two papers"):
        catalog.write(lambda s: merge_papers(s, gumbel.paper_id, concrete.paper_id))


def test_merging_keeps_one_citation_key_and_the_other_still_finds_the_paper(
    catalog: Catalog,
) -> None:
    # Another title: arXiv's record does not take it for its paper.
    crossref_only = replace(
        CROSSREF, title="Concrete: relaxing discrete variables", identifiers=(DOI,)
    )
    published = catalog.write(lambda s: store_work(s, crossref_only))
    (preprint,) = catalog.upsert_arxiv([CONCRETE])
    assert preprint.paper_id != published.paper_id
    _set_key(catalog, published.paper_id, "maddison2017concrete")
    _set_key(catalog, preprint.paper_id, "maddison2016concrete")
    merged = catalog.write(lambda s: merge_papers(s, published.paper_id, preprint.paper_id))
    assert merged.alias == "maddison2016concrete"
    paper = catalog.find_paper("maddison2016concrete")  # the key it gave up finds it
    assert paper.id == published.paper_id
    assert paper.citation_key == "maddison2017concrete"  # a stored key never changes
    assert paper.extra_fields["ids"] == "maddison2016concrete"  # biblatex's key aliases
    assert Identifier("key", "maddison2016concrete") not in paper.identifiers
    assert paper.identifiers == [ARXIV, DOI]
    # The alias is never given to another paper.
    from catalog.store.selection import assign_citation_keys

    (gumbel,) = catalog.upsert_arxiv([GUMBEL])
    view = catalog.find_paper("1611.01144")
    assign_citation_keys(catalog, [view], lambda taken: lambda p: _fresh(taken))
    assert view.citation_key == "maddison2016concrete-b"


def _fresh(taken: set[str]) -> str:
    key = "maddison2016concrete"
    while key in taken:
        key += "-b"
    taken.add(key)
    return key


# -- arXiv records ----------------------------------------------------------------------------


def test_upsert_registers_arxiv_ids_and_dois(catalog: Catalog) -> None:
    record = replace(CONCRETE, doi="10.5555/CONCRETE.2017 10.5555/other.1")
    (added,) = catalog.upsert_arxiv([record])
    assert ids_of(catalog, added.paper_id) == [ARXIV, DOI, Identifier("doi", "10.5555/other.1")]
    assert columns(catalog, added.paper_id)[1] == DOI.value  # lower case, the first
    # arXiv corrects its DOI field: the one it no longer gives goes, a published
    # record's stays.
    dblp_doi = Identifier("doi", "10.5555/dblp.7")
    from_dblp = replace(DBLP, identifiers=(*DBLP.identifiers, dblp_doi, ARXIV))
    catalog.write(lambda s: store_work(s, from_dblp))
    (again,) = catalog.upsert_arxiv([replace(CONCRETE, doi="10.5555/concrete.2017")])
    assert set(ids_of(catalog, added.paper_id)) == {ARXIV, DOI, dblp_doi, *DBLP.identifiers}
    assert again.status == "unchanged"
    with catalog.read() as s:
        assert s.execute(select(func.count()).select_from(PaperVersion)).scalar_one() == 2


# -- importers --------------------------------------------------------------------------------

POST = """---
layout: post
title: Mixed19 - beyond arXiv
---

| Presenter | Papers | Paper URL | Our Slides |
| --- | --- | --- | --- |
{rows}

{notes}
"""


def _post(tmp_path: Path, *rows: str, notes: str = "", name: str = "2019-05-07-mixed.md") -> Path:
    folder = tmp_path / "_posts"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(POST.format(rows="\n".join(rows), notes=notes), encoding="utf-8")
    return path


def _import(path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output + result.stderr


def test_post_rows_match_and_attach_identifiers_and_type_links(
    catalog: Catalog, tmp_path: Path
) -> None:
    (concrete,) = catalog.upsert_arxiv([replace(CONCRETE, doi=DOI.value)])
    post = _post(
        tmp_path,
        "| Ann | The Concrete Distribution | [doi](https://doi.org/10.5555/CONCRETE.2017) | |",
        "| Bob | Overcoming catastrophic forgetting"
        " | [paper](https://proceedings.mlr.press/v80/kazemi18a.html) | |",
        "| Cy | Sequence to sequence learning"
        " | [paper](https://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural)"
        " | |",
        "| Di | BERT | [paper](https://aclanthology.org/N19-1423/) | |",
        f"| Ed | {GUMBEL.title} | [video](https://www.youtube.com/watch?v=abc) | |",
        "| Fe | A lab's paper | [pdf](https://cs.example.edu/~lab/paper.pdf) | |",
        f"| Gu | {GUMBEL.title} [^1] | | |",
        notes=f"[^1]: <sub><sup> {GUMBEL.title}, Eric Jang, Shixiang Gu, Ben Poole / ICLR17"
        " / Categorical variables are a natural choice. </sup></sub>",
    )  # fmt: skip
    _import(post)
    _import(post)  # again: nothing new
    assert len(catalog.list_papers()) == 7
    papers = {p.title: p for p in catalog.list_papers()}
    assert papers[CONCRETE.title].id == concrete.paper_id  # found by the DOI in its link
    assert papers["Overcoming catastrophic forgetting"].identifiers == [
        Identifier("pmlr", "v80/kazemi18a")
    ]
    assert papers["Sequence to sequence learning"].identifiers == [Identifier("neurips", "5346")]
    assert papers["BERT"].identifiers == [Identifier("acl", "N19-1423")]
    kinds = {p.title: p.item_type for p in catalog.list_papers()}
    assert kinds["A lab's paper"] == "paper"
    # The video and the title-only row are two items: a video is never a paper.
    gumbel_items = [p for p in catalog.list_papers() if p.title.startswith("Categorical")]
    assert sorted(p.item_type for p in gumbel_items) == ["paper", "video"]
    # arXiv's record adopts the paper known by its title, never the video.
    (gumbel,) = catalog.upsert_arxiv([GUMBEL])
    adopted = catalog.find_paper("1611.01144")
    assert adopted.item_type == "paper" and adopted.id == gumbel.paper_id
    video = next(p for p in gumbel_items if p.item_type == "video")
    assert catalog.find_paper(str(video.id)).arxiv_id is None


def test_bib_entries_match_by_identifiers(catalog: Catalog, tmp_path: Path) -> None:
    (concrete,) = catalog.upsert_arxiv([CONCRETE])
    catalog.write(lambda s: store_work(s, replace(CROSSREF, identifiers=(DOI, ARXIV))))
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@inproceedings{concrete17, title={A Different Title}, author={Maddison, Chris},"
        " doi={10.5555/Concrete.2017}, year={2017}}\n"
        "@inproceedings{kazemi18, title={Overcoming forgetting}, author={Kazemi, S.},"
        " url={http://proceedings.mlr.press/v80/kazemi18a/kazemi18a.pdf}, year={2018}}\n"
        "@misc{talk, title={The Concrete Distribution: A Continuous Relaxation of Discrete"
        " Random Variables}, howpublished={video}, url={https://vimeo.com/1234}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", str(bib)])
    assert result.exit_code == 0, result.output + result.stderr
    paper = catalog.find_paper("concrete17")
    assert paper.id == concrete.paper_id  # by its DOI, whatever its title says
    assert paper.title == CONCRETE.title  # arXiv's title stays
    kazemi = catalog.find_paper("pmlr:v80/kazemi18a")
    assert kazemi.citation_key == "kazemi18" and kazemi.field_sources["title"] == "bib"
    talk = catalog.find_paper("talk")
    assert talk.item_type == "video" and talk.id != concrete.paper_id


# -- the CLI ---------------------------------------------------------------------------------


def test_show_prints_every_identifier_and_the_published_record(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE])
    catalog.write(lambda s: store_work(s, CROSSREF))
    catalog.write(lambda s: store_work(s, DBLP))
    result = CliRunner().invoke(cli, ["show", "dblp:conf/iclr/MaddisonMT17"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for expected in [
        "arXiv:        1611.00712v3  https://arxiv.org/abs/1611.00712",
        "DOI:          10.5555/concrete.2017  https://doi.org/10.5555/concrete.2017",
        "DBLP:         conf/iclr/MaddisonMT17  https://dblp.org/rec/conf/iclr/MaddisonMT17.html",
        "OpenReview:   S1jE5L5gl  https://openreview.net/forum?id=S1jE5L5gl",
        "venue:        International Conference on Learning Representations",
        "year:         2017",
        "kind:         proceedings",
        "pages:        1-20",
    ]:
        assert expected in lines
    sources = next(line for line in lines if line.startswith("sources:"))
    assert "arxiv (abstract, authors, published, title, url)" in sources
    assert "crossref (doi, kind, pages, publisher, venue, year)" in sources
    shown = json.loads(
        CliRunner().invoke(cli, ["show", "openreview:S1jE5L5gl", "--format", "json"]).output
    )
    assert shown["identifiers"] == [
        {"scheme": "arxiv", "value": "1611.00712"},
        {"scheme": "doi", "value": "10.5555/concrete.2017"},
        {"scheme": "dblp", "value": "conf/iclr/MaddisonMT17"},
        {"scheme": "openreview", "value": "S1jE5L5gl"},
    ]
    assert (shown["year"], shown["kind"], shown["pages"], shown["item_type"]) == (
        2017, "proceedings", "1-20", "paper",
    )  # fmt: skip
    assert shown["field_sources"]["venue"] == "crossref"
    for name in ("volume", "issue", "publisher"):
        assert name in shown


def test_show_and_remove_refuse_nothing_but_unknown_papers(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE])
    result = CliRunner().invoke(cli, ["show", "doi:10.9999/nothing"])
    assert result.exit_code == 1
    assert "no paper 'doi:10.9999/nothing' in the catalog" in result.output + result.stderr


# -- helpers ------------------------------------------------------------------------------------


def _set_key(catalog: Catalog, paper_id: int, key: str) -> None:
    catalog.write(
        lambda s: s.execute(
            text("UPDATE paper SET citation_key = :k WHERE id = :i"), {"k": key, "i": paper_id}
        )
    )


def _talk(catalog: Catalog, *paper_ids: int) -> None:
    """One session with one talk about each paper, in order."""

    def work(s: DbSession) -> None:
        s.execute(
            text(
                "INSERT INTO session (slug, title, categories, tags, extra)"
                " VALUES ('s1', 'S1', '[]', '[]', '{}')"
            )
        )
        sid = s.execute(text("SELECT id FROM session WHERE slug = 's1'")).scalar_one()
        for position, pid in enumerate(paper_ids, 1):
            s.execute(
                text(
                    "INSERT INTO presentation (session_id, position, title, links)"
                    " VALUES (:s, :p, 't', '[]')"
                ),
                {"s": sid, "p": position},
            )
            tid = s.execute(
                text("SELECT id FROM presentation WHERE session_id = :s AND position = :p"),
                {"s": sid, "p": position},
            ).scalar_one()
            s.execute(
                text(
                    "INSERT INTO presentation_paper (presentation_id, paper_id, position)"
                    " VALUES (:t, :pid, :p)"
                ),
                {"t": tid, "pid": pid, "p": position},
            )

    catalog.write(work)


def test_store_works_in_one_transaction_and_dry_run(catalog: Catalog) -> None:
    (concrete,) = catalog.upsert_arxiv([CONCRETE])
    published = replace(CROSSREF, title="Concrete: relaxing discrete variables", identifiers=(DOI,))
    first = catalog.store_works([published])[0]
    assert first.status == "added"
    # Dry run: the results say what would change; nothing is kept.
    would = catalog.store_works([CROSSREF], [concrete.paper_id], dry_run=True)
    assert [m.gone for m in would[0].merged] == [first.paper_id]
    assert count(catalog, Paper) == 2
    # For real: the second record names the paper the first merged away, and is stored
    # onto the survivor.
    done = catalog.store_works([CROSSREF, DBLP], [concrete.paper_id, first.paper_id])
    assert done[0].paper_id == done[1].paper_id == concrete.paper_id
    assert count(catalog, Paper) == 1
    found = catalog.papers_by_identifier([OPENREVIEW, Identifier("doi", "10.9999/none")])
    assert list(found) == [OPENREVIEW] and found[OPENREVIEW].id == concrete.paper_id


def test_bulk_and_per_id_views_agree_on_published_fields(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.store import paper_views

    catalog.upsert_arxiv([CONCRETE, GUMBEL])
    catalog.store_works([CROSSREF, DBLP])
    with catalog.read() as s:
        monkeypatch.setattr(paper_views, "SCAN_ABOVE", 10**9)
        by_id = paper_views.paper_views_by_id(s, [1, 2])
        monkeypatch.setattr(paper_views, "SCAN_ABOVE", 0)
        scanned = paper_views.paper_views_by_id(s, [1, 2])
        everything = paper_views.all_paper_views(s)
    assert by_id == scanned == everything
    concrete = next(p for p in everything if p.arxiv_id == "1611.00712")
    assert concrete.identifiers == [ARXIV, DOI, *sorted(DBLP.identifiers)]
    assert (concrete.year, concrete.kind, concrete.pages) == (2017, "proceedings", "1-20")
    gumbel = next(p for p in everything if p.arxiv_id == "1611.01144")
    assert (gumbel.year, gumbel.kind, gumbel.identifiers) == (
        2016,
        None,
        [Identifier("arxiv", "1611.01144")],
    )


def test_a_records_identifiers_are_stored_canonical(catalog: Catalog) -> None:
    (concrete,) = catalog.upsert_arxiv([CONCRETE])
    sloppy = replace(
        CROSSREF,
        identifiers=(
            Identifier("doi", "10.5555/CONCRETE.2017"),
            Identifier("arxiv", "arXiv:1611.00712v2"),
            Identifier("doi", "not-a-doi"),
        ),
    )
    result = catalog.write(lambda s: store_work(s, sloppy))
    assert result.paper_id == concrete.paper_id  # found by its arXiv id, written loosely
    assert result.identifiers_added == [DOI]
    assert result.invalid == [Identifier("doi", "not-a-doi")]
    assert ids_of(catalog, concrete.paper_id) == [ARXIV, DOI]


def test_a_published_record_stored_on_a_post_paper_merges_its_preprint(
    catalog: Catalog,
) -> None:
    """A post links the DOI; arXiv has the preprint under the same title. Crossref's
    record (no arXiv relation) stored on the post's paper makes the two one paper."""
    (preprint,) = catalog.upsert_arxiv([CONCRETE])
    post_paper = catalog.write(
        lambda s: store_work(
            s,
            WorkRecord(source="post", title="Concrete (the post's row)", kind="other",
                       identifiers=(DOI,)),
        )
    )  # fmt: skip
    assert post_paper.paper_id != preprint.paper_id
    crossref_only = replace(CROSSREF, identifiers=(DOI,))
    result = catalog.write(lambda s: store_work(s, crossref_only, paper_id=post_paper.paper_id))
    assert result.paper_id == preprint.paper_id
    assert [m.gone for m in result.merged] == [post_paper.paper_id]
    assert count(catalog, Paper) == 1
    assert set(ids_of(catalog, preprint.paper_id)) == {ARXIV, DOI}


def test_a_thesis_of_the_same_title_is_never_merged_with_the_paper(catalog: Catalog) -> None:
    thesis = WorkRecord(
        source="crossref",
        title=CONCRETE.title,
        authors=("Chris J. Maddison",),
        year=2017,
        kind="thesis",
        identifiers=(Identifier("doi", "10.5555/thesis.2017"),),
        source_id="10.5555/thesis.2017",
    )
    first = catalog.write(lambda s: store_work(s, thesis))
    second = catalog.write(lambda s: store_work(s, replace(CROSSREF, identifiers=(DOI,))))
    assert first.paper_id != second.paper_id and second.merged == []
    assert count(catalog, Paper) == 2

"""The shared corpus of the metadata stand-ins (tests/fixtures/works.py) holds what the
resolver's acceptance tests lean on: the issue's examples and one decoy of each kind."""

from __future__ import annotations

from collections import Counter

from catalog.records import WORK_KINDS
from tests.fixtures.works import WORKS, by_key


def test_keys_and_identifiers_are_unique_and_kinds_known() -> None:
    assert len({w.key for w in WORKS}) == len(WORKS)
    for field in ("doi", "dblp", "openreview", "pmlr", "neurips", "acl"):
        values = [getattr(w, field) for w in WORKS if getattr(w, field)]
        assert len(values) == len({v.lower() for v in values}), field
    assert all(w.kind in WORK_KINDS and w.why for w in WORKS)


def test_the_issue_examples_are_there() -> None:
    assert by_key("dnc").doi == "10.1038/nature20101"
    assert by_key("boundary").openreview == "BkpiPMbA-"
    assert by_key("kazemi").pmlr == "v80/kazemi18a"
    assert by_key("seq2seq").neurips_number == "5346"
    assert by_key("bert").acl == "N19-1423"
    concrete = by_key("concrete")
    assert concrete.arxiv == "1611.00712" and concrete.venue == "ICLR 2017"


def test_one_decoy_of_each_kind() -> None:
    decoys = [w for w in WORKS if w.why.startswith("decoy")]
    kinds = Counter(w.kind for w in decoys)
    for kind in ("thesis", "comment", "erratum", "review", "preprint"):
        assert kinds[kind] >= 1, kind
    titles = {w.title for w in WORKS if not w.why.startswith("decoy")}
    # Same title as a real paper: the thesis, the erratum, the review, another year's paper.
    assert {w.key for w in decoys if w.title in titles} >= {
        "savae-thesis",
        "dnc-erratum",
        "dl-review",
        "fgsm-2021",
    }
    assert by_key("conv-seq2seq").title.replace("Convolutional ", "") in by_key("seq2seq").title


def test_openreview_notes_are_split_between_the_two_apis() -> None:
    assert by_key("boundary").openreview_api == 1  # before 2023: v1 only
    assert by_key("registers").openreview_api == 2

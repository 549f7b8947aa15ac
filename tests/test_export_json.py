"""JSON export: golden file, schema, stable ordering, references, formatting."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from dataclasses import replace
from datetime import date
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.exporters import ExportOptions
from catalog.exporters.common import ITEM_LABELS
from catalog.exporters.json import document, dumps_indented, export, render
from catalog.records import (
    SCHEMES,
    WORK_KINDS,
    Identifier,
    PaperView,
    PresentationView,
    SessionView,
)
from tests.fixtures.papers import (
    ALL_PAPERS,
    CONCRETE,
    EXPORT_PAPERS,
    GAN_CACM,
    PIPES_HTML,
    SAME_KEY,
    SEED_SESSION,
    SESSIONS,
    SPECIAL,
    check_golden,
)


def as_json(papers: list[PaperView], sessions: list[SessionView]) -> str:
    out = io.StringIO()
    export(papers, sessions, out, ExportOptions())
    return out.getvalue()


def schema() -> dict[str, Any]:
    text = files("catalog.exporters").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def check(instance: Any, node: dict[str, Any], root: dict[str, Any], where: str = "$") -> None:
    """A tiny structural validator for the keywords schema.json uses (no jsonschema needed)."""
    if "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        check(instance, target, root, where)
    types = node.get("type")
    if types is not None:
        names = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "null": type(None),
        }
        allowed = [types] if isinstance(types, str) else types
        ok = any(
            isinstance(instance, names[t]) and not (t == "integer" and isinstance(instance, bool))
            for t in allowed
        )
        assert ok, f"{where}: {instance!r} is not {allowed}"
    if "enum" in node:
        assert instance in node["enum"], f"{where}: {instance!r} not in {node['enum']}"
    if isinstance(instance, dict):
        for key in node.get("required", []):
            assert key in instance, f"{where}: missing {key}"
        props = node.get("properties", {})
        if node.get("additionalProperties") is False:
            extra = set(instance) - set(props)
            assert not extra, f"{where}: unexpected {extra}"
        for key, value in instance.items():
            if key in props:
                check(value, props[key], root, f"{where}.{key}")
            elif isinstance(node.get("additionalProperties"), dict):
                check(value, node["additionalProperties"], root, f"{where}.{key}")
    if isinstance(instance, list) and "items" in node:
        for i, item in enumerate(instance):
            check(item, node["items"], root, f"{where}[{i}]")
    if isinstance(instance, str):
        if "pattern" in node:
            assert re.search(node["pattern"], instance), f"{where}: {instance!r}"
        assert len(instance) >= node.get("minLength", 0), where
    if isinstance(instance, int) and "minimum" in node:
        assert instance >= node["minimum"], where


# --- golden file and schema ----------------------------------------------------------------


def test_golden_all_papers_and_sessions() -> None:
    check_golden("export.json", as_json(EXPORT_PAPERS, SESSIONS))


def test_output_matches_the_schema_structurally() -> None:
    root = schema()
    check(json.loads(as_json(EXPORT_PAPERS, SESSIONS)), root, root)
    check(json.loads(as_json([], [])), root, root)


def test_output_validates_with_jsonschema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    validator.check_schema(schema())
    validator.validate(json.loads(as_json(EXPORT_PAPERS, SESSIONS)))


def test_schema_rejects_what_the_records_cannot_hold() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    doc = json.loads(as_json([GAN_CACM], []))
    for field, bad in [
        ("identifiers", [{"scheme": "isbn", "value": "x"}]),
        ("identifiers", [{"scheme": "doi"}]),
        ("kind", "article"),
        ("item_type", "podcast"),
        ("year", "2020"),
        ("field_sources", {"venue": 1}),
    ]:
        broken = json.loads(json.dumps(doc))
        broken["papers"][0][field] = bad
        assert not validator.is_valid(broken), field


def test_every_paper_view_field_is_exported_and_in_the_schema() -> None:
    # JSON is the lossless format: each field of the record (but the database id) is
    # written, and the schema requires exactly the fields written.
    view_fields = {f.name for f in dataclasses.fields(PaperView)} - {"id"}
    (record,) = document([GAN_CACM], [])["papers"]
    assert set(record) == view_fields
    paper_schema = schema()["$defs"]["paper"]
    assert set(paper_schema["required"]) == set(paper_schema["properties"]) == view_fields


def test_schema_enums_are_the_records_vocabularies() -> None:
    defs = schema()["$defs"]
    props = defs["paper"]["properties"]
    assert props["kind"]["enum"] == [*WORK_KINDS, None]
    assert set(props["item_type"]["enum"]) == {"paper", *ITEM_LABELS}
    assert defs["identifier"]["properties"]["scheme"]["enum"] == list(SCHEMES)


def test_schema_is_draft_2020_12() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# --- content -------------------------------------------------------------------------------


def test_paper_fields() -> None:
    doc = document([CONCRETE], [])
    assert doc["papers"] == [
        {
            "citation_key": "maddison2016concrete",
            "identifiers": [],
            "arxiv_id": "1611.00712",
            "version": 3,
            "title": CONCRETE.title,
            "authors": ["Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"],
            "abstract": CONCRETE.abstract,
            "published": "2016-11-02",
            "updated": "2017-03-05",
            "year": None,
            "primary_category": "cs.LG",
            "categories": ["cs.LG", "stat.ML"],
            "doi": None,
            "journal_ref": None,
            "comment": None,
            "url": "https://arxiv.org/abs/1611.00712",
            "item_type": "paper",
            "kind": None,
            "venue": None,
            "volume": None,
            "issue": None,
            "pages": None,
            "publisher": None,
            "entry_type": None,
            "extra_fields": {},
            "field_sources": {},
        }
    ]
    assert doc["sessions"] == [] and doc["presenters"] == []


def test_published_fields_are_carried_as_stored() -> None:
    (paper,) = json.loads(as_json([GAN_CACM], []))["papers"]
    assert paper["identifiers"] == [
        {"scheme": "arxiv", "value": "1406.2661"},
        {"scheme": "doi", "value": "10.1145/3422622"},
    ]
    assert (paper["year"], paper["kind"], paper["venue"]) == (
        2020,
        "journal",
        "Communications of the ACM",
    )
    assert (paper["volume"], paper["issue"], paper["pages"]) == ("63", "11", "139\u2013144")
    assert paper["publisher"] == "Association for Computing Machinery (ACM)"
    assert paper["item_type"] == "paper"
    assert list(paper["field_sources"]) == ["doi", "venue", "year"]  # sorted by field


def test_identifiers_come_in_scheme_order_whoever_made_the_view() -> None:
    ids = [
        Identifier("pmlr", "v80/kim18e"),
        Identifier("arxiv", "1802.02550"),
        Identifier("dblp", "conf/icml/KimWMSR18"),
        Identifier("doi", "10.5555/1"),
    ]
    shuffled = replace(CONCRETE, identifiers=ids)
    ordered = replace(CONCRETE, identifiers=sorted(ids, key=lambda i: SCHEMES.index(i.scheme)))
    assert as_json([shuffled], []) == as_json([ordered], [])
    (paper,) = document([shuffled], [])["papers"]
    assert [i["scheme"] for i in paper["identifiers"]] == ["arxiv", "doi", "dblp", "pmlr"]


def test_text_is_kept_as_stored() -> None:
    (paper,) = document([PIPES_HTML], [])["papers"]
    assert paper["title"] == PIPES_HTML.title  # entities, newlines, pipes: lossless


def test_sessions_reference_papers_by_citation_key() -> None:
    doc = document([], SESSIONS)
    keys = {p["citation_key"] for p in doc["papers"]}
    refs = [k for s in doc["sessions"] for row in s["presentations"] for k in row["papers"]]
    assert set(refs) <= keys
    seed = doc["sessions"][0]
    assert seed["slug"] == "2018-07-31-generative"
    assert [row["papers"] for row in seed["presentations"]] == [
        ["maddison2016concrete"],
        ["gupta2018feedback"],
        [],
        ["engel2017latent"],
        [],
        ["kim2018semi"],
        ["ganin2018synthesizing"],
    ]
    assert seed["presentations"][0]["slides_url"].endswith("Gumbel-Softmax.pdf")


def test_presenters_count_talks_papers_and_sessions() -> None:
    doc = document([], SESSIONS)
    assert doc["presenters"] == [
        {"name": "Ana | B", "talks": 2, "papers": 4, "sessions": 1},
        {"name": "Arshdeep", "talks": 4, "papers": 4, "sessions": 1},
        {"name": "GaoJi", "talks": 3, "papers": 1, "sessions": 1},
        {"name": "Zoë", "talks": 2, "papers": 2, "sessions": 1},
    ]


def test_extra_front_matter_values_become_json() -> None:
    session = SessionView(
        "s", "S", extra={"when": date(2020, 1, 2), "tags2": {"b", "a"}, "n": 1, "obj": object}
    )
    (out,) = document([], [session])["sessions"]
    assert out["extra"]["when"] == "2020-01-02"
    assert out["extra"]["tags2"] == ["a", "b"]
    assert out["extra"]["n"] == 1
    assert out["extra"]["obj"] == str(object)


# --- ordering and formatting ---------------------------------------------------------------


def test_ordering_does_not_depend_on_input_order() -> None:
    forward = as_json(EXPORT_PAPERS, SESSIONS)
    backward = as_json(list(reversed(EXPORT_PAPERS)), list(reversed(SESSIONS)))
    assert forward == backward


def test_papers_sorted_by_citation_key_sessions_by_date() -> None:
    doc = document(ALL_PAPERS, SESSIONS)
    keys = [p["citation_key"] for p in doc["papers"]]
    assert keys == sorted(keys, key=lambda k: (k.casefold(), k))
    undated = SessionView("0000-undated", "U")
    slugs = [s["slug"] for s in document([], [undated, *reversed(SESSIONS)])["sessions"]]
    assert slugs == ["2018-07-31-generative", "2021-05-01-special | cases", "0000-undated"]


def test_presentations_in_position_order() -> None:
    rows = [PresentationView(2, "B", "second"), PresentationView(1, "A", "first")]
    (session,) = document([], [SessionView("s", "S", presentations=rows)])["sessions"]
    assert [r["title"] for r in session["presentations"]] == ["first", "second"]


def test_utf8_indent_2_trailing_newline() -> None:
    text = as_json([SPECIAL["accents"]], [])
    assert "Jürgen Müller" in text and "李明" in text  # ensure_ascii=False
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(json_values)
def test_dumps_indented_is_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_dumps_indented_floats() -> None:
    value = {"x": [1.5, 1e100, -0.0]}
    assert dumps_indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


@pytest.mark.parametrize(
    ("papers", "sessions"),
    [(EXPORT_PAPERS, SESSIONS), ([], []), (EXPORT_PAPERS, []), ([], SESSIONS)],
)
def test_fast_writer_equals_the_document_dumped(
    papers: list[PaperView], sessions: list[SessionView]
) -> None:
    expected = json.dumps(document(papers, sessions), ensure_ascii=False, indent=2)
    assert render(papers, sessions) == expected


def test_session_keys_agree_with_paper_keys_when_bases_clash() -> None:
    # An older paper with CONCRETE's base key takes the plain key, so the seed session,
    # whose first row is CONCRETE, must cite the suffixed key CONCRETE got.
    older = replace(SAME_KEY, published=date(2016, 1, 5))
    doc = json.loads(as_json([older], [SEED_SESSION]))
    by_arxiv = {p["arxiv_id"]: p["citation_key"] for p in doc["papers"]}
    assert by_arxiv["1611.99999"] == "maddison2016concrete"
    assert by_arxiv["1611.00712"] == "maddison2016concretea"
    first_row = doc["sessions"][0]["presentations"][0]
    assert first_row["papers"] == ["maddison2016concretea"]


def test_streamed_chunks_equal_the_document_dumped(monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.exporters import json as module

    monkeypatch.setattr(module, "_CHUNK", 3)
    expected = json.dumps(document(EXPORT_PAPERS, SESSIONS), ensure_ascii=False, indent=2) + "\n"
    assert as_json(EXPORT_PAPERS, SESSIONS) == expected


def test_special_cases_are_stored_text_in_titles_and_names() -> None:
    doc = json.loads(as_json(list(SPECIAL.values()), []))
    by_key = {p["citation_key"]: p for p in doc["papers"]}
    for paper in SPECIAL.values():
        (match,) = [p for p in by_key.values() if p["title"] == paper.title]
        assert match["authors"] == paper.authors
        assert match["abstract"] == paper.abstract

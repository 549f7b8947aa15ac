"""`catalog harvest --snapshot`: arXiv's JSON-lines snapshot, plain, gzip or zip, on SQLite
and PostgreSQL; and how it meets harvested records (nothing newer is overwritten)."""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.index.record import IndexRecord, Version
from catalog.index.store import ArxivIndex
from tests.oai_server import OaiStandIn, Paper, generate_papers, snapshot_line


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


PAPERS = generate_papers(120, seed=3)


def write_snapshot(path: Path, papers: list[Paper], how: str = "plain") -> Path:
    text = "".join(snapshot_line(p) + "\n" for p in papers).encode()
    if how == "gz":
        path = path.with_suffix(".json.gz")
        path.write_bytes(gzip.compress(text))
    elif how == "zip":
        path = path.with_suffix(".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", "the arXiv snapshot")
            archive.writestr("arxiv-metadata-oai-snapshot.json", text)
    else:
        path.write_bytes(text)
    return path


@pytest.fixture
def oai(monkeypatch: pytest.MonkeyPatch) -> Iterator[OaiStandIn]:
    with OaiStandIn(PAPERS, page_size=50) as server:
        monkeypatch.setenv("CATALOG_OAI_URL", server.url)
        yield server


@pytest.mark.parametrize("how", ["plain", "gz", "zip"])
def test_the_snapshot_loads_plain_gzip_or_zip(sqlite_url: str, tmp_path: Path, how: str) -> None:
    path = write_snapshot(tmp_path / "snapshot.json", PAPERS, how)

    result = run("harvest", "--snapshot", str(path))

    assert result.exit_code == 0, result.output
    assert "120 records" in result.stdout
    with ArxivIndex.open(sqlite_url) as index:
        got = index.get_many([p.arxiv_id for p in PAPERS])
    assert len(got) == 120
    for p in PAPERS:
        rec = got[p.arxiv_id]
        assert rec.title == p.flat_title
        assert list(rec.authors) == p.author_names
        assert [v.date for v in rec.versions] == [d for d, _ in p.versions]
        assert all(v.size_kb is None for v in rec.versions)  # the snapshot gives no sizes
        assert rec.datestamp == p.datestamp


def test_snapshot_then_harvest_asks_only_from_the_snapshots_newest_date(
    db_url: str, tmp_path: Path, oai: OaiStandIn
) -> None:
    path = write_snapshot(tmp_path / "snapshot.json", PAPERS)
    assert run("harvest", "--snapshot", str(path)).exit_code == 0

    result = run("harvest", "--set", "cs")

    assert result.exit_code == 0, result.output
    newest = max(p.datestamp for p in PAPERS)
    assert oai.log[0].params["from"] == newest.isoformat()
    status = run("harvest", "--status")
    assert "snapshot.json: 120 records through" in status.stdout
    # The harvested records now carry arXivRaw's sizes; the snapshot's versions stay.
    with ArxivIndex.open(db_url) as index:
        late = [p for p in PAPERS if p.datestamp == newest and "cs:" in " ".join(p.sets)]
        if late:
            rec = index.get(late[0].arxiv_id)
            assert rec is not None
            assert [v.size_kb for v in rec.versions] == [s for _, s in late[0].versions]


def test_a_list_that_leaves_a_gap_does_not_move_the_datestamp_on(
    sqlite_url: str, tmp_path: Path, oai: OaiStandIn
) -> None:
    early = [p for p in PAPERS if p.datestamp < date(2024, 2, 1)]
    path = write_snapshot(tmp_path / "snapshot.json", early)
    assert run("harvest", "--snapshot", str(path)).exit_code == 0
    covered = max(p.datestamp for p in early)

    gap = run("harvest", "--from", "2024-02-20")  # nothing asked between covered and then

    assert gap.exit_code == 0, gap.output
    assert "run without --from to fill the gap" in gap.stdout
    oai.clear_log()
    assert run("harvest").exit_code == 0
    assert oai.log[0].params["from"] == covered.isoformat()


def test_an_older_record_never_replaces_a_newer_one_and_versions_merge(sqlite_url: str) -> None:
    when = PAPERS[0].versions[0][0]
    new = IndexRecord(
        "2401.00001",
        "New title",
        versions=(Version(1, when, 120, False), Version(2, when, 0, True)),
        datestamp=date(2024, 5, 1),
    )
    old = IndexRecord(
        "2401.00001", "Old title", versions=(Version(1, when),), datestamp=date(2024, 1, 1)
    )
    with ArxivIndex.open(sqlite_url) as index:
        index.store([new])
        index.store([old])
        rec = index.get("arxiv:2401.00001v1")
        assert rec is not None
        assert rec.title == "New title"
        assert rec.versions == new.versions  # sizes kept, withdrawn v2 kept
        assert rec.withdrawn and rec.version == 2
        assert index.by_title("new  TITLE.") == [rec]
        assert [r.arxiv_id for r in index.search("new titl")] == ["2401.00001"]


def test_a_bad_line_is_named_and_the_papers_before_it_are_kept(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "snapshot.json"
    lines = [snapshot_line(p) for p in PAPERS[:3]] + ['{"id": "2401.9", "title": tru']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("harvest", "--snapshot", str(path))

    assert result.exit_code == 2
    assert f"snapshot {path} line 4: not JSON" in result.stderr
    assert "Traceback" not in result.stderr
    status = run("harvest", "--status", "--format", "json")
    assert '"snapshots": []' in status.stdout  # not counted as loaded


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04broken", "is a broken zip file"),
        (b"\x1f\x8b\x08\x00broken", "is damaged after line 0"),
        (b'["not", "a", "paper"]\n', "line 1: not a paper"),
        (b"\xff\xfe\n", "not UTF-8"),
    ],
)
def test_unreadable_snapshots_get_one_clear_line(
    sqlite_url: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "snapshot.bin"
    path.write_bytes(content)
    result = run("harvest", "--snapshot", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # "loading ..." and the error


def test_a_missing_snapshot_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("harvest", "--snapshot", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_search_ranks_title_matches_first_on_both_backends(db_url: str) -> None:
    when = PAPERS[0].versions[0][0]
    records = [
        IndexRecord(
            "2401.00001", "Graph kernels", abstract="about diffusion", versions=(Version(1, when),)
        ),
        IndexRecord(
            "2401.00002",
            "Other work",
            abstract="graph diffusion kernels",
            versions=(Version(1, when),),
        ),
        IndexRecord(
            "2401.00003", "Unrelated", abstract="nothing here", versions=(Version(1, when),)
        ),
    ]
    with ArxivIndex.open(db_url) as index:
        index.store(records)
        assert [r.arxiv_id for r in index.search("kernel graph")] == ["2401.00001", "2401.00002"]
        assert [r.arxiv_id for r in index.search("diffusion", limit=1)] == ["2401.00001"]
        assert index.search("+++") == []
        assert [r.arxiv_id for r in index.by_title("graph KERNELS")] == ["2401.00001"]
        assert index.get("2401.00009") is None
        assert index.get("not an id") is None


def test_a_second_process_parses_big_files_and_its_errors_come_out(
    sqlite_url: str, tmp_path: Path
) -> None:
    from catalog.index.harvest import load_snapshot
    from catalog.index.snapshot import SnapshotError

    path = write_snapshot(tmp_path / "snapshot.json", PAPERS)
    with ArxivIndex.open(sqlite_url) as index:
        report = load_snapshot(index, path, batch_size=50, parallel=True)
        assert (report.records, report.lines) == (120, 120)
        assert len(index.get_many([p.arxiv_id for p in PAPERS])) == 120
        with path.open("a", encoding="utf-8") as out:
            out.write("[1, 2]\n")
        with pytest.raises(SnapshotError, match="line 121: not a paper"):
            load_snapshot(index, path, batch_size=50, parallel=True)


@pytest.mark.parametrize("slot_bytes", [48 * 1024 * 1024, 1000])
def test_the_reader_s_batches_come_whole_through_shared_memory_or_the_queue(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slot_bytes: int
) -> None:
    """Batches come through the memory both processes map, two slots taken in turn, and
    a batch too big for a slot through the queue: every record arrives, once, as the
    reader made it, either way."""
    from catalog.index import snapshot
    from catalog.index.snapshot import read_batches, read_rows

    monkeypatch.setattr(snapshot, "SLOT_BYTES", slot_bytes)
    path = write_snapshot(tmp_path / "snapshot.json", PAPERS)
    sent = list(read_batches(path, 25, "sqlite"))
    assert len(sent) == 5  # more batches than slots: each slot is used again
    assert sent == list(read_rows(path, 25, "sqlite"))


def test_a_deleted_record_is_marked_and_no_longer_found(db_url: str) -> None:
    when = PAPERS[0].versions[0][0]
    with ArxivIndex.open(db_url) as index:
        index.store([IndexRecord("2401.00001", "Gone soon", versions=(Version(1, when),))])
        index.store([IndexRecord("2401.00001", "", datestamp=date(2024, 6, 1), deleted=True)])
        index.store([IndexRecord("2401.00002", "", datestamp=None, deleted=True)])  # unknown
        assert index.get("2401.00001") is None
        assert index.search("gone") == [] and index.by_title("Gone soon") == []
        status = index.status()
        assert (status.records, status.deleted, status.newest) == (1, 1, date(2024, 6, 1))

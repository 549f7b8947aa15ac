"""The Catalog API on SQLite and PostgreSQL: upserts, versions, removal, lookups, and
migrations that carry old data forward."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import col

from catalog.errors import NotFound
from catalog.records import ArxivRecord
from catalog.store.catalog import Catalog
from catalog.store.engine import PG_WRITE_LOCK, is_transient, make_engine
from catalog.store.migrate import HEAD, alembic_config, current_revision, upgrade
from catalog.store.models import Abstract, Author, Paper, PaperAuthor, PaperVersion

CONCRETE = ArxivRecord(
    arxiv_id="1611.00712",
    version=3,
    title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    authors=("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
    abstract="The reparameterization trick enables optimizing large scale stochastic "
    "computation graphs via gradient descent.",
    published=datetime(2016, 11, 2, 17, 25, 6, tzinfo=UTC),
    updated=datetime(2017, 3, 5, 18, 0, 0, tzinfo=UTC),
    primary_category="cs.LG",
    categories=("cs.LG", "stat.ML"),
    url="https://arxiv.org/abs/1611.00712",
)
GUMBEL = ArxivRecord(
    arxiv_id="1611.01144",
    version=1,
    title="Categorical Reparameterization with Gumbel-Softmax",
    authors=("Eric Jang", "Shixiang Gu", "Ben Poole"),
    abstract="Categorical variables are a natural choice for representing discrete structure.",
    published=datetime(2016, 11, 3, tzinfo=UTC),
    updated=datetime(2016, 11, 3, tzinfo=UTC),
    categories=("stat.ML",),
)
OLD_STYLE = ArxivRecord(
    arxiv_id="hep-th/9901001",
    version=1,
    title="Gödel Strings and Branes",
    authors=("Ann Author", "Chris J. Maddison"),
    abstract="",
    published=datetime(1999, 1, 1, tzinfo=UTC),
    updated=datetime(1999, 1, 1, tzinfo=UTC),
)


@pytest.fixture
def catalog(migrated_db_url: str) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as opened:
        yield opened


def count(catalog: Catalog, model: type) -> int:
    with catalog.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


# -- upserts -----------------------------------------------------------------------------


def test_add_and_read_back(catalog: Catalog) -> None:
    results = catalog.upsert_arxiv([CONCRETE, GUMBEL])
    assert [(r.arxiv_id, r.status) for r in results] == [
        ("1611.00712", "added"),
        ("1611.01144", "added"),
    ]
    paper = catalog.find_paper("1611.00712")
    assert paper.title == CONCRETE.title
    assert paper.authors == list(CONCRETE.authors)
    assert paper.abstract == CONCRETE.abstract
    assert paper.version == 3
    assert (paper.published, paper.updated) == (date(2016, 11, 2), date(2017, 3, 5))
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert [p.arxiv_id for p in catalog.list_papers()] == ["1611.00712", "1611.01144"]


def test_results_keep_the_callers_order(catalog: Catalog) -> None:
    results = catalog.upsert_arxiv([GUMBEL, OLD_STYLE, CONCRETE])
    assert [r.arxiv_id for r in results] == ["1611.01144", "hep-th/9901001", "1611.00712"]


def test_upsert_is_idempotent(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE, OLD_STYLE])
    before = {m: count(catalog, m) for m in (Paper, Author, PaperAuthor, Abstract, PaperVersion)}
    again = catalog.upsert_arxiv([CONCRETE, OLD_STYLE])
    assert [(r.status, r.changes) for r in again] == [("unchanged", {}), ("unchanged", {})]
    after = {m: count(catalog, m) for m in (Paper, Author, PaperAuthor, Abstract, PaperVersion)}
    assert after == before
    # Shared author stored once.
    assert before[Author] == 4


def test_changes_are_reported(catalog: Catalog) -> None:
    catalog.upsert_arxiv([GUMBEL])
    newer = replace(
        GUMBEL,
        version=2,
        title="Categorical Reparameterization with Gumbel-Softmax (v2)",
        authors=("Eric Jang", "Ben Poole"),
        abstract="A new abstract.",
        updated=datetime(2017, 8, 5, tzinfo=UTC),
    )
    (result,) = catalog.upsert_arxiv([newer])
    assert result.status == "updated"
    assert result.changes == {
        "version": (1, 2),
        "title": (GUMBEL.title, newer.title),
        "authors": (list(GUMBEL.authors), ["Eric Jang", "Ben Poole"]),
    }
    paper = catalog.find_paper("1611.01144")
    assert (paper.version, paper.title) == (2, newer.title)
    assert paper.authors == ["Eric Jang", "Ben Poole"]
    assert paper.abstract == "A new abstract."


def test_versions_are_kept_with_dates(catalog: Catalog) -> None:
    (added,) = catalog.upsert_arxiv([CONCRETE])
    assert [(v, d.date() if d else None) for v, d in catalog.versions(added.paper_id)] == [
        (1, date(2016, 11, 2)),
        (3, date(2017, 3, 5)),
    ]
    v4 = replace(CONCRETE, version=4, updated=datetime(2018, 1, 1, tzinfo=UTC))
    catalog.upsert_arxiv([v4])
    assert [v for v, _ in catalog.versions(added.paper_id)] == [1, 3, 4]


def test_remove_cascades(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE, OLD_STYLE])
    removed = catalog.remove_paper("arxiv:1611.00712")
    assert removed.arxiv_id == "1611.00712"
    assert [p.arxiv_id for p in catalog.list_papers()] == ["hep-th/9901001"]
    with catalog.read() as s:
        left = s.execute(select(col(PaperAuthor.paper_id)).distinct()).scalars().all()
        assert set(left) == {catalog.find_paper("hep-th/9901001").id}
        assert s.execute(select(func.count()).select_from(Abstract)).scalar_one() == 0
        assert {v for (v,) in s.execute(select(col(PaperVersion.version)))} == {1}
        # Authors stay (they may have other papers).
        assert s.execute(select(func.count()).select_from(Author)).scalar_one() == 4
    assert catalog.search("concrete").total == 0
    assert [p.arxiv_id for p in catalog.search("maddison").papers] == ["hep-th/9901001"]
    with pytest.raises(NotFound):
        catalog.find_paper("1611.00712")


# -- lookups -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "1611.00712",
        "1611.00712v3",
        "1611.00712v1",
        "arxiv:1611.00712",
        "arXiv:1611.00712v2",
        " 1611.00712 ",
        "https://arxiv.org/abs/1611.00712",
        "https://arxiv.org/abs/1611.00712v3",
        "https://arxiv.org/pdf/1611.00712.pdf",
        "http://arxiv.org/pdf/1611.00712v2",
        "10.48550/arXiv.1611.00712",
        "maddison2016concrete",
        "NUMBER",
    ],
)
def test_find_paper_by_any_id_form(catalog: Catalog, ref: str) -> None:
    (added,) = catalog.upsert_arxiv([CONCRETE])
    catalog.write(
        lambda s: s.execute(
            text("UPDATE paper SET citation_key = 'maddison2016concrete' WHERE id = :i"),
            {"i": added.paper_id},
        )
    )
    ref = ref.replace("NUMBER", str(added.paper_id))
    assert catalog.find_paper(ref).arxiv_id == "1611.00712"


def test_find_old_style_ids(catalog: Catalog) -> None:
    catalog.upsert_arxiv([OLD_STYLE])
    for ref in ("hep-th/9901001", "hep-th/9901001v1", "arxiv:hep-th/9901001"):
        assert catalog.find_paper(ref).arxiv_id == "hep-th/9901001"


def test_unknown_paper_suggests_close_ids(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE])
    with pytest.raises(NotFound, match="did you mean 1611.00712"):
        catalog.find_paper("1611.00713")


# -- migrations --------------------------------------------------------------------------


def test_head_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_upgrade_from_0001_keeps_data(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine, "0001") == (None, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO paper (id, arxiv_id, version, title, title_key, categories,"
                    " extra_fields, published, updated, synced_at, created_at) VALUES"
                    " (7, '1611.00712', 2, 'The Concrete Distribution',"
                    " 'the concrete distribution', '[\"cs.LG\"]', '{}',"
                    " '2016-11-02 17:25:06', '2017-03-05 18:00:00', '2020-01-01 00:00:00',"
                    " '2019-06-01 00:00:00')"
                )
            )
            # Ids from the sequences, as the store would have made them (PostgreSQL
            # sequences do not move for explicit ids); the paper's id is explicit.
            conn.execute(text("INSERT INTO author (name) VALUES ('Chris J. Maddison')"))
            conn.execute(text("INSERT INTO author (name) VALUES ('Andriy Mnih')"))
            for position, name in enumerate(["Chris J. Maddison", "Andriy Mnih"]):
                conn.execute(
                    text(
                        "INSERT INTO paper_author (paper_id, position, author_id)"
                        " SELECT 7, :position, id FROM author WHERE name = :name"
                    ),
                    {"position": position, "name": name},
                )
            conn.execute(
                text(
                    "INSERT INTO abstract (paper_id, text, source, source_ref) VALUES"
                    " (7, 'Stochastic computation graphs.', 'arxiv', '')"
                )
            )
    finally:
        engine.dispose()

    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        paper = catalog.find_paper("1611.00712")
        assert paper.id == 7
        assert paper.title == "The Concrete Distribution"
        assert paper.authors == ["Chris J. Maddison", "Andriy Mnih"]
        assert paper.abstract == "Stochastic computation graphs."
        assert paper.categories == ["cs.LG"]
        assert [(v, d.date() if d else None) for v, d in catalog.versions(7)] == [
            (2, date(2017, 3, 5))
        ]
        # Papers from before the search index are searchable.
        assert [p.id for p in catalog.search("madd stochastic").papers] == [7]
        # And the schema takes new writes as a fresh one would.
        (result,) = catalog.upsert_arxiv([CONCRETE])
        assert (result.status, result.paper_id) == ("updated", 7)
        assert [v for v, _ in catalog.versions(7)] == [1, 2, 3]
        assert [p.id for p in catalog.search("relaxation teh").papers] == [7]


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine) == (None, HEAD)
        assert upgrade(engine) == (HEAD, HEAD)
    finally:
        engine.dispose()


# -- drivers -----------------------------------------------------------------------------


def test_missing_postgres_driver_is_one_line() -> None:
    """Without psycopg, a PostgreSQL URL fails with one line naming the extra (exit 4)."""
    script = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from catalog.cli.main import cli\n"
        "cli(['--db', 'postgresql+psycopg://someone@db.invalid/reading', 'list'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().splitlines() == [
        "catalog: error: PostgreSQL driver psycopg missing: pip install 'catalog[postgres]'"
    ]
    assert done.stdout == ""


# -- writers and races -------------------------------------------------------------------


def test_postgres_writers_queue_on_one_lock(migrated_pg_url: str) -> None:
    held = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND pid = pg_backend_pid() AND classid = 0 AND objid = :k"
    )
    with Catalog.open(migrated_pg_url) as catalog:
        assert catalog.write(lambda s: s.execute(held, {"k": PG_WRITE_LOCK}).scalar_one()) == 1
        with catalog.read() as s:
            assert s.execute(held, {"k": PG_WRITE_LOCK}).scalar_one() == 0


def test_sqlite_busy_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as caught:
            other.execute("BEGIN IMMEDIATE")
        assert is_transient(caught.value)
        assert not is_transient(sqlite3.OperationalError("no such table: paper"))
    finally:
        holder.close()
        other.close()


def test_postgres_deadlock_is_transient(migrated_pg_url: str) -> None:
    """A real deadlock: PostgreSQL aborts one side, and that error is retryable."""
    engine = make_engine(migrated_pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO author (id, name) VALUES (1, 'A'), (2, 'B')"))
        one, two = engine.connect(), engine.connect()
        one.begin()
        two.begin()
        one.execute(text("UPDATE author SET name = 'A1' WHERE id = 1"))
        two.execute(text("UPDATE author SET name = 'B2' WHERE id = 2"))
        errors: list[BaseException] = []

        def cross(conn: Connection, row: int) -> None:
            try:
                conn.execute(text("UPDATE author SET name = 'X' WHERE id = :i"), {"i": row})
            except DBAPIError as exc:
                errors.append(exc)
                conn.rollback()  # releases this side's locks, so the other one proceeds

        waiter = threading.Thread(target=cross, args=(one, 2))
        waiter.start()
        cross(two, 1)
        waiter.join()
        one.close()
        two.close()
    finally:
        engine.dispose()
    assert len(errors) == 1
    assert is_transient(errors[0])


# -- the CLI on both backends ------------------------------------------------------------


def test_cli_commands_on_each_backend(migrated_db_url: str, arxiv_server: object) -> None:
    """Every kind of command through the CLI, on the backend CATALOG_DB names."""
    import json

    from click.testing import CliRunner

    from catalog.cli.main import cli

    posts = Path(__file__).resolve().parent.parent / "examples" / "_posts"

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, (args, result.output)
        return result.output

    assert "up to date" in run("db", "upgrade")
    assert "1611.00712" in run("add", "arxiv:1611.00712")
    run("import", str(posts))
    found = json.loads(run("search", "concrete relax", "--format", "json"))
    assert [p["arxiv_id"] for p in found] == ["1611.00712"]
    shown = json.loads(run("show", "https://arxiv.org/abs/1611.00712", "--format", "json"))
    assert shown["authors"][0] == "Chris J. Maddison"
    assert "@" in run("export", "bibtex", "-o", "-")
    assert "2018-07-31-generative" in run("sessions")
    assert "removed" in run("remove", "1611.00712")
    run("show", "1611.00712", code=1)
    info = run("db", "info")
    assert migrated_db_url.split("://")[0] in info


def test_postgres_writer_waits_for_the_lock_at_most_the_busy_timeout(
    migrated_pg_url: str,
) -> None:
    """A writer stuck behind another gives up after a timeout, with a retryable error."""
    with Catalog.open(migrated_pg_url) as catalog:
        shown = catalog.write(lambda s: s.execute(text("SHOW lock_timeout")).scalar_one())
        assert shown == "1min"  # BUSY_TIMEOUT_MS, as SQLite's busy timeout
        with catalog._writer.connect() as holder, holder.begin():
            holder.execute(text("SELECT 1"))  # holds the write lock until the block ends
            with catalog.engine.connect() as other, other.begin():
                other.execute(text("SET LOCAL lock_timeout = 50"))
                with pytest.raises(OperationalError) as caught:
                    other.execute(text(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))
                assert is_transient(caught.value)
